"""A book's deletion takes what is below it and nothing else, whatever the collation of
the PostgreSQL database (ICU's, as many installations choose, ignores case at first: there
"alice/Book/inner" sorts between "alice/book/" and "alice/book0")."""

from __future__ import annotations

import uuid

from contacthub.store import Store
from tests.support.postgres import PostgresServer


def test_deleting_a_book_spares_a_sibling_that_differs_only_in_case(
    postgres_server: PostgresServer,
) -> None:
    name = f"t_{uuid.uuid4().hex[:16]}"
    with postgres_server.connect() as conn:
        conn.execute(
            f'CREATE DATABASE "{name}" TEMPLATE template0 '
            "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
        )
    store = Store.open(postgres_server.url(name))
    try:
        with store.write() as tx:
            tx.create_collection("alice/book/inner", {})
            tx.create_collection("alice/Book/inner", {})
        with store.write(["alice/book"]) as tx:
            tx.delete_collection("alice/book")
        with store.read() as tx:
            left = {c.path for c in tx.list_children("alice")}
            assert left == {"alice/Book"}
            assert [c.path for c in tx.list_children("alice/Book")] == ["alice/Book/inner"]
    finally:
        store.close()
