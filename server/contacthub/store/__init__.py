"""The store: the only code that writes rows.

Every change goes through a `Transaction` taken from `Store.write()`, which
assigns the ETag, updates the index columns and appends to the change log in
the same database transaction. Readers get a consistent snapshot from
`Store.read()`.

Everything other packages use is imported from here: the records the store hands out
and takes in, its errors, the search filters and the few helpers on names and tokens.

The lock order. CardDAV requests, the API, the admin page, source runs, a phone's push,
the scheduler and the sessions all write at once (two server processes on one PostgreSQL
too). They cannot deadlock because every write transaction takes its locks in one order:

1. Collection rows, in path order (code points, so a parent before its children), each
   before the first write to the collection: its row (counters, properties), its items
   and its change log. A new collection is a write to its parent; a principal, which has
   no parent row, is locked by its own insert. `Store.write(paths)` locks the collections
   a writer names up front, in one statement; the store's methods lock the collection
   they write (`lock_collections`), which costs nothing when it is held already.
2. Then any other row: sources with their leases, links, runs and uploads (sources in
   id order), accounts, ended sessions.

Items and change-log rows need no place of their own: only the holder of their
collection's lock writes them. A transaction that asks for a collection after a lock
further down the order, or after writing another row, gets LockOrderError, on SQLite
(one writer at a time, no row locks) as on PostgreSQL: a writer that would deadlock
under load fails the first test that runs it. A writer that may touch several
collections names them all in `Store.write(paths)`. Creation is idempotent: an insert
of a collection or source that another transaction made meanwhile does nothing
(`ensure_collection`, `ensure_source`), and a strict create answers AlreadyExists.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from contacthub.store import revision, text_index
from contacthub.store.actor import Actor
from contacthub.store.alerts import AlertRecord, ClientDeletion
from contacthub.store.book_trash import DeletedBook, purge_deleted_books
from contacthub.store.changes import format_token
from contacthub.store.checkpoints import WalCheckpoints
from contacthub.store.duplicates import (
    Card,
    CardFacts,
    CardIdentity,
    CardKey,
    DuplicateSettings,
    IndexedBook,
    IndexedCard,
    KeptGroup,
    KeptReason,
    KeyHolder,
    Member,
    SharedKey,
)
from contacthub.store.engine import (
    DEFAULT_BUSY_TIMEOUT,
    is_busy,
    is_sqlite,
    make_engine,
    plan_writes_for_their_values,
    refresh_statistics,
)
from contacthub.store.errors import (
    AlreadyExists,
    CannotWrite,
    InvalidSyncToken,
    NotFound,
    PreconditionFailed,
    StorageFull,
    StoreBusy,
    StoreError,
    UidConflict,
    UnsafeName,
)
from contacthub.store.faults import (
    check_store_writable,
    is_storage_full,
    storage_full_translated,
    write_whole,
    writing,
)
from contacthub.store.folders import DEFAULT_BOOK, DEFAULT_BOOK_PROPS
from contacthub.store.groups import GROUP_FORM, GROUP_FORMS, GroupSummary, group_form
from contacthub.store.items import etag_of
from contacthub.store.locks import LockOrderError
from contacthub.store.merges import MergeRecord
from contacthub.store.paths import NAME_LIMIT, check_name, parent_of
from contacthub.store.records import (
    BOOK_VIEWS,
    AppPassword,
    BookView,
    CollectionRecord,
    ContactIndex,
    ItemData,
    ItemHead,
    ItemRecord,
    Lease,
    Link,
    LinkOp,
    RunRecord,
    SourceRecord,
    StagedChange,
    Upload,
)
from contacthub.store.reserve import SpaceReserve
from contacthub.store.search import (
    INDEXED_PROPERTIES,
    MATCH_TYPES,
    CardFilter,
    FilterGroup,
    PropertyPresence,
    TextMatch,
)
from contacthub.store.settling import Settlers
from contacthub.store.staging import Staging, StagingLost, publish_together
from contacthub.store.transaction import Transaction
from contacthub.store.versions import VersionRecord, prune_history

__all__ = [
    "BOOK_VIEWS",
    "NAME_LIMIT",
    "BookView",
    "Card",
    "CardFacts",
    "CardIdentity",
    "CardKey",
    "DuplicateSettings",
    "IndexedBook",
    "IndexedCard",
    "KeptGroup",
    "KeptReason",
    "KeyHolder",
    "Member",
    "SharedKey",
    "GROUP_FORM",
    "GROUP_FORMS",
    "GroupSummary",
    "group_form",
    "Actor",
    "AlertRecord",
    "ClientDeletion",
    "DEFAULT_BOOK",
    "DEFAULT_BUSY_TIMEOUT",
    "DEFAULT_BOOK_PROPS",
    "INDEXED_PROPERTIES",
    "MATCH_TYPES",
    "AlreadyExists",
    "AppPassword",
    "CannotWrite",
    "CardFilter",
    "CollectionRecord",
    "DeletedBook",
    "ContactIndex",
    "FilterGroup",
    "InvalidSyncToken",
    "ItemData",
    "ItemHead",
    "ItemRecord",
    "Lease",
    "LockOrderError",
    "Link",
    "LinkOp",
    "MergeRecord",
    "NotFound",
    "PreconditionFailed",
    "PropertyPresence",
    "RunRecord",
    "SourceRecord",
    "StagedChange",
    "Staging",
    "StagingLost",
    "StorageFull",
    "Store",
    "StoreBusy",
    "StoreError",
    "TextMatch",
    "Transaction",
    "UidConflict",
    "UnsafeName",
    "Upload",
    "VersionRecord",
    "check_name",
    "etag_of",
    "format_token",
    "fault_of",
    "is_storage_full",
    "parent_of",
    "prune_history",
    "purge_deleted_books",
    "publish_together",
    "write_whole",
    "writing",
]

DEFAULT_HISTORY_RETENTION = 30 * 24 * 3600  # seconds, as Radicale's max_sync_token_age


class Store:
    def __init__(
        self,
        engine: Engine,
        *,
        history_retention: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine = engine
        # How long the change log keeps deletions and the history keeps versions (one
        # setting: the README says why).
        self.history_retention = history_retention
        # When a version was written, and when versions expire (tests turn it by hand).
        self.clock = clock
        self._checkpoints = WalCheckpoints(engine) if is_sqlite(engine) else None
        self._settlers = Settlers()
        self._reserve = SpaceReserve.of(engine.url)
        # Counts the changes of an account's sign-in rule this process committed: the
        # rule's readers (contacthub.logins) drop what they read before, at once.
        self.account_rules_version = 0

    @classmethod
    def open(
        cls,
        url: str,
        *,
        history_retention: float = DEFAULT_HISTORY_RETENTION,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        upgrade: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> Store:
        """Connect to the store at `url`, bringing its schema up to date.

        StorageFull if the disk is full; CannotWrite if a SQLite store's file or
        directory cannot be written (it names the path and what is wrong).
        """
        check_store_writable(url)
        with storage_full_translated():
            engine = make_engine(url, busy_timeout=busy_timeout)
            if upgrade and not revision.is_current(engine):
                from contacthub.store.migrate import upgrade as upgrade_schema

                upgrade_schema(engine)
            text_index.warn_if_missing(engine)
        store = cls(engine, history_retention=history_retention, clock=clock)
        store.keep_reserve()
        return store

    @contextmanager
    def read(self) -> Iterator[Transaction]:
        """A consistent snapshot: no torn reads while writers commit.

        A full disk does not stop reads; one that needs room (PostgreSQL's temporary
        files of a large sort) raises StorageFull.
        """
        if is_sqlite(self.engine):
            options: dict[str, object] = {"sqlite_begin": "DEFERRED"}
        else:
            options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        with (
            storage_full_translated(),
            self.engine.connect().execution_options(**options) as conn,
            conn.begin(),
        ):
            yield Transaction(self, conn, writable=False)

    @contextmanager
    def write(
        self, lock_paths: list[str] | None = None, *, actor: Actor | None = None
    ) -> Iterator[Transaction]:
        """A write transaction that first locks the collections at `lock_paths` (those that
        exist), in path order: every collection it will write, or whose children it will
        create, unless it writes only one (the store then locks that one itself).

        `actor` is who writes and through what: the versions of the cards written keep it
        (a transaction that writes a card without one records 'unknown' and logs it).

        All or nothing: on a full disk nothing of it is kept, and StorageFull is raised
        (from a statement or from the commit). StoreBusy when SQLite's busy timeout passes
        while others write.
        """
        options = {"sqlite_begin": "IMMEDIATE"} if is_sqlite(self.engine) else {}
        try:
            with (
                storage_full_translated(),
                self.engine.connect().execution_options(**options) as conn,
                conn.begin(),
            ):
                plan_writes_for_their_values(conn)
                tx = Transaction(self, conn, writable=True, actor=actor)
                tx.lock_collections(lock_paths or [])
                yield tx
        except OperationalError as error:
            if is_busy(error):
                raise StoreBusy() from error
            raise
        for then in tx.after_commit:
            then()
        if self._checkpoints is not None:
            self._checkpoints.wrote()

    def note_account_rules_changed(self) -> None:
        self.account_rules_version += 1

    def checkpoint(self) -> None:
        """On SQLite, copy the WAL into the database now, as far as readers allow, and
        make a long one start over. A run does it between its transactions; other writers
        leave it to the store's thread (store/checkpoints.py)."""
        if self._checkpoints is not None:
            self._checkpoints.checkpoint(keep_small=True)

    def refresh_statistics(self) -> None:
        """After a write of thousands of rows: see engine.refresh_statistics."""
        refresh_statistics(self.engine)

    def keep_reserve(self) -> None:
        """On SQLite, keep room on the disk for a run that meets a full one to end
        cleanly (store/reserve.py); a run does it as it starts."""
        if self._reserve is not None:
            self._reserve.keep()

    def release_reserve(self) -> None:
        """A run met a full disk: give it the room kept for its last writes."""
        if self._reserve is not None:
            self._reserve.release()

    def settle_in_background(self, name: str, settle: Callable[[], None]) -> None:
        """Run `settle` (the settling of a published run) in a thread; `close` waits for
        it (store/settling.py says why)."""
        self._settlers.start(name, settle)

    def close(self) -> None:
        self._settlers.join()
        if self._checkpoints is not None:
            self._checkpoints.close()
        self.engine.dispose()


def fault_of(error: BaseException) -> StorageFull | StoreBusy | None:
    """The store's refusal that `error` is, if it is one: a full disk or a busy store.
    An error met inside a transaction is raw until it leaves `Store.write()`; a caller
    that must answer before then (a CardDAV request whose commit waits for its answer)
    asks here."""
    if isinstance(error, StorageFull | StoreBusy):
        return error
    if is_storage_full(error):
        return StorageFull()
    if isinstance(error, OperationalError) and is_busy(error):
        return StoreBusy()
    return None
