"""The merge's tests run over a real store, SQLite and PostgreSQL, with "From CSV" and
"From IMAP" sources and a phone's card in "Contacts" holding the same person; the sources'
real servers (FTP, the EWS double; Dovecot is the root conftest's) and a context to run
them in."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import exchangelib
import pytest

from contacthub import config
from contacthub.fetch import FetchPolicy
from contacthub.sources.context import RunContext
from contacthub.store import SourceRecord, Store
from tests.exchange.conftest import USERS as EWS_USERS
from tests.fetch.ftp_server import LocalFTPServer
from tests.merges.people import CSV_BOOK, MAIL_BOOK, create_source, make_books
from tests.support.ews_server import EwsServer


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


@pytest.fixture
def ctx(store: Store, tmp_path: Path) -> RunContext:
    """Where a source runs: the store, no report email, the loopback servers allowed."""
    settings = config.load(tmp_path / "data")
    settings.fetch_policy = FetchPolicy(timeout=5, allowed_networks=("127.0.0.0/8",))
    settings.smtp = {}
    return RunContext(store, settings)


@pytest.fixture
def ftp(ftp_root: Path) -> Iterator[LocalFTPServer]:
    logging.getLogger("pyftpdlib").setLevel(logging.WARNING)
    with LocalFTPServer(ftp_root) as server:
        yield server


@pytest.fixture
def ews() -> Iterator[EwsServer]:
    with EwsServer(users=EWS_USERS) as server:
        yield server
    exchangelib.close_connections()  # exchangelib keeps sessions per endpoint
