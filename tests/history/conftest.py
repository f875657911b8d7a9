"""The history's tests run over a real store, SQLite and PostgreSQL, whose clock (the time
versions are stamped with) the test turns by hand; the services get a RunContext."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from contacthub import config
from contacthub.sources.context import RunContext
from contacthub.store import SourceRecord, Store
from tests.history.book import Clock
from tests.reconcile.tiny_source import BOOK, BOOK_PROPS, OWNER, create_source


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(store_url: str, clock: Clock) -> Iterator[Store]:
    opened = Store.open(store_url, clock=clock)
    with opened.write() as tx:
        tx.create_collection(OWNER, {})
        tx.create_collection(BOOK, BOOK_PROPS)
        tx.create_collection("bob", {})
    yield opened
    opened.close()


@pytest.fixture
def source(store: Store) -> SourceRecord:
    """A tiny source filling alice's book "people" (the book the tests write)."""
    return create_source(store, "tiny")


@pytest.fixture
def ctx(store: Store, tmp_path: Path) -> RunContext:
    return RunContext(store, config.load(tmp_path / "data"))
