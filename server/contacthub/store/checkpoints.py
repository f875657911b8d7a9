"""SQLite's WAL copied into the database by a thread of its own, never in a writer's commit.

SQLite's automatic checkpoint runs inside the commit of whichever connection finds the
WAL over 1,000 pages: during an import a phone's PUT, a one-card transaction, paid for
copying the import's megabytes into the database and syncing it (measured: up to 0.46 s
added to a PUT), and the import paid it after each of its short transactions (a third of
its time). So every connection turns it off (engine.py), and the store's writes wake this
thread instead: it checkpoints at most every SPACING seconds while writes go on, without
the write lock (a passive checkpoint copies what no reader still needs and leaves the
rest for the next). It ends after IDLE seconds without writes and starts again with the
next one. The last connection to close checkpoints the rest, as SQLite always does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine

logger = logging.getLogger(__name__)

# Seconds between two checkpoints while writes go on: rarely enough that a page written
# by many transactions (an index's) is copied once, often enough that the WAL stays small.
SPACING = 1.0
# Seconds without a write after which the thread ends.
IDLE = 10.0
# Frames (pages) in the WAL past which a run makes it start over, and how long that may
# wait for readers of older snapshots (writers wait meanwhile).
RESTART_FRAMES = 8192
RESTART_WAIT = 0.1


class WalCheckpoints:
    """The checkpointing thread of one SQLite engine; `wrote()` after each commit."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._changed = threading.Condition()
        self._dirty = False  # written since the last checkpoint
        self._closing = False
        self._due = 0.0  # the thread's next checkpoint, on the monotonic clock
        self._thread: threading.Thread | None = None

    def wrote(self) -> None:
        """A write was committed: checkpoint soon."""
        with self._changed:
            self._dirty = True
            if self._closing:
                return
            if self._thread is None or not self._thread.is_alive():
                self._due = max(self._due, time.monotonic() + SPACING)
                self._thread = threading.Thread(
                    target=self._run, name="contacthub-wal-checkpoints", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()

    def close(self) -> None:
        """Stop the thread, and copy what was written since its last checkpoint."""
        with self._changed:
            self._closing = True
            thread = self._thread
            self._changed.notify_all()
        if thread is not None:
            thread.join()
        self.checkpoint()

    def _run(self) -> None:
        while True:
            with self._changed:
                if not self._changed.wait_for(lambda: self._dirty or self._closing, IDLE):
                    self._thread = None  # idle: the next write starts another
                    return
                # At most one checkpoint every SPACING seconds, whoever ran the last one
                # (a run checkpoints between its own transactions).
                while not self._closing and (wait := self._due - time.monotonic()) > 0:
                    self._changed.wait(wait)
                if self._closing:
                    return
            self.checkpoint()

    def checkpoint(self, *, keep_small: bool = False) -> None:
        """Copy what the WAL holds into the database, as far as readers allow.

        With `keep_small`, a WAL still longer than RESTART_FRAMES is made to start over:
        SQLite restarts it only when a writer begins with all of it copied and no reader
        on an older snapshot, which a run's writing among a server's PUTs and reads can
        miss for minutes (a 1.3 GB WAL during a 500,000-row import). The restart waits up
        to RESTART_WAIT for such readers, and other writers wait for it meanwhile: only a
        run asks for it, between its own transactions.
        """
        with self._changed:
            if not self._dirty:
                return
            self._dirty = False
            self._due = time.monotonic() + SPACING
        try:
            connection = self._engine.raw_connection()
            try:
                frames = _checkpoint(connection, "PASSIVE")
                if keep_small and frames > RESTART_FRAMES:
                    with _busy_timeout(connection, RESTART_WAIT):
                        _checkpoint(connection, "RESTART")
            finally:
                connection.close()
        except Exception:
            # The WAL stays as it is and is copied next time; nothing is lost.
            logger.warning("checkpointing the SQLite store's WAL failed", exc_info=True)


def _checkpoint(connection: Any, mode: str) -> int:
    """One checkpoint; returns the frames the WAL holds (-1 while another checkpoints)."""
    cursor = connection.cursor()
    try:
        _busy, frames, _copied = cursor.execute(f"PRAGMA wal_checkpoint({mode})").fetchone()
    finally:
        cursor.close()
    return int(frames)


@contextmanager
def _busy_timeout(connection: Any, seconds: float) -> Iterator[None]:
    cursor = connection.cursor()
    try:
        (before,) = cursor.execute("PRAGMA busy_timeout").fetchone()
        cursor.execute(f"PRAGMA busy_timeout={int(seconds * 1000)}")
        try:
            yield
        finally:
            cursor.execute(f"PRAGMA busy_timeout={int(before)}")
    finally:
        cursor.close()
