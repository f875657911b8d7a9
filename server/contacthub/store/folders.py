"""Collections: principals, address books, calendars and plain folders."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping

from sqlalchemy import and_, bindparam, or_, select, update

from contacthub.store.changes import ChangesPart
from contacthub.store.errors import AlreadyExists, NotFound
from contacthub.store.paths import ancestors_of, check_path, descendants_range, parent_of
from contacthub.store.records import CollectionRecord
from contacthub.store.schema import collections

# The book every user has from the first login: iOS cannot create one.
DEFAULT_BOOK = "contacts"
DEFAULT_BOOK_PROPS = {"tag": "VADDRESSBOOK", "D:displayname": "Contacts"}

# Built once: every request looks collections up.
_GET_COLLECTIONS = select(collections).where(
    collections.c.path.in_(bindparam("paths", expanding=True))
)


class FoldersPart(ChangesPart):
    """A change of a collection's properties moves its position in the change log."""

    def get_collection(self, path: str) -> CollectionRecord | None:
        return self.get_collections([path]).get(path)

    def get_collections(self, paths: list[str]) -> dict[str, CollectionRecord]:
        rows = self.conn.execute(_GET_COLLECTIONS, {"paths": paths})
        return {row.path: CollectionRecord.from_row(row) for row in rows}

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

    def lock_collections(self, paths: list[str]) -> None:
        """Hold the write lock of these collections (or their parents) until the end.

        On PostgreSQL a row lock per collection: writers of different books
        never wait for each other. SQLite has one writer at a time anyway, and
        the transaction took its lock at BEGIN IMMEDIATE.
        """
        if self.is_sqlite or not paths:
            return
        wanted = sorted({p for path in paths for p in (path, parent_of(path))})
        self.conn.execute(
            select(collections.c.id)
            .where(collections.c.path.in_(wanted))
            .order_by(collections.c.path)
            .with_for_update()
        ).all()

    def create_collection(
        self, path: str, props: Mapping[str, str] | None = None
    ) -> CollectionRecord:
        """Create the collection at `path`, and any missing folders above it."""
        check_path(path)
        if self.get_collection(path) is not None:
            raise AlreadyExists(f"a collection already exists at {path!r}")
        for ancestor in ancestors_of(path):
            if self.get_collection(ancestor) is None:
                self._insert(ancestor, {})
        return self._insert(path, dict(props or {}))

    def ensure_collection(
        self, path: str, props: Mapping[str, str] | None = None
    ) -> CollectionRecord:
        return self.get_collection(path) or self.create_collection(path, props)

    def ensure_default_book(self, user: str) -> CollectionRecord:
        self.ensure_collection(user)
        return self.ensure_collection(f"{user}/{DEFAULT_BOOK}", DEFAULT_BOOK_PROPS)

    def set_props(self, collection: CollectionRecord, props: Mapping[str, str]) -> CollectionRecord:
        """Replace the collection's properties (Radicale's set_meta semantics)."""
        self.conn.execute(
            update(collections)
            .where(collections.c.id == collection.id)
            .values(props=json.dumps(dict(props), sort_keys=True), tag=props.get("tag", ""))
        )
        self.bump(collection.id)
        return self.require_collection(collection.path)

    def delete_collection(self, path: str) -> None:
        """Delete the collection, everything in it and every collection below it."""
        low, high = descendants_range(path)
        deleted = self.conn.execute(
            collections.delete().where(
                or_(
                    collections.c.path == path,
                    and_(collections.c.path >= low, collections.c.path < high),
                )
            )
        ).rowcount
        if not deleted:
            raise NotFound(f"no collection at {path!r}")

    def _insert(self, path: str, props: dict[str, str]) -> CollectionRecord:
        now = time.time()
        self.conn.execute(
            collections.insert().values(
                path=path,
                parent_path=parent_of(path),
                uuid=str(uuid.uuid4()),
                tag=props.get("tag", ""),
                props=json.dumps(props, sort_keys=True),
                sync_seq=0,
                history_floor=0,
                created_at=now,
                modified_at=now,
            )
        )
        return self.require_collection(path)
