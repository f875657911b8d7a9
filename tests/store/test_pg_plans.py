"""How PostgreSQL plans the store's statements: a write plans each for its values, a read
lets PostgreSQL keep a generic plan (store/engine.py says why).

psycopg prepares a statement it has run five times on a connection; PostgreSQL then plans
it for its values five times more before it may keep a generic plan. Its view
pg_prepared_statements counts both kinds of plan for each prepared statement of the
session asking, which is the connection the store hands to the transaction.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contacthub.store import Actor, Store, Transaction

ALICE = Actor("alice", "carddav", "test")
TIMES = 12  # past psycopg's five runs before preparing and PostgreSQL's five custom plans


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    store = Store.open(pg_url)
    with store.write(actor=ALICE) as tx:
        tx.create_collection("alice", {})
    yield store
    store.close()


def plans(tx: Transaction) -> tuple[int, int]:
    """The generic and the custom plans made so far for the statements that read the
    collections table, on the transaction's connection."""
    row = tx.conn.exec_driver_sql(
        "SELECT sum(generic_plans), sum(custom_plans) FROM pg_prepared_statements"
        " WHERE strpos(statement, 'FROM collections') > 0"
    ).one()
    return int(row[0] or 0), int(row[1] or 0)


def test_a_read_may_keep_a_generic_plan(pg_store: Store) -> None:
    for _ in range(TIMES):
        with pg_store.read() as tx:
            assert tx.get_collection("alice") is not None
    with pg_store.read() as tx:
        generic, custom = plans(tx)
    assert generic > 0, (generic, custom)


def test_a_write_plans_each_statement_for_its_values(pg_store: Store) -> None:
    for _ in range(TIMES):
        with pg_store.write(actor=ALICE) as tx:
            assert tx.get_collection("alice") is not None
    with pg_store.write(actor=ALICE) as tx:
        generic, custom = plans(tx)
    assert generic == 0 and custom >= TIMES - 5, (generic, custom)
