"""The PostgreSQL store's pooled connections: one the server ended is replaced before a
request uses it, and a healthy one is used again without a new connection.

PostgreSQL ends a backend the same way whether it restarts, shuts down or is asked to by
pg_terminate_backend(): a FATAL message, then the socket closed. The test uses the last,
so the session's server keeps running for the other tests.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event

from contacthub.store import Actor, ItemData, Store
from contacthub.store.engine import make_engine, refresh_statistics
from contacthub.vcard.parse import item_data
from tests.support.postgres import PostgresServer
from tests.support.vcards import make_card

ALICE = Actor("alice", "carddav", "test")


def card(uid: str) -> ItemData:
    return item_data(make_card(uid, f"Person {uid}"))


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    store = Store.open(pg_url)
    with store.write(actor=ALICE) as tx:
        tx.create_collection("alice", {})
        book = tx.ensure_default_book("alice")
        tx.put_item(book, "kept.vcf", card("kept"))
    yield store
    store.close()


def connections_made(store: Store) -> list[object]:
    made: list[object] = []
    event.listen(store.engine, "connect", lambda dbapi_connection, _record: made.append(1))
    return made


def end_every_backend_of(server: PostgresServer, store: Store) -> None:
    """pg_terminate_backend() for every connection the store holds, then wait until
    PostgreSQL has let each of them go."""
    database = store.engine.url.database
    assert database
    with server.connect() as admin:
        ended = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = %s",
            (database,),
        ).fetchone()
        assert ended is not None and ended[0] >= 1  # the pooled connection was there
        for _ in range(200):
            left = admin.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", (database,)
            ).fetchone()
            if left is not None and left[0] == 0:
                return
            time.sleep(0.05)
    raise AssertionError("PostgreSQL did not end the store's connections")


def hrefs_of_alice(store: Store) -> list[str]:
    with store.read() as tx:
        book = tx.get_collection("alice/contacts")
        assert book is not None
        return sorted(tx.iter_hrefs(book.id))


def test_a_connection_the_server_ended_is_replaced_before_a_read_uses_it(
    postgres_server: PostgresServer, pg_store: Store
) -> None:
    assert hrefs_of_alice(pg_store) == ["kept.vcf"]  # a pooled connection, now idle
    end_every_backend_of(postgres_server, pg_store)
    made = connections_made(pg_store)

    assert hrefs_of_alice(pg_store) == ["kept.vcf"]
    assert made == [1]


def test_a_write_after_the_server_ended_its_connections_is_kept(
    postgres_server: PostgresServer, pg_store: Store
) -> None:
    assert hrefs_of_alice(pg_store) == ["kept.vcf"]
    end_every_backend_of(postgres_server, pg_store)

    with pg_store.write(actor=ALICE) as tx:
        book = tx.get_collection("alice/contacts")
        assert book is not None
        tx.put_item(book, "new.vcf", card("new"))

    assert hrefs_of_alice(pg_store) == ["kept.vcf", "new.vcf"]


def test_a_healthy_connection_is_used_again(pg_store: Store) -> None:
    hrefs_of_alice(pg_store)
    made = connections_made(pg_store)

    for _ in range(20):
        hrefs_of_alice(pg_store)

    assert made == []


def test_statistics_that_cannot_be_refreshed_are_left_to_autovacuum(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    unreachable = make_engine(f"postgresql+psycopg://nobody@/nowhere?host={tmp_path}")
    try:
        refresh_statistics(unreachable)  # the writes are kept: nothing is raised
    finally:
        unreachable.dispose()
    assert "could not refresh the planner's statistics" in caplog.text
