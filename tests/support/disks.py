"""Full disks and read-only directories, made with the kernel's own means.

A `SmallDisk` is a tmpfs of a few megabytes: the server's store lives on it, and a filler
file takes its free space to the last page, so SQLite answers SQLITE_FULL and PostgreSQL
(a tablespace there) SQLSTATE 53100, exactly as on a real full disk. `read_only` bind-mounts
a directory read-only over itself: writes fail with EROFS, for root too (a chmod would not
stop root). Both need root, as the tests get under .ci/run; anything else fails the test
with the reason, never skips it.
"""

from __future__ import annotations

import os
import pwd
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CHUNK = 64 * 1024


def _mount(*args: str) -> None:
    if os.geteuid() != 0:
        raise RuntimeError("these tests mount a small tmpfs or a read-only bind: run them as root")
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True)


def _unmount(path: Path) -> None:
    if subprocess.run(["umount", str(path)], capture_output=True, check=False).returncode:
        # Still busy (a server that did not let go): detach it now, free it when unused.
        subprocess.run(["umount", "--lazy", str(path)], check=True, capture_output=True)


class SmallDisk:
    """A tmpfs of `size` bytes at `path`, owned by `owner` (a system user) or root."""

    def __init__(self, path: Path, size: int, owner: str | None = None) -> None:
        self.path = path
        self.size = size
        self.owner = owner
        self.filler = path / "filler"

    def __enter__(self) -> SmallDisk:
        self.path.mkdir(parents=True, exist_ok=True)
        options = f"size={self.size},mode=0755"
        if self.owner is not None:
            user = pwd.getpwnam(self.owner)
            options = f"size={self.size},mode=0700,uid={user.pw_uid},gid={user.pw_gid}"
        _mount("-t", "tmpfs", "-o", options, "tmpfs", str(self.path))
        return self

    def __exit__(self, *_exc: object) -> None:
        _unmount(self.path)
        self.path.rmdir()

    def free_bytes(self) -> int:
        stat = os.statvfs(self.path)
        return stat.f_bavail * stat.f_frsize

    def fill(self, leave: int = 0) -> None:
        """Take all free space but `leave` bytes (a whole number of pages)."""
        with open(self.filler, "ab", buffering=0) as filler:
            while (room := self.free_bytes() - leave) > 0:
                try:
                    filler.write(bytes(min(CHUNK, room)))
                except OSError:  # ENOSPC: nothing is left
                    break
        assert self.free_bytes() <= leave, f"{self.free_bytes()} bytes still free"

    def fill_under(self, database: Path) -> None:
        """Take all free space under a SQLite `database` whose WAL starts empty. SQLite
        writes a commit into the WAL file's pages it already has when the WAL started
        over, and those need no new room: only an empty WAL makes the next write meet
        the full disk, whatever was written before."""
        with sqlite3.connect(database) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.fill()

    def free(self) -> None:
        self.filler.unlink(missing_ok=True)


@contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """`path` (a directory) read-only while inside, as a read-only mount makes it."""
    _mount("--bind", str(path), str(path))
    try:
        _mount("-o", "remount,ro,bind", str(path))
        yield path
    finally:
        _unmount(path)
