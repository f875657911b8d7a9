"""The SQLite store's WAL is copied into the database by the store's own thread, never in
the commit of a writer (a phone's one-card PUT paid for an import's pages before).

Until a checkpoint, what a transaction wrote lives in the WAL and the database file keeps
its size; a checkpoint copies it into the database file, which grows.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from contacthub.store import ItemData, Store, checkpoints
from contacthub.vcard.parse import item_data
from tests.support.vcards import make_card

# 2,000 cards of 2 KB: some 1,000 pages, SQLite's own threshold for a checkpoint at commit.
CARDS = 2000


CARD = item_data(make_card("card", "Person", extra=[f"NOTE:{'x' * 2000}"]))


def item(uid: str) -> ItemData:
    return replace(CARD, uid=uid, text=CARD.text.replace("UID:card", f"UID:{uid}"))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.db"


@pytest.fixture
def open_store(db_path: Path) -> Iterator[Callable[[], Store]]:
    opened: list[Store] = []

    def open_() -> Store:
        store = Store.open(f"sqlite:///{db_path}")
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()


def fill(store: Store, prefix: str) -> None:
    with store.write() as tx:
        if tx.get_collection("alice") is None:
            tx.create_collection("alice", {})
        book = tx.ensure_default_book("alice")
        tx.add_items(book, [(f"{prefix}{n}.vcf", item(f"{prefix}{n}")) for n in range(CARDS)])


def grows_within(path: Path, size: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.stat().st_size > size:
            return True
        time.sleep(0.05)
    return False


def test_a_commit_leaves_the_wal_to_the_stores_thread(
    open_store: Callable[[], Store], db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoints, "SPACING", 60.0)
    store = open_store()
    store.engine.dispose()  # the migrations' connections checkpointed at their close
    before = db_path.stat().st_size
    fill(store, "a")
    assert db_path.stat().st_size == before  # the commit copied nothing
    with store.read() as tx:
        book = tx.require_collection("alice/contacts")
        assert len(list(tx.iter_hrefs(book.id))) == CARDS
    store.close()  # copies what is left
    assert db_path.stat().st_size > before


def test_the_stores_thread_checkpoints_soon_after_writes(
    open_store: Callable[[], Store], db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoints, "SPACING", 0.05)
    monkeypatch.setattr(checkpoints, "IDLE", 0.2)
    store = open_store()
    fill(store, "a")
    assert grows_within(db_path, 0, 10)
    size = db_path.stat().st_size
    time.sleep(0.5)  # the thread has ended, idle; the next write starts another
    fill(store, "b")
    assert grows_within(db_path, size, 10)


def test_readers_see_every_write_while_the_thread_checkpoints(
    open_store: Callable[[], Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoints, "SPACING", 0.0)
    writer, reader = open_store(), open_store()
    for round_ in range(5):
        fill(writer, f"r{round_}-")
        with reader.read() as tx:
            book = tx.require_collection("alice/contacts")
            assert len(list(tx.iter_hrefs(book.id))) == CARDS * (round_ + 1)
