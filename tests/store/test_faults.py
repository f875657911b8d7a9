"""A full disk and an unwritable path, recognised in one place (store.faults).

tests/e2e/test_disk_full.py fills a real small disk under `serve`; here the store meets
SQLite's own limit (PRAGMA max_page_count answers SQLITE_FULL, as a full disk does, in the
middle of a statement rather than at the commit), and the errors of each database and of
the file system are classified as they come from their libraries.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError, OperationalError

from contacthub.store import CannotWrite, ItemData, StorageFull, Store, is_storage_full, writing
from contacthub.store.faults import unwritable_sqlite_store
from contacthub.store.schema import collections
from contacthub.vcard.parse import item_data
from tests.support.stores import new_sqlite_store
from tests.support.vcards import make_card


def item(uid: str, note_bytes: int = 0) -> ItemData:
    return item_data(make_card(uid, f"Person {uid}", extra=[f"NOTE:{'x' * note_bytes}"]))


@pytest.fixture
def full_sqlite_store(tmp_path: Path) -> Iterator[Store]:
    """A SQLite store with alice's book and one card, that may not grow by a single page."""
    store = Store.open(new_sqlite_store(tmp_path / "store.db"))
    with store.write() as tx:
        tx.create_collection("alice", {})
        book = tx.ensure_default_book("alice")
        tx.put_item(book, "kept.vcf", item("kept"))
    with store.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()

    @event.listens_for(store.engine, "connect")
    def _no_more_pages(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    store.engine.dispose()  # every connection from now on has the limit
    yield store
    store.close()


def test_a_full_sqlite_store_refuses_a_write_whole_and_goes_on_reading(
    full_sqlite_store: Store,
) -> None:
    store = full_sqlite_store
    with store.read() as tx:
        book = tx.require_collection("alice/contacts")
    with pytest.raises(StorageFull) as raised, store.write() as tx:
        tx.put_item(book, "small.vcf", item("small"))
        with tx.savepoint():
            tx.put_item(book, "big.vcf", item("big", note_bytes=200_000))
    assert raised.value.status == 507 and raised.value.code == "insufficient_storage"
    assert str(raised.value) == (
        "The server's disk is full: the change was not saved. Ask the administrator to free space."
    )
    with store.read() as tx:
        assert [i.href for i in tx.iter_items(book.id)] == ["kept.vcf"]
        assert tx.require_collection("alice/contacts").sync_seq == book.sync_seq


def _wrapped(orig: BaseException) -> OperationalError:
    return OperationalError("INSERT INTO items ...", {}, orig)


def _sqlite_error(code: int, message: str) -> sqlite3.OperationalError:
    error = sqlite3.OperationalError(message)
    error.sqlite_errorcode = code  # type: ignore[attr-defined]
    return error


@pytest.mark.parametrize(
    ("error", "full"),
    [
        (_wrapped(_sqlite_error(13, "database or disk is full")), True),
        (_wrapped(_sqlite_error(5, "database is locked")), False),
        (_wrapped(psycopg.errors.DiskFull("could not extend file")), True),
        (_wrapped(psycopg.errors.TooManyConnections("too many clients")), False),
        (_wrapped(psycopg.errors.OutOfMemory("out of memory")), False),
        (OSError(errno.ENOSPC, "No space left on device"), True),
        (OSError(errno.EDQUOT, "Disk quota exceeded"), True),
        (OSError(errno.EROFS, "Read-only file system"), False),
        (ValueError("not a disk"), False),
    ],
)
def test_full_disks_are_told_from_other_errors(error: BaseException, full: bool) -> None:
    assert is_storage_full(error) is full


def test_an_error_met_while_undoing_a_full_disk_is_a_full_disk() -> None:
    """After SQLITE_FULL, SQLite may roll the transaction back itself; the savepoint's own
    rollback then fails with an error that is not the cause."""
    try:
        try:
            raise _wrapped(_sqlite_error(13, "database or disk is full"))
        except OperationalError:
            raise _wrapped(_sqlite_error(1, "no such savepoint: sa_savepoint_1")) from None
    except OperationalError as error:
        assert is_storage_full(error)


def test_a_real_sqlite_full_error_has_the_code() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (x TEXT)")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(sqlite3.OperationalError) as raised:
        conn.execute("INSERT INTO t VALUES (?)", ("x" * 100_000,))
    assert is_storage_full(raised.value)


def test_writing_a_file_says_which_path_and_what_is_wrong(tmp_path: Path) -> None:
    path = tmp_path / "users"
    with pytest.raises(CannotWrite) as refused, writing(path, "the accounts are kept there"):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path / ".users.x1"))
    assert str(refused.value) == (
        f"cannot write to {path} (read-only file system): the accounts are kept there"
    )
    with pytest.raises(StorageFull) as full, writing(path, "the accounts are kept there"):
        raise OSError(errno.ENOSPC, "No space left on device")
    assert str(full.value) == (
        f"cannot write to {path} (no space left on device): the accounts are kept there"
    )
    with pytest.raises(OSError, match="Broken pipe"), writing(path, "the accounts"):
        raise OSError(errno.EPIPE, "Broken pipe")


def test_a_sqlite_store_in_a_missing_directory_is_named(tmp_path: Path) -> None:
    problem = unwritable_sqlite_store(f"sqlite:///{tmp_path / 'no' / 'store.db'}")
    assert problem is not None
    assert str(problem).startswith(f"cannot write to {tmp_path / 'no'} (no such directory): ")
    assert unwritable_sqlite_store(f"sqlite:///{tmp_path / 'store.db'}") is None
    assert unwritable_sqlite_store("sqlite://") is None
    assert unwritable_sqlite_store("postgresql://db.example/contacts") is None


def test_a_failed_statement_names_no_value_it_was_given(store_url: str) -> None:
    """The store's errors are logged; their values are people's contacts and secrets."""
    store = Store.open(store_url)
    try:
        with store.write() as tx:
            tx.create_collection("alice", {})
        with store.engine.connect() as conn:
            row = dict(conn.execute(select(collections)).mappings().one())
        row.pop("id")
        with pytest.raises(IntegrityError) as raised, store.engine.begin() as conn:
            conn.execute(collections.insert(), {**row, "props": '{"secret": "secret-7Qx"}'})
    finally:
        store.close()
    assert "INSERT INTO collections" in str(raised.value)  # the path taken: a UNIQUE failed
    assert "secret-7Qx" not in str(raised.value)
