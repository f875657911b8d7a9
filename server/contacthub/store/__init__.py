"""The store: the only code that writes rows.

Every change goes through a `Transaction` taken from `Store.write()`, which
assigns the ETag, updates the index columns and appends to the change log in
the same database transaction. Readers get a consistent snapshot from
`Store.read()`.

Everything other packages use is imported from here: the records the store hands out
and takes in, its errors, the search filters and the few helpers on names and tokens.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from contacthub.store.changes import format_token
from contacthub.store.engine import DEFAULT_BUSY_TIMEOUT, is_busy, is_sqlite, make_engine
from contacthub.store.errors import (
    AlreadyExists,
    InvalidSyncToken,
    NotFound,
    PreconditionFailed,
    StoreBusy,
    StoreError,
    UidConflict,
    UnsafeName,
)
from contacthub.store.folders import DEFAULT_BOOK, DEFAULT_BOOK_PROPS
from contacthub.store.items import etag_of
from contacthub.store.paths import check_name, parent_of
from contacthub.store.records import (
    CollectionRecord,
    ContactIndex,
    ItemData,
    ItemRecord,
    Lease,
    Link,
    RunRecord,
    SourceRecord,
    StagedChange,
    Upload,
)
from contacthub.store.search import (
    INDEXED_PROPERTIES,
    MATCH_TYPES,
    CardFilter,
    FilterGroup,
    PropertyPresence,
    TextMatch,
)
from contacthub.store.staging import Staging, StagingLost
from contacthub.store.transaction import Transaction

__all__ = [
    "DEFAULT_BOOK",
    "DEFAULT_BUSY_TIMEOUT",
    "DEFAULT_BOOK_PROPS",
    "INDEXED_PROPERTIES",
    "MATCH_TYPES",
    "AlreadyExists",
    "CardFilter",
    "CollectionRecord",
    "ContactIndex",
    "FilterGroup",
    "InvalidSyncToken",
    "ItemData",
    "ItemRecord",
    "Lease",
    "Link",
    "NotFound",
    "PreconditionFailed",
    "PropertyPresence",
    "RunRecord",
    "SourceRecord",
    "StagedChange",
    "Staging",
    "StagingLost",
    "Store",
    "StoreBusy",
    "StoreError",
    "TextMatch",
    "Transaction",
    "UidConflict",
    "UnsafeName",
    "Upload",
    "check_name",
    "etag_of",
    "format_token",
    "parent_of",
]

DEFAULT_HISTORY_RETENTION = 30 * 24 * 3600  # seconds, as Radicale's max_sync_token_age


class Store:
    def __init__(self, engine: Engine, *, history_retention: float) -> None:
        self.engine = engine
        self.history_retention = history_retention

    @classmethod
    def open(
        cls,
        url: str,
        *,
        history_retention: float = DEFAULT_HISTORY_RETENTION,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        upgrade: bool = True,
    ) -> Store:
        """Connect to the store at `url`, bringing its schema up to date."""
        engine = make_engine(url, busy_timeout=busy_timeout)
        if upgrade:
            from contacthub.store.migrate import upgrade as upgrade_schema

            upgrade_schema(engine)
        return cls(engine, history_retention=history_retention)

    @contextmanager
    def read(self) -> Iterator[Transaction]:
        """A consistent snapshot: no torn reads while writers commit."""
        if is_sqlite(self.engine):
            options: dict[str, object] = {"sqlite_begin": "DEFERRED"}
        else:
            options = {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        with self.engine.connect().execution_options(**options) as conn, conn.begin():
            yield Transaction(self, conn, writable=False)

    @contextmanager
    def write(self, lock_paths: list[str] | None = None) -> Iterator[Transaction]:
        """A write transaction holding the locks of `lock_paths` (see lock_collections).

        Raises StoreBusy when SQLite's busy timeout passes while others write.
        """
        options = {"sqlite_begin": "IMMEDIATE"} if is_sqlite(self.engine) else {}
        try:
            with self.engine.connect().execution_options(**options) as conn, conn.begin():
                tx = Transaction(self, conn, writable=True)
                tx.lock_collections(lock_paths or [])
                yield tx
        except OperationalError as error:
            if is_busy(error):
                raise StoreBusy() from error
            raise

    def close(self) -> None:
        self.engine.dispose()
