"""Room kept on a SQLite store's disk for a run that meets a full disk to end cleanly.

A run writes ahead in many short transactions (store/staging.py). When the disk fills
during one of them, the run must still let go of its staging slot, record itself as a
failed run and end its lease: three writes of a page or two. On a disk with no byte
left, whether SQLite finds room for them depends on where in its WAL the failed write
stopped and on what the checkpoint thread copied meanwhile, so the run's record was
there or not by chance (its request then answered 507 instead of the failed run).

So the store keeps a file of RESERVE_BYTES next to the database, as CockroachDB keeps
its "emergency ballast": a run that meets a full disk deletes it first, and its last
writes find room. A CardDAV write never does: one card failing needs nothing recorded,
and its client retries. The next run puts the file back once the disk has room for it
twice over. PostgreSQL's files are the database server's, not ours: no reserve there.
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from pathlib import Path

from sqlalchemy import URL, make_url

logger = logging.getLogger(__name__)

RESERVE_BYTES = 8 * 1024 * 1024
SUFFIX = ".reserve"


class SpaceReserve:
    """The reserve file of the SQLite store at `database`."""

    def __init__(self, database: Path, size: int = RESERVE_BYTES) -> None:
        self.path = database.with_name(database.name + SUFFIX)
        self.size = size

    @classmethod
    def of(cls, url: str | URL) -> SpaceReserve | None:
        """The reserve of the store at `url`; None unless it is a SQLite file."""
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
            return None
        return cls(Path(parsed.database).absolute())

    def keep(self) -> None:
        """Make the file if it is missing and the disk has room for it twice over (a
        nearly full disk is not made fuller by it)."""
        if self.path.exists():
            return
        try:
            if shutil.disk_usage(self.path.parent).free < 2 * self.size:
                return
            self._allocate()
        except OSError as error:
            logger.warning("could not keep %s free on the store's disk: %s", self.path, error)

    def release(self) -> None:
        """Give the room back to the disk (the store's next writes may use it)."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return
        logger.warning(
            "the store's disk is full: released the %d MiB kept free at %s so that a failed"
            " run can be recorded. Free space on that disk; the next run keeps room again.",
            self.size // (1024 * 1024),
            self.path,
        )

    def _allocate(self) -> None:
        # Blocks of the disk's own, not a sparse file: deleting a sparse file frees nothing.
        partial = self.path.with_name(self.path.name + ".partial")
        try:
            with partial.open("wb") as file:
                try:
                    os.posix_fallocate(file.fileno(), 0, self.size)
                except OSError as error:
                    if error.errno == errno.ENOSPC:
                        raise
                    file.write(bytes(self.size))  # a filesystem without fallocate
            partial.replace(self.path)
        finally:
            partial.unlink(missing_ok=True)
