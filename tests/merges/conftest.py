"""The merge's tests run over a real store, SQLite and PostgreSQL, with "From CSV" and
"From IMAP" sources and a phone's card in "Contacts" holding the same person."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contacthub.store import SourceRecord, Store
from tests.merges.people import CSV_BOOK, MAIL_BOOK, create_source, make_books


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    make_books(opened)
    with opened.write() as tx:
        tx.ensure_collection("bob")
        tx.ensure_collection("bob/contacts", {"tag": "VADDRESSBOOK"})
    yield opened
    opened.close()


@pytest.fixture
def csv_source(store: Store) -> SourceRecord:
    return create_source(store, "csv", "staff", CSV_BOOK)


@pytest.fixture
def mail_source(store: Store) -> SourceRecord:
    return create_source(store, "imap", "mailbox", MAIL_BOOK)
