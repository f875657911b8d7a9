"""The test infrastructure itself: throwaway PostgreSQL, store URLs, plain Radicale."""

from __future__ import annotations

import sqlalchemy as sa

from tests.support import dav
from tests.support.postgres import PostgresServer
from tests.support.servers import RadicaleServer
from tests.support.vcards import make_card, new_uid


def test_pg_url_is_a_fresh_empty_database(pg_url: str, postgres_server: PostgresServer) -> None:
    assert pg_url.startswith("postgresql+psycopg://")
    engine = sa.create_engine(pg_url)
    try:
        with engine.begin() as conn:
            assert sa.inspect(conn).get_table_names() == []
            conn.execute(sa.text("CREATE TABLE t (x int)"))
        with engine.connect() as conn:
            assert conn.execute(sa.text("SHOW fsync")).scalar() == "off"
            assert conn.execute(sa.text("SHOW listen_addresses")).scalar() == ""
    finally:
        engine.dispose()
    # Another database is independent.
    other = sa.create_engine(postgres_server.create_database())
    try:
        with other.connect() as conn:
            assert sa.inspect(conn).get_table_names() == []
    finally:
        other.dispose()


def test_store_url_is_usable(store_url: str) -> None:
    engine = sa.create_engine(store_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE t (x int)"))
            conn.execute(sa.text("INSERT INTO t VALUES (1)"))
            assert conn.execute(sa.text("SELECT count(*) FROM t")).scalar() == 1
    finally:
        engine.dispose()


def test_plain_radicale_serves_a_default_book(radicale_server: RadicaleServer) -> None:
    alice = radicale_server.session("alice")
    books = dav.propfind(alice, "/alice/", [dav.DISPLAYNAME], depth="1")
    assert books.by_href()["/alice/contacts/"].text(dav.DISPLAYNAME) == "Contacts"
    etag = dav.create_card(alice, "/alice/contacts/a.vcf", make_card(new_uid(), "A"))
    assert alice.get("/alice/contacts/a.vcf").headers["ETag"] == etag
    assert radicale_server.session("alice", "wrong").get("/alice/").status_code == 401
