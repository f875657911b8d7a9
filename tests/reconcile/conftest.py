"""The reconciler's tests run over a real store: a SQLite file in the test's temp dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from contacthub.store import SourceRecord, Store
from tests.reconcile.tiny_source import OWNER, create_source
from tests.support.stores import new_sqlite_store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A store with the principal alice, whose book the tiny source fills."""
    opened = Store.open(new_sqlite_store(tmp_path / "store.db"))
    with opened.write() as tx:
        tx.create_collection(OWNER, {})
    yield opened
    opened.close()


@pytest.fixture
def source(store: Store) -> SourceRecord:
    return create_source(store, "tiny")
