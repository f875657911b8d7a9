"""Items: vCards and calendar objects, kept as the client sent them."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from hashlib import sha256
from itertools import islice
from typing import Any

from sqlalchemy import LargeBinary, any_, bindparam, cast, func, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from contacthub.store.bulk import insert_rows
from contacthub.store.changes import ChangesPart
from contacthub.store.errors import NotFound, PreconditionFailed, UidConflict
from contacthub.store.folders import FoldersPart
from contacthub.store.group_cards import GROUP_MARK, is_group_card
from contacthub.store.index_values import framed
from contacthub.store.paths import check_name
from contacthub.store.records import HEAD_LENGTH, CollectionRecord, ItemData, ItemHead, ItemRecord
from contacthub.store.schema import (
    NEVER,
    collections,
    items,
    pending_changes,
    pending_links,
    stagings,
)
from contacthub.store.streaming import BATCH, every_row, groups_by_size, rows_of
from contacthub.store.versions import (
    DELETE_RETURNING_IMAGE,
    INDEX_COLUMNS,
    VersionsPart,
    Written,
)
from contacthub.store.visible import visible

# Enough hrefs per IN (...) to be quick, few enough for every database's limit.
_CHUNK = 500


def etag_of(text: str) -> str:
    """A strong, quoted ETag: the same formula as Radicale's, so both agree."""
    return f'"{sha256(text.encode()).hexdigest()}"'


def _marked(text: str, extra: tuple[str, ...]) -> tuple[str, ...]:
    """A group card's extra values start with GROUP_MARK: lists of people leave it out.
    Values a version kept (a restore) carry the mark already: it is put once."""
    values = tuple(value for value in extra if value != GROUP_MARK)
    return (GROUP_MARK, *values) if is_group_card(text) else values


def index_columns(data: ItemData) -> dict[str, str]:
    """The index columns of a card's row: its searchable values, framed."""
    index = data.index
    return {
        "idx_fn": framed(index.fn),
        "idx_email": framed(index.emails),
        "idx_tel": framed(index.phones),
        "idx_org": framed(index.orgs),
        "idx_extra": framed(_marked(data.text, index.extra)),
    }


def row_values(data: ItemData) -> dict[str, Any]:
    return {
        "uid": data.uid,
        "etag": etag_of(data.text),
        "text": data.text,
        "name": data.name,
        "component_name": data.component_name,
        "time_start": data.time_start,
        "time_end": data.time_end,
        "modified_at": time.time(),
        "display_name": data.index.display_name,
        **index_columns(data),
    }


# What an ItemRecord holds: the index columns stay in the database.
_RECORD = (
    items.c.id,
    items.c.collection_id,
    items.c.href,
    items.c.uid,
    items.c.etag,
    items.c.text,
    items.c.name,
    items.c.component_name,
    items.c.time_start,
    items.c.time_end,
    items.c.modified_at,
    items.c.display_name,
)

_IN_COLLECTION = items.c.collection_id == bindparam("collection_id")
_VISIBLE = visible(bindparam("collection_id"))
_ITEMS_OF_COLLECTION = select(*_RECORD).where(_IN_COLLECTION, _VISIBLE).order_by(items.c.href)
_FIRST_ITEMS_OF_COLLECTION = _ITEMS_OF_COLLECTION.limit(BATCH)
_EVERY_ITEM_OF_COLLECTION = _ITEMS_OF_COLLECTION.execution_options(yield_per=1000)

