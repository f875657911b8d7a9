"""A run's rows inserted at once (COPY on PostgreSQL) are the rows a statement would have
written: the values given, SQLAlchemy's defaults for those not given, bytes, NULLs and
booleans as they were, and part of the transaction they were written in."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from contacthub.store import Store
from contacthub.store.bulk import COPY_FROM, ROOMY_CACHE_KIB, insert_rows, roomy_cache
from contacthub.store.schema import pending_changes, versions

ROWS = COPY_FROM * 3


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    with opened.write() as tx:
        tx.create_collection("alice", {})
        tx.create_collection("alice/book", {"tag": "VADDRESSBOOK"})
    yield opened
    opened.close()


def _book_id(store: Store) -> int:
    with store.read() as tx:
        return tx.require_collection("alice/book").id


def test_rows_keep_their_values_and_take_the_defaults_of_the_columns_not_given(
    store: Store,
) -> None:
    book = _book_id(store)
    given = [
        {
            "collection_id": book,
            "href": f"card-{n}.vcf",
            "uid": f"ü-{n}",
            "action": "delete" if n % 2 else "add",
            "card": bytes([n % 256, 0, 255]) if n % 2 else None,
            "etag": f'"{n}"' if n % 2 else None,
            "at": n + 0.25,
            "seq": n,
            "via": "restore",
        }
        for n in range(ROWS)
    ]
    with store.write() as tx:
        insert_rows(tx.conn, versions, given)
    with store.read() as tx:
        found = tx.conn.execute(sa.select(versions).order_by(versions.c.seq)).mappings().all()
    assert [{key: row[key] for key in given[0]} for row in found] == given
    assert {(r["display_name"], r["gen"], r["account"], r["agent"]) for r in found} == {
        ("", 0, "", "")
    }


def test_rows_go_with_their_transaction(store: Store) -> None:
    book = _book_id(store)
    rows = [
        {"collection_id": book, "gen": 1, "href": f"{n}.vcf", "deleted": n % 3 == 0}
        for n in range(ROWS)
    ]

    class Refused(Exception):
        pass

    with pytest.raises(Refused), store.write() as tx:
        insert_rows(tx.conn, pending_changes, rows)
        raise Refused
    with store.write() as tx:
        insert_rows(tx.conn, pending_changes, rows)
    with store.read() as tx:
        found = tx.conn.execute(sa.select(pending_changes.c.href, pending_changes.c.deleted)).all()
    assert sorted(found) == sorted((row["href"], row["deleted"]) for row in rows)


def test_a_roomy_cache_lasts_only_as_long_as_its_block(store: Store) -> None:
    with store.write() as tx:
        conn = tx.conn
        if conn.dialect.name != "sqlite":
            with roomy_cache(conn):  # nothing to do, and nothing in the way
                assert conn.execute(sa.select(1)).scalar_one() == 1
            return
        before = conn.exec_driver_sql("PRAGMA cache_size").scalar_one()
        with roomy_cache(conn):
            assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == -ROOMY_CACHE_KIB
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == before
        with pytest.raises(RuntimeError), roomy_cache(conn):
            raise RuntimeError
        assert conn.exec_driver_sql("PRAGMA cache_size").scalar_one() == before
