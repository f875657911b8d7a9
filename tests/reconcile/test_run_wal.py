"""On SQLite a long run copies its pages from the WAL into the database between its own
transactions, so the WAL starts over instead of growing for as long as the run writes,
and no other writer's commit pays for copying it (store/checkpoints.py)."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from contacthub.reconcile import Incoming, Policy, run_source
from contacthub.store import ItemData, SourceRecord, Store, checkpoints
from contacthub.vcard.parse import item_data
from tests.reconcile.tiny_source import card_text, cards

RECORDS = 1500
NOTE = "x" * 2000  # some 3.5 MB of cards in all


def record(key: str) -> Incoming:
    def make_card(uid: str) -> ItemData:
        return item_data(
            card_text(uid, f"Person {key}", "tiny", key).replace("NOTE:", f"X-PAD:{NOTE}\r\nNOTE:")
        )

    digest = hashlib.sha256(key.encode()).hexdigest()
    return Incoming(key, "", make_card, digest, summary=key)


def test_a_long_run_keeps_the_wal_small(
    store: Store, source: SourceRecord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoints, "SPACING", 3600.0)  # the store's thread stays out
    monkeypatch.setattr("contacthub.reconcile.run.BATCH", 100)
    monkeypatch.setattr("contacthub.store.staging.SQLITE_BUSY_BEFORE_PAUSE", 0.0)
    monkeypatch.setattr("contacthub.store.staging.SQLITE_PAUSE", 0.0)
    records = [record(f"{n:05}") for n in range(RECORDS)]
    outcome = run_source(store, source, lambda: (records, []), Policy())
    assert outcome.run is not None and outcome.run.counts["added"] == RECORDS
    assert len(cards(store)) == RECORDS
    wal = tmp_path / "store.db-wal"
    assert wal.stat().st_size < 2_000_000


def test_the_wal_starts_over_while_clients_keep_reading(
    store: Store, source: SourceRecord, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Readers always holding a snapshot keep SQLite from starting the WAL over by itself
    (it grew to 1.3 GB during a 500,000-row import next to a busy server): past
    RESTART_FRAMES the run makes it start over."""
    monkeypatch.setattr(checkpoints, "SPACING", 3600.0)
    monkeypatch.setattr(checkpoints, "RESTART_FRAMES", 256)  # 1 MB
    monkeypatch.setattr("contacthub.reconcile.run.BATCH", 100)
    monkeypatch.setattr("contacthub.store.staging.SQLITE_BUSY_BEFORE_PAUSE", 0.0)
    monkeypatch.setattr("contacthub.store.staging.SQLITE_PAUSE", 0.0)
    done = threading.Event()

    def client() -> None:
        connection = sqlite3.connect(tmp_path / "store.db", isolation_level=None)
        while not done.is_set():
            connection.execute("BEGIN")
            connection.execute("SELECT count(*) FROM collections").fetchone()
            time.sleep(0.02)
            connection.execute("COMMIT")
        connection.close()

    clients = [threading.Thread(target=client) for _ in range(4)]
    for thread in clients:
        thread.start()
    try:
        records = [record(f"{n:05}") for n in range(RECORDS)]
        run_source(store, source, lambda: (records, []), Policy())
    finally:
        done.set()
        for thread in clients:
            thread.join()
    assert len(cards(store)) == RECORDS
    assert (tmp_path / "store.db-wal").stat().st_size < 3_000_000