# Built once: every PUT runs these, and building a statement costs more than running it.
_GET_ITEM = select(*_RECORD).where(_IN_COLLECTION, items.c.href == bindparam("href"), _VISIBLE)
# The item at the href, and any other item that already has the UID, in one query; with
# the index columns, so the row is also what the version of a replaced item keeps.
_ITEM_OR_UID_OWNER = select(*_RECORD, *INDEX_COLUMNS).where(
    _IN_COLLECTION,
    or_(items.c.href == bindparam("href"), items.c.uid == bindparam("uid")),
    _VISIBLE,
)
# The items at a list of hrefs, by dialect. On PostgreSQL one array parameter (`= ANY`):
# the statement's text is the same for any number of hrefs, so psycopg and PostgreSQL
# prepare it once. An IN list of 100 was rendered, parsed by psycopg and planned at each
# execution: a sixth of a multiget's CPU. SQLite has no arrays.
_AT_HREFS = {
    "sqlite": items.c.href.in_(bindparam("hrefs", expanding=True)),
    "postgresql": items.c.href == any_(bindparam("hrefs", type_=ARRAY(items.c.href.type))),
}
_ITEMS_AT = {
    dialect: select(*_RECORD).where(_IN_COLLECTION, at, _VISIBLE)
    for dialect, at in _AT_HREFS.items()
}
# Bytes, without reading the texts out: PostgreSQL takes a stored text's length from its
# header. (`item_sizes` counts characters, as the answer budget does, which PostgreSQL
# finds only by reading each text, a photo's decompressed: not for choosing batches.)
_ITEM_LENGTHS = select(items.c.href, func.octet_length(items.c.text)).where(
    _IN_COLLECTION, _AT_HREFS["postgresql"], _VISIBLE
)
_ITEM_HEADS = {
    dialect: select(
        items.c.href,
        items.c.etag,
        items.c.name,
        func.length(items.c.text),
        func.substr(items.c.text, 1, HEAD_LENGTH),
    ).where(_IN_COLLECTION, at, _VISIBLE)
    for dialect, at in _AT_HREFS.items()
}
_HREF_OF_UID = select(items.c.href).where(_IN_COLLECTION, items.c.uid == bindparam("uid"), _VISIBLE)
_INSERT_ITEM = items.insert().returning(items.c.id)
_UPDATE_ITEM = update(items).where(items.c.id == bindparam("item_id"))
_BOOK_STATE = (
    select(collections.c.published_gen, stagings.c.gen, stagings.c.published)
    .select_from(collections.outerjoin(stagings, stagings.c.collection_id == collections.c.id))
    .where(collections.c.id == bindparam("collection_id"))
)


@dataclass(frozen=True, slots=True)
class BookState:
    """A collection's published generation, and the run writing ahead into it, if any."""

    published_gen: int
    staging_gen: int | None  # the generation a run is writing, not yet published

    @classmethod
    def of(cls, row: Any) -> BookState:
        staging = row.gen if row.gen is not None and not row.published else None
        return cls(row.published_gen, staging)


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    iterator = iter(values)
    while chunk := list(islice(iterator, _CHUNK)):
        yield chunk


