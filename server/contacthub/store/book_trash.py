"""The trash of deleted address books: deleting a book retires it, restoring brings it back.

Deleting a collection is the one write path for whole books (a CardDAV client's DELETE,
the API's and the admin page's delete): an address book is not destroyed but kept, with
its cards, change log and versions, moved to a path in the trash no principal can reach
(".trash/<owner>/<id>": no user name starts with a dot, and a principal's rights cover
only its own path), so its old path is free at once and no listing, discovery, search or
source sees it. Retiring and restoring are one UPDATE of the collection's row. Other
collections (principals, plain folders, calendars) are deleted as before: every address
book below them is retired first, each on its own.

A restored book gets a new `uuid`: for a client it is a new incarnation of the path, so
the sync tokens it had are refused and it syncs afresh. A book is kept until the store's
retention (`[store] history_retention`) ends; pruning then purges it in bounded batches.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, or_, select, update

from contacthub.store.errors import NotFound
from contacthub.store.folders import FoldersPart
from contacthub.store.paths import ancestors_of, descendants_range, parent_of
from contacthub.store.records import CollectionRecord
from contacthub.store.schema import (
    changes,
    collections,
    duplicate_keys,
    items,
    sources,
    versions,
)

if TYPE_CHECKING:
    from contacthub.store import Store

BOOK_TAG = "VADDRESSBOOK"
TRASH = ".trash"


def trash_folder(owner: str) -> str:
    return f"{TRASH}/{owner}"


def owner_of_path(path: str) -> str:
    return path.split("/", 1)[0]


@dataclass(frozen=True)
class DeletedBook:
    """An address book in the trash: the path it had, its properties, and when and by
    whom (account, door, User-Agent) it was deleted."""

    id: int
    owner: str
    path: str
    trash_path: str
    props: dict[str, str]
    deleted_at: float
    account: str
    via: str
    agent: str

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def display_name(self) -> str:
        return self.props.get("D:displayname") or self.name

    @classmethod
    def from_row(cls, row: Any) -> DeletedBook:
        return cls(
            id=row.id,
            owner=owner_of_path(row.deleted_path),
            path=row.deleted_path,
            trash_path=row.path,
            props=json.loads(row.props),
            deleted_at=row.deleted_at,
            account=row.deleted_account or "",
            via=row.deleted_via or "unknown",
            agent=row.deleted_agent or "",
        )


class BookTrashPart(FoldersPart):
    """Deleting collections (address books into the trash), the trash, and restoring."""

    def delete_collection(self, path: str) -> list[CollectionRecord]:
        """Delete the collection and every collection below it: address books go to the
        trash (returned, as they were), the others are deleted with what they hold."""
        low, high = descendants_range(path)
        # The range holds in code point order only: a PostgreSQL database's own collation
        # may ignore the "/" and put other paths between the bounds.
        ordered = collections.c.path if self.is_sqlite else collections.c.path.collate("C")
        at_or_below = or_(collections.c.path == path, and_(ordered >= low, ordered < high))
        found = [
            CollectionRecord.from_row(row)
            for row in self.conn.execute(select(collections).where(at_or_below))
        ]
        if not found:
            raise NotFound(f"no collection at {path!r}")
        self.lock_collections(record.path for record in found)
        books = [record for record in found if record.tag == BOOK_TAG]
        moved = {book.path: self._retire(book) for book in books}
        others = [record.id for record in found if record.tag != BOOK_TAG]
        if others:
            self.conn.execute(collections.delete().where(collections.c.id.in_(others)))
        # The sources of a book go with it: their runs find no book (as before), and
        # none writes into a new book made at the path meanwhile, with links of the old.
        self._move_sources(moved)
        return books

    def _move_sources(self, moved: dict[str, str]) -> None:
        for old, new in moved.items():
            self.wrote_other_rows("sources")
            self.conn.execute(
                update(sources).where(sources.c.book_path == old).values(book_path=new)
            )

    def _retire(self, book: CollectionRecord) -> str:
        """Move the book into the trash; its path there."""
        owner = owner_of_path(book.path)
        trash_path = f"{trash_folder(owner)}/{book.id}"
        actor = self.actor
        self.conn.execute(
            update(collections)
            .where(collections.c.id == book.id)
            .values(
                path=trash_path,
                parent_path=trash_folder(owner),
                deleted_at=self.store.clock(),
                deleted_path=book.path,
                deleted_account=actor.account if actor else "",
                deleted_via=actor.via if actor else "unknown",
                deleted_agent=actor.agent if actor else "",
            )
        )
        return trash_path

    def deleted_books(self, owner: str, since: float) -> list[DeletedBook]:
        """The owner's books deleted since `since` (older ones are past the retention),
        newest first."""
        rows = self.conn.execute(
            select(collections).where(
                collections.c.parent_path == trash_folder(owner),
                collections.c.deleted_at >= since,
            )
        )
        found = [DeletedBook.from_row(row) for row in rows]
        return sorted(found, key=lambda book: (-book.deleted_at, -book.id))

    def get_deleted_book(self, owner: str, book_id: int, since: float) -> DeletedBook | None:
        row = self.conn.execute(
            select(collections).where(
                collections.c.id == book_id,
                collections.c.parent_path == trash_folder(owner),
                collections.c.deleted_at >= since,
            )
        ).first()
        return DeletedBook.from_row(row) if row else None

    def restore_deleted_book(self, book: DeletedBook) -> CollectionRecord:
        """Bring the book back at the path it had, or beside it ("-restored") if another
        book took that path meanwhile, as a new incarnation (new uuid), with the sources
        that fed it."""
        self.lock_collections([book.trash_path, parent_of(book.path)])
        target = self._free_path(book.path)
        for ancestor in ancestors_of(target):
            if self.get_collection(ancestor) is None:
                self._insert(ancestor, {})
        self.conn.execute(
            update(collections)
            .where(collections.c.id == book.id)
            .values(
                path=target,
                parent_path=parent_of(target),
                uuid=str(uuid.uuid4()),
                modified_at=time.time(),
                deleted_at=None,
                deleted_path=None,
                deleted_account=None,
                deleted_via=None,
                deleted_agent=None,
            )
        )
        self._move_sources({book.trash_path: target})
        return self.require_collection(target)

    def _free_path(self, path: str) -> str:
        if self.get_collection(path) is None:
            return path
        number = 1
        while True:
            candidate = f"{path}-restored" + (f"-{number}" if number > 1 else "")
            if self.get_collection(candidate) is None:
                return candidate
            number += 1

    # -- purging ---------------------------------------------------------------------------

    def books_to_purge(self, cutoff: float) -> list[tuple[int, str]]:
        """(id, trash path) of the books deleted before `cutoff`."""
        rows = self.conn.execute(
            select(collections.c.id, collections.c.path).where(collections.c.deleted_at < cutoff)
        )
        return [(row.id, row.path) for row in rows]

    def purge_some(self, book_id: int, trash_path: str, cutoff: float, limit: int) -> bool:
        """Forget up to `limit` rows of each kind of the deleted book (cards, versions,
        change log), and the book once nothing is left; whether it is gone."""
        self.lock_collections([trash_path])
        still_due = self.conn.execute(
            select(collections.c.id).where(
                collections.c.id == book_id, collections.c.deleted_at < cutoff
            )
        ).first()
        if still_due is None:
            return True
        left = 0
        for table, key in ((items, items.c.id), (versions, versions.c.id)):
            ids = self._first_ids(key, table.c.collection_id == book_id, limit)
            if ids:
                self.conn.execute(table.delete().where(key.in_(ids)))
            left += len(ids)
        # (The duplicates' keys have no foreign key to cascade them: schema.duplicate_keys.)
        for table in (changes, duplicate_keys):
            hrefs = self._first_ids(table.c.href, table.c.collection_id == book_id, limit)
            if hrefs:
                self.conn.execute(
                    table.delete().where(table.c.collection_id == book_id, table.c.href.in_(hrefs))
                )
            left += len(hrefs)
        if left:
            return False
        self.conn.execute(collections.delete().where(collections.c.id == book_id))
        return True

    def _first_ids(self, key: Any, where: Any, limit: int) -> Sequence[Any]:
        return list(self.conn.execute(select(key).where(where).limit(limit)).scalars())


def purge_deleted_books(store: Store, *, batch: int = 2000, most_batches: int = 50) -> int:
    """Purge the books deleted longer ago than the store's retention, at most
    `most_batches` transactions of `batch` rows of each kind; returns how many books went.
    The scheduler calls it at every tick, so a large book goes over a few ticks."""
    cutoff = store.clock() - store.history_retention
    with store.read() as tx:
        due = tx.books_to_purge(cutoff)
    purged = 0
    batches = 0
    for book_id, trash_path in due:
        gone = False
        while not gone and batches < most_batches:
            with store.write() as tx:
                gone = tx.purge_some(book_id, trash_path, cutoff, batch)
            batches += 1
        purged += gone
    return purged
