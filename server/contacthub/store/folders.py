"""Collections: principals, address books, calendars and plain folders."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Mapping

from sqlalchemy import Executable, bindparam, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from contacthub.store.changes import ChangesPart
from contacthub.store.errors import AlreadyExists, NotFound
from contacthub.store.paths import ancestors_of, check_path, parent_of
from contacthub.store.records import CollectionRecord
from contacthub.store.schema import collections

# The book every user has from the first login: iOS cannot create one.
DEFAULT_BOOK = "contacts"
DEFAULT_BOOK_PROPS = {"tag": "VADDRESSBOOK", "D:displayname": "Contacts"}

# Built once: every request looks collections up, and every write locks some.
# A deleted book in the trash (store/book_trash.py) is found by its id only, never by path.
_GET_COLLECTIONS = select(collections).where(
    collections.c.path.in_(bindparam("paths", expanding=True)), collections.c.deleted_at.is_(None)
)
# Most lookups are of a few paths (a CardDAV request's principal, its target and the
# target's parent); with plain parameters the statement is rendered once, and psycopg
# prepares it. Fewer paths repeat the last.
_FEW = 4
_GET_FEW = select(collections).where(
    or_(*(collections.c.path == bindparam(f"path{n}") for n in range(_FEW))),
    collections.c.deleted_at.is_(None),
)
_COLLECTION_IDS = select(collections.c.path, collections.c.id).where(
    collections.c.path.in_(bindparam("paths", expanding=True))
)
# Code-point order, whatever the database's collation: the order Python's sorted() checks.
_LOCK_COLLECTIONS = _COLLECTION_IDS.order_by(collections.c.path.collate("C")).with_for_update()


def _insert_once(dialect: type[sqlite.Insert] | type[postgresql.Insert]) -> Executable:
    """An insert that does nothing when the path is taken, even by a transaction that
    has not committed yet (PostgreSQL waits for it): creation is idempotent."""
    statement = dialect(collections).on_conflict_do_nothing(index_elements=[collections.c.path])
    return statement.returning(collections.c.id)


_INSERT_COLLECTION = {
    "sqlite": _insert_once(sqlite.Insert),
    "postgresql": _insert_once(postgresql.Insert),
}


class FoldersPart(ChangesPart):
    """A change of a collection's properties moves its position in the change log."""

    def get_collection(self, path: str) -> CollectionRecord | None:
        return self.get_collections([path]).get(path)

    def get_collections(self, paths: list[str]) -> dict[str, CollectionRecord]:
        if self.writable:
            return self._select_collections(paths)
        # A read transaction sees one snapshot: what it looked up once stays as it was.
        seen = self.collections_seen
        missing = [path for path in dict.fromkeys(paths) if path not in seen]
        if missing:
            found = self._select_collections(missing)
            seen.update((path, found.get(path)) for path in missing)
        return {path: record for path in paths if (record := seen[path]) is not None}

    def _select_collections(self, paths: list[str]) -> dict[str, CollectionRecord]:
        if not paths:
            return {}
        if len(paths) <= _FEW:
            padded = paths + paths[-1:] * (_FEW - len(paths))
            rows = self.conn.execute(_GET_FEW, {f"path{n}": path for n, path in enumerate(padded)})
        else:
            rows = self.conn.execute(_GET_COLLECTIONS, {"paths": paths})
        return {row.path: CollectionRecord.from_row(row) for row in rows}

    def collections_by_id(self, ids: Iterable[int]) -> dict[int, CollectionRecord]:
        wanted = list(set(ids))
        if not wanted:
            return {}
        rows = self.conn.execute(select(collections).where(collections.c.id.in_(wanted)))
        return {row.id: CollectionRecord.from_row(row) for row in rows}

    def require_collection(self, path: str) -> CollectionRecord:
        found = self.get_collection(path)
        if found is None:
            raise NotFound(f"no collection at {path!r}")
        return found

    def list_children(self, path: str) -> list[CollectionRecord]:
        """The collections directly below `path`, the default book first, then oldest first.

        The order is stable because macOS Contacts syncs only the first book it sees.
        """
        rows = self.conn.execute(select(collections).where(collections.c.parent_path == path))
        children = [CollectionRecord.from_row(row) for row in rows]
        children.sort(key=lambda c: (c.name != DEFAULT_BOOK, c.created_at, c.id))
        return children

    def lock_collections(self, paths: Iterable[str]) -> None:
        """Hold the locks of the collections at `paths` (those that exist) until the end.

        On PostgreSQL a row lock per collection (SELECT ... FOR UPDATE, in path order):
        writers of different books never wait for each other. SQLite has one writer at a
        time (BEGIN IMMEDIATE), but the order is checked there too, so a writer that
        breaks it fails on either database (LockOrderError; see the store's docstring).
        """
        wanted = self.locks.to_lock(paths)
        if not wanted:
            return
        statement = _LOCK_COLLECTIONS if not self.is_sqlite else _COLLECTION_IDS
        for row in self.conn.execute(statement, {"paths": wanted}):
            self.locks.took(row.path, row.id)

    def create_collection(
        self, path: str, props: Mapping[str, str] | None = None
    ) -> CollectionRecord:
        """Create the collection at `path`, and any missing folders above it; AlreadyExists
        if there is one (also when another transaction created it a moment ago)."""
        check_path(path)
        if self.get_collection(path) is not None:
            raise AlreadyExists(f"a collection already exists at {path!r}")
        created = self._create(path, dict(props or {}))
        if created is None:
            raise AlreadyExists(f"a collection already exists at {path!r}")
        return created

    def ensure_collection(
        self, path: str, props: Mapping[str, str] | None = None
    ) -> CollectionRecord:
        """The collection at `path`, created with `props` if there is none. Any number of
        transactions may ask at once: one creates it, the others find it."""
        check_path(path)
        found = self.get_collection(path) or self._create(path, dict(props or {}))
        return found or self.require_collection(path)

    def ensure_default_book(self, user: str) -> CollectionRecord:
        self.ensure_collection(user)
        return self.ensure_collection(f"{user}/{DEFAULT_BOOK}", DEFAULT_BOOK_PROPS)

    def set_props(self, collection: CollectionRecord, props: Mapping[str, str]) -> CollectionRecord:
        """Replace the collection's properties (Radicale's set_meta semantics)."""
        self.lock_collections([collection.path])
        self.conn.execute(
            update(collections)
            .where(collections.c.id == collection.id)
            .values(props=json.dumps(dict(props), sort_keys=True), tag=props.get("tag", ""))
        )
        self.bump(collection.id)
        return self.require_collection(collection.path)

    def _create(self, path: str, props: dict[str, str]) -> CollectionRecord | None:
        """Insert the collection and any missing folders above it; None if another
        transaction inserted `path` first."""
        for ancestor in ancestors_of(path):
            if self.get_collection(ancestor) is None:
                self._insert(ancestor, {})
        return self._insert(path, props)

    def _insert(self, path: str, props: dict[str, str]) -> CollectionRecord | None:
        """Insert one collection, unless the path is taken (None then).

        A new collection is a write to its parent, so the parent's row is locked first.
        A principal has no parent row: its insert is the lock (a second insert of the
        path waits for the first transaction, then does nothing).
        """
        parent = parent_of(path)
        if parent:
            self.lock_collections([parent])
        else:
            self.locks.to_lock([path])
        now = time.time()
        collection_id = self.conn.execute(
            _INSERT_COLLECTION[self.conn.dialect.name],
            {
                "path": path,
                "parent_path": parent,
                "uuid": str(uuid.uuid4()),
                "tag": props.get("tag", ""),
                "props": json.dumps(props, sort_keys=True),
                "sync_seq": 0,
                "history_floor": 0,
                "created_at": now,
                "modified_at": now,
            },
        ).scalar()
        if collection_id is None:
            return None
        self.locks.took(path, collection_id)
        return self.require_collection(path)