class ItemsPart(FoldersPart, ChangesPart, VersionsPart):
    """An item's write locks its collection, goes into the change log and keeps the card
    it replaces as a version."""

    def get_item(self, collection_id: int, href: str) -> ItemRecord | None:
        row = self.conn.execute(_GET_ITEM, {"collection_id": collection_id, "href": href}).first()
        return ItemRecord.from_row(row) if row else None

    def get_items(self, collection_id: int, hrefs: Iterable[str]) -> dict[str, ItemRecord]:
        found: dict[str, ItemRecord] = {}
        items_at = _ITEMS_AT[self.conn.dialect.name]
        for chunk in _chunks(dict.fromkeys(hrefs)):
            rows = self.conn.execute(items_at, {"collection_id": collection_id, "hrefs": chunk})
            found.update((row.href, ItemRecord.from_row(row)) for row in rows)
        return found

    def stream_items(self, collection_id: int, hrefs: Iterable[str]) -> Iterator[ItemRecord]:
        """The items found at `hrefs`, in no particular order, read a few at a time: a
        reader that stops (a budget spent) has held no more than 16 cards, or on
        PostgreSQL a megabyte of them (or one card longer than that).

        Up to 16 hrefs (a phone's multiget after a sync) are read in one statement. For
        more on PostgreSQL, where each statement is a round trip, the texts' lengths are
        read first and the cards then in groups of at most a megabyte (store/streaming.py).
        SQLite's statements are calls in this process, and its cursor reads 16 rows at a
        time as they are asked for."""
        items_at = _ITEMS_AT[self.conn.dialect.name]
        for chunk in _chunks(dict.fromkeys(hrefs)):
            values = {"collection_id": collection_id, "hrefs": chunk}
            if self.is_sqlite or len(chunk) <= BATCH:
                rows = rows_of(self.conn, items_at, values, len(chunk))
                yield from (ItemRecord.from_row(row) for row in rows)
                continue
            lengths = self.conn.execute(_ITEM_LENGTHS, values)
            for group in groups_by_size((href, length) for href, length in lengths):
                rows = self.conn.execute(items_at, values | {"hrefs": group}).all()
                yield from (ItemRecord.from_row(row) for row in rows)

    def item_etags(self, collection_id: int, hrefs: Iterable[str]) -> Iterator[ItemHead]:
        """The ETag, length and head of each item found at `hrefs`, in no particular order:
        a listing of ETags, without reading the texts out."""
        heads = _ITEM_HEADS[self.conn.dialect.name]
        for chunk in _chunks(dict.fromkeys(hrefs)):
            rows = self.conn.execute(heads, {"collection_id": collection_id, "hrefs": chunk})
            yield from (ItemHead._make(row) for row in rows)

    def item_sizes(self, collection_id: int, hrefs: Iterable[str]) -> dict[str, int]:
        """The length of each found item's text, without reading the texts out."""
        sizes: dict[str, int] = {}
        for chunk in _chunks(dict.fromkeys(hrefs)):
            rows = self.conn.execute(
                select(items.c.href, func.length(items.c.text)).where(
                    items.c.collection_id == collection_id,
                    items.c.href.in_(chunk),
                    visible(collection_id),
                )
            )
            sizes.update((href, size) for href, size in rows)
        return sizes

    def text_bytes(self, collection_id: int) -> int:
        """The bytes (UTF-8) of all the collection's texts together, counted by the database."""
        if self.conn.dialect.name == "postgresql":
            size: Any = func.octet_length(items.c.text)
        else:
            size = func.length(cast(items.c.text, LargeBinary))
        total = self.conn.execute(
            select(func.coalesce(func.sum(size), 0)).where(
                items.c.collection_id == collection_id, visible(collection_id)
            )
        ).scalar_one()
        return int(total)

    def sizes_after(
        self, collection_id: int, after: str = "", limit: int | None = None
    ) -> Iterator[tuple[str, int]]:
        """The hrefs after `after` in href order (the first `limit`), each with its text's
        length, read as they are taken."""
        rows = self.conn.execute(
            select(items.c.href, func.length(items.c.text))
            .where(
                items.c.collection_id == collection_id,
                items.c.href > after,
                visible(collection_id),
            )
            .order_by(items.c.href)
            .limit(limit)
            .execution_options(yield_per=1000)
        )
        return ((href, size) for href, size in rows)

    def items_between(self, collection_id: int, after: str, last: str) -> list[ItemRecord]:
        """The items with hrefs after `after` up to `last`, in href order."""
        rows = self.conn.execute(
            select(*_RECORD)
            .where(
                items.c.collection_id == collection_id,
                items.c.href > after,
                items.c.href <= last,
                visible(collection_id),
            )
            .order_by(items.c.href)
        )
        return [ItemRecord.from_row(row) for row in rows]

    def iter_items(self, collection_id: int) -> Iterator[ItemRecord]:
        rows = every_row(
            self.conn,
            _FIRST_ITEMS_OF_COLLECTION,
            _EVERY_ITEM_OF_COLLECTION,
            {"collection_id": collection_id},
        )
        return (ItemRecord.from_row(row) for row in rows)

    def iter_hrefs(self, collection_id: int) -> Iterator[str]:
        """The hrefs of the collection; the query runs only when iterated."""
        rows = self.conn.execute(
            select(items.c.href).where(
                items.c.collection_id == collection_id, visible(collection_id)
            )
        )
        for row in rows:
            yield row.href

    def href_of_uid(self, collection_id: int, uid: str) -> str | None:
        return self.conn.execute(
            _HREF_OF_UID, {"collection_id": collection_id, "uid": uid}
        ).scalar()

    def put_item(
        self,
        collection: CollectionRecord,
        href: str,
        data: ItemData,
        *,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> tuple[ItemRecord, ItemRecord | None]:
        """Create or replace the item at `href`; returns (new, replaced).

        `if_match` and `if_none_match` have HTTP's meaning ("*" matches any
        existing item). Writing the same text again changes nothing.
        """
        check_name(href)
        self.lock_collections([collection.path])
        state = self.book_state(collection.id)
        self.cancel_staged(collection.id, state, [href], uid=data.uid)
        old: ItemRecord | None = None
        before: Any | None = None  # the replaced item's row, as its version keeps it
        for row in self.conn.execute(
            _ITEM_OR_UID_OWNER, {"collection_id": collection.id, "href": href, "uid": data.uid}
        ):
            if row.href == href:
                old, before = ItemRecord.from_row(row), row
            else:
                raise UidConflict(data.uid, row.href)
        _check_preconditions(href, old, if_match, if_none_match)
        values = row_values(data)
        if old is not None and old.etag == values["etag"]:
            return old, old
        if old is None:
            item_id = self.conn.execute(
                _INSERT_ITEM,
                {
                    "collection_id": collection.id,
                    "href": href,
                    "born": state.published_gen,
                    **values,
                },
            ).scalar_one()
        else:
            item_id = old.id
            self.conn.execute(_UPDATE_ITEM, {"item_id": item_id, **values})
        seq = self.record_change(collection.id, href, deleted=False)
        action = "add" if old is None else "update"
        self.record_versions(
            collection.id,
            [Written(href, action, before, data.uid, values["display_name"], seq)],
        )
        new = ItemRecord(
            id=item_id,
            collection_id=collection.id,
            href=href,
            uid=data.uid,
            etag=values["etag"],
            text=data.text,
            name=data.name,
            component_name=data.component_name,
            time_start=data.time_start,
            time_end=data.time_end,
            modified_at=values["modified_at"],
            display_name=values["display_name"],
        )
        return new, old

    def uids_of(self, collection_id: int) -> dict[str, str]:
        """UID -> href of every item of the collection."""
        rows = self.conn.execute(
            select(items.c.uid, items.c.href).where(
                items.c.collection_id == collection_id, visible(collection_id)
            )
        )
        return {row.uid: row.href for row in rows}

    def uid_etags_of(self, collection_id: int) -> dict[str, tuple[str, str]]:
        """UID -> (href, ETag) of every item of the collection."""
        rows = self.conn.execute(
            select(items.c.uid, items.c.href, items.c.etag).where(
                items.c.collection_id == collection_id, visible(collection_id)
            )
        )
        return {row.uid: (row.href, row.etag) for row in rows}

    def book_state(self, collection_id: int) -> BookState:
        """Read after the collection's lock: what a write may see and must respect."""
        row = self.conn.execute(_BOOK_STATE, {"collection_id": collection_id}).one()
        return BookState.of(row)

    def cancel_staged(
        self, collection_id: int, state: BookState, hrefs: list[str], *, uid: str | None = None
    ) -> None:
        """A client's write to these hrefs (or this UID) wins over what a run is writing
        ahead to them: the run's new versions go, the old ones no longer die, and the
        run's change log entries and links of them go too (the source tries again at
        its next run)."""
        gen = state.staging_gen
        if gen is None or not hrefs:
            return
        targets = (
            items.c.href.in_(hrefs)
            if uid is None
            else or_(items.c.href.in_(hrefs), items.c.uid == uid)
        )
        dropped = self.conn.execute(
            items.delete()
            .where(items.c.collection_id == collection_id, items.c.born == gen, targets)
            .returning(items.c.href)
        ).scalars()
        touched = {*hrefs, *dropped}
        self.conn.execute(
            update(items)
            .where(
                items.c.collection_id == collection_id,
                items.c.href.in_(hrefs),
                items.c.dies == gen,
            )
            .values(dies=NEVER)
        )
        self.conn.execute(
            pending_changes.delete().where(
                pending_changes.c.collection_id == collection_id,
                pending_changes.c.gen == gen,
                pending_changes.c.href.in_(touched),
            )
        )
        self.conn.execute(
            pending_links.delete().where(
                pending_links.c.collection_id == collection_id,
                pending_links.c.gen == gen,
                pending_links.c.href.in_(touched),
            )
        )
        self.drop_staged_versions(collection_id, gen, touched)

    def add_items(self, collection: CollectionRecord, new: list[tuple[str, ItemData]]) -> None:
        """Insert many items in one statement; the caller has checked hrefs and UIDs are free.

        A duplicate still fails the whole transaction (unique constraints).
        """
        for href, _ in new:
            check_name(href)
        self.lock_collections([collection.path])
        if not new:
            return
        state = self.book_state(collection.id)
        for chunk in _chunks(href for href, _ in new):
            self.cancel_staged(collection.id, state, chunk)
        insert_rows(
            self.conn,
            items,
            [
                {
                    "collection_id": collection.id,
                    "href": href,
                    "born": state.published_gen,
                    **row_values(data),
                }
                for href, data in new
            ],
        )
        first = self.record_changes(collection.id, [href for href, _ in new], deleted=False)
        self.record_versions(
            collection.id,
            [
                Written(href, "add", None, data.uid, data.index.display_name, first + offset)
                for offset, (href, data) in enumerate(new)
            ],
        )

    def delete_item(
        self, collection: CollectionRecord, href: str, *, if_match: str | None = None
    ) -> ItemRecord:
        self.lock_collections([collection.path])
        self.cancel_staged(collection.id, self.book_state(collection.id), [href])
        old = self.get_item(collection.id, href)
        if old is None:
            raise NotFound(f"no item {href!r} in {collection.path!r}")
        _check_preconditions(href, old, if_match, False)
        before = self.conn.execute(DELETE_RETURNING_IMAGE, {"item_id": old.id}).one()
        seq = self.record_change(collection.id, href, deleted=True)
        self.record_versions(collection.id, [Written(href, "delete", before, old.uid, "", seq)])
        return old

    def move_item(
        self, source: CollectionRecord, href: str, target: CollectionRecord, target_href: str
    ) -> None:
        """Move an item, replacing whatever `target_href` held; both logs record it."""
        check_name(target_href)
        self.lock_collections([source.path, target.path])
        self.cancel_staged(source.id, self.book_state(source.id), [href])
        target_state = self.book_state(target.id)
        item = self.get_item(source.id, href)
        if item is None:
            raise NotFound(f"no item {href!r} in {source.path!r}")
        self.cancel_staged(target.id, target_state, [target_href], uid=item.uid)
        replaced = self.get_item(target.id, target_href)
        moved = self.item_image(item.id)
        overwritten = None
        if replaced is not None and replaced.id != item.id:
            overwritten = self.item_image(replaced.id)
            self.conn.execute(items.delete().where(items.c.id == replaced.id))
        owner = self.href_of_uid(target.id, item.uid)
        if owner is not None and (target.id, owner) != (source.id, href):
            raise UidConflict(item.uid, owner)
        self.conn.execute(
            update(items)
            .where(items.c.id == item.id)
            .values(
                collection_id=target.id,
                href=target_href,
                born=target_state.published_gen,
                dies=NEVER,
                modified_at=time.time(),
            )
        )
        out_seq = self.record_change(source.id, href, deleted=True)
        in_seq = self.record_change(target.id, target_href, deleted=False)
        self.record_versions(
            source.id, [Written(href, "move_out", moved, item.uid, item.display_name, out_seq)]
        )
        self.record_versions(
            target.id,
            [Written(target_href, "move_in", overwritten, item.uid, item.display_name, in_seq)],
        )

    def replace_items(
        self, collection: CollectionRecord, new_items: Iterable[tuple[str, ItemData]]
    ) -> tuple[dict[str, ItemRecord], list[str]]:
        """Make the collection hold exactly `new_items`; returns (replaced, new hrefs)."""
        wanted = list(new_items)
        kept = {href for href, _ in wanted}
        # Stale items go first, so that a UID may move to another href.
        for stale in [i.href for i in self.iter_items(collection.id) if i.href not in kept]:
            self.delete_item(collection, stale)
        replaced: dict[str, ItemRecord] = {}
        added: list[str] = []
        for href, data in wanted:
            _, old = self.put_item(collection, href, data)
            if old is None:
                added.append(href)
            else:
                replaced[href] = old
        return replaced, added


def _check_preconditions(
    href: str, old: ItemRecord | None, if_match: str | None, if_none_match: bool
) -> None:
    if if_match is not None:
        if old is None:
            raise PreconditionFailed(f"If-Match: {href!r} does not exist")
        if if_match != "*" and if_match != old.etag:
            raise PreconditionFailed(f"If-Match: {href!r} has changed (ETag {old.etag})")
    if if_none_match and old is not None:
        raise PreconditionFailed(f"If-None-Match: {href!r} already exists")
