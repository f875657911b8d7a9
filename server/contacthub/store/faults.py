"""Faults of the disk under the store, recognised in one place.

A full disk reaches the server in three shapes: SQLite's SQLITE_FULL ("database or disk
is full"), PostgreSQL's SQLSTATE 53100 (disk_full), and ENOSPC (or EDQUOT, a quota) from
a file the server writes. Each becomes StorageFull, which every door translates. A path
the server must write but cannot (a read-only file system, no permission, no such
directory) becomes CannotWrite, naming the path and what is wrong.

PostgreSQL's other "insufficient resources" states (53200 out of memory, 53300 too many
connections, 53400 a configured limit) are not a full disk, so they are left as they are.
"""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from contacthub.store.errors import CannotWrite, StorageFull

logger = logging.getLogger(__name__)

SQLITE_FULL = 13  # the primary result code; extended codes keep it in their low byte
POSTGRES_DISK_FULL = "53100"
FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
UNWRITABLE_ERRNOS = frozenset(
    {errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOENT, errno.ENOTDIR, errno.EISDIR}
)
SQLITE_STORE = (
    "the SQLite store keeps its file and its journal there; make it writable for the "
    "user running contacthub, or point [store] url elsewhere"
)


def is_storage_full(error: BaseException) -> bool:
    """Whether `error`, or an error it was raised from or while handling, is a full disk.

    The chain counts: after SQLITE_FULL, SQLite may have rolled the transaction back
    itself, and the savepoint's rollback then fails with an error of its own.
    """
    return any(_is_full(cause) for cause in _chain(error))


def _chain(error: BaseException) -> Iterator[BaseException]:
    """`error`, what it was raised from or while handling, and a driver's error that
    SQLAlchemy wraps (its `orig`), to the end of the chain."""
    seen: set[int] = set()
    waiting: list[BaseException | None] = [error]
    while waiting:
        current = waiting.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = current.orig if isinstance(current, DBAPIError) else None
        waiting += [current.__context__, current.__cause__, orig]


def _is_full(error: BaseException) -> bool:
    if isinstance(error, StorageFull):
        return True
    if isinstance(error, OSError):
        return error.errno in FULL_ERRNOS
    if isinstance(error, sqlite3.Error):
        return (getattr(error, "sqlite_errorcode", 0) & 0xFF) == SQLITE_FULL
    # psycopg's errors carry the SQLSTATE; no import, so SQLite-only installs work.
    return getattr(error, "sqlstate", None) == POSTGRES_DISK_FULL


@contextmanager
def storage_full_translated() -> Iterator[None]:
    """Inside: any error that is a full disk leaves as StorageFull (logged in one line)."""
    try:
        yield
    except StorageFull:
        raise
    except Exception as error:
        if not is_storage_full(error):
            raise
        logger.error("the store's disk is full: %s", _cause_of(error))
        raise StorageFull() from error


def _cause_of(error: BaseException) -> str:
    """The first line of the deepest error in the chain that names the full disk."""
    found = [cause for cause in _chain(error) if _is_full(cause)]
    return (str(found[-1]) if found else str(error)).strip().splitlines()[0]


@contextmanager
def writing(path: Path | str, purpose: str) -> Iterator[None]:
    """Writing the file or directory `path`: a full disk leaves as StorageFull, a path
    that cannot be written as CannotWrite naming `path` and `purpose` (what needs it)."""
    try:
        yield
    except OSError as error:
        if error.errno in FULL_ERRNOS:
            logger.error("cannot write %s: %s", path, error)
            raise StorageFull(f"cannot write to {path} ({reason_of(error)}): {purpose}") from error
        if error.errno in UNWRITABLE_ERRNOS:
            raise CannotWrite(str(path), reason_of(error), purpose) from error
        raise


def write_whole(path: Path, text: str, purpose: str) -> None:
    """Write the text file `path` whole or not at all, as `writing` says: a temporary file
    beside it (mode 0600) renamed over it, so neither a reader nor a full disk ever sees
    half of it."""
    with writing(path, purpose):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        temporary = Path(name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(temporary, 0o600)
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise


def reason_of(error: OSError) -> str:
    """What is wrong, as the system says it: "read-only file system", "permission denied"."""
    text = error.strerror or (os.strerror(error.errno) if error.errno else str(error))
    return text.lower()


def check_store_writable(url: str) -> None:
    """Before opening the store at `url`: CannotWrite if it is a SQLite store whose file or
    directory cannot be written. SQLite itself would open such a store read-only, or say
    only "unable to open database file", and the first write would fail."""
    problem = unwritable_sqlite_store(url)
    if problem is not None:
        raise problem


def unwritable_sqlite_store(url: str) -> CannotWrite | None:
    """What keeps SQLite from writing the store at `url`: its directory (missing, or no new
    file can be made there: the journal needs one) or its files; None if nothing does."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    database = Path(parsed.database).absolute()
    directory = database.parent
    if not directory.is_dir():
        return CannotWrite(str(directory), "no such directory", SQLITE_STORE)
    try:
        tempfile.TemporaryFile(dir=directory).close()
    except OSError as error:
        return CannotWrite(str(directory), reason_of(error), SQLITE_STORE)
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        try:
            path.open("r+b").close()
        except FileNotFoundError:
            continue
        except OSError as error:
            return CannotWrite(str(path), reason_of(error), SQLITE_STORE)
    return None
