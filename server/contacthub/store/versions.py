"""Versions: every write of a card keeps the card as it was before, with when, who and
through what. The schema's `versions` table says how the book at a time T is read.

Writing: the items part notes a version with every write of a client (put, delete, move,
many adds); a run's staging writes its versions ahead with its rows, invisible, and they
take the run's time, position and id when the run is settled; until then a published
run's versions show through its staging row, and a swept run's never showed.

A card is kept packed: its text and index columns (so a restore writes it back without
parsing it again), as JSON, compressed when that is smaller.
"""

from __future__ import annotations

import json
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, bindparam, select, update

from contacthub.store.base import TxBase
from contacthub.store.bulk import insert_rows
from contacthub.store.group_cards import GROUP_MARK
from contacthub.store.records import ContactIndex, ItemData
from contacthub.store.schema import collections, items, stagings, versions
from contacthub.store.visible import visible

if TYPE_CHECKING:
    from contacthub.store import Store

_CHUNK = 500
# The door of a merge's writes (duplicates/merge.py): its deletions are not the trash's.
MERGE_DOOR = "merge"
# zlib's default level. For cards this small the level hardly matters (measured on
# realistic cards: levels 1, 6 and 9 within 2% of each other in size and in time), and
# packing makes them about half their size (text and index as JSON: 0.53).
_LEVEL = 6
_ZLIB, _PLAIN = b"z", b"j"

# An item's index columns: a version keeps them, so that a restore need not parse again.
INDEX_COLUMNS = (
    items.c.idx_fn,
    items.c.idx_email,
    items.c.idx_tel,
    items.c.idx_org,
    items.c.idx_extra,
)
# The columns of an item that its version keeps (a row with at least these is an image).
_IMAGE = (
    items.c.id,
    items.c.href,
    items.c.uid,
    items.c.etag,
    items.c.text,
    items.c.name,
    items.c.component_name,
    items.c.time_start,
    items.c.time_end,
    items.c.display_name,
    *INDEX_COLUMNS,
)
# The same, for a caller that reads rows it may rewrite: each row is then its own image.
IMAGE_COLUMNS = _IMAGE
_IMAGE_BY_ID = select(*_IMAGE).where(items.c.id == bindparam("item_id"))
# Delete an item and hand back the row its version keeps, in one statement.
DELETE_RETURNING_IMAGE = items.delete().where(items.c.id == bindparam("item_id")).returning(*_IMAGE)
_INSERT_VERSION = versions.insert()

# What a VersionRecord holds besides the packed card, in the order `_record` reads them.
_LISTED = (
    versions.c.id,
    versions.c.collection_id,
    versions.c.href,
    versions.c.uid,
    versions.c.display_name,
    versions.c.action,
    versions.c.etag,
    versions.c.gen,
    versions.c.at,
    versions.c.seq,
    versions.c.account,
    versions.c.via,
    versions.c.agent,
    versions.c.run_id,
    versions.c.source_id,
    versions.c.link_key,
    versions.c.link_hash,
)


def pack(image: Any) -> bytes:
    """An item's row (the `_IMAGE` columns) as its version keeps it."""
    body = json.dumps(
        [
            image.text,
            image.uid,
            image.name,
            image.component_name,
            image.time_start,
            image.time_end,
            image.display_name,
            image.idx_fn,
            image.idx_email,
            image.idx_tel,
            image.idx_org,
            image.idx_extra,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    squeezed = zlib.compress(body, _LEVEL)
    return _ZLIB + squeezed if len(squeezed) < len(body) else _PLAIN + body


def packed_body(packed: bytes) -> bytes:
    """A packed card's JSON (UTF-8), uncompressed."""
    return zlib.decompress(packed[1:]) if packed[:1] == _ZLIB else packed[1:]


def unpacked_image(packed: bytes) -> SimpleNamespace:
    """A packed card as the row `pack` was given: packing it again gives it back."""
    text, uid, name, component, start, end, display, fn, email, tel, org, extra = json.loads(
        packed_body(packed)
    )
    return SimpleNamespace(
        text=text,
        uid=uid,
        name=name,
        component_name=component,
        time_start=start,
        time_end=end,
        display_name=display,
        idx_fn=fn,
        idx_email=email,
        idx_tel=tel,
        idx_org=org,
        idx_extra=extra,
    )


def unpack(packed: bytes) -> ItemData:
    """The card a version kept, ready to be written again (its index as it was)."""
    image = unpacked_image(packed)
    index = ContactIndex(
        display_name=image.display_name,
        fn=_unframe(image.idx_fn),
        emails=_unframe(image.idx_email),
        phones=_unframe(image.idx_tel),
        orgs=_unframe(image.idx_org),
        extra=_unframe(image.idx_extra),
    )
    return ItemData(
        image.text,
        image.uid,
        image.name,
        image.component_name,
        image.time_start,
        image.time_end,
        index,
    )


# A group card's index starts with the mark (store/group_cards.py), a control character
# no card's value can hold, so in a packed card's JSON it appears escaped only there.
_GROUP_MARK_JSON = json.dumps(GROUP_MARK)[1:-1].encode()


def is_group_image(packed: bytes | None) -> bool:
    """Whether a version kept a group card: found in the packed bytes without reading
    the card (the mass-deletion watch asks it of every card a client deleted)."""
    if not packed:
        return False
    return _GROUP_MARK_JSON in packed_body(packed)


def _unframe(framed: str) -> tuple[str, ...]:
    """The values of an index column ("\\na\\nb\\n"); framing them again gives it back."""
    return tuple(framed[1:-1].split("\n")) if framed else ()


@dataclass(frozen=True, slots=True)
class Written:
    """One write of a card, to keep as a version: the card before (an item's row of the
    `_IMAGE` columns, None when there was none) and what the write did."""

    href: str
    action: str  # add, update, delete, move_in, move_out
    before: Any | None
    uid: str  # of the card after, when there was none before
    display_name: str  # likewise
    seq: int | None = None  # the change log's position; None for a run's written ahead
    source_id: int | None = None
    link_key: str | None = None
    link_hash: str | None = None


@dataclass(frozen=True)
class VersionRecord:
    """One write of a card: the card before it (`etag` None: there was none), when, at
    which position of its collection's change log, who, through what, as which run."""

    id: int
    collection_id: int
    href: str
    uid: str
    display_name: str
    action: str
    etag: str | None
    at: float
    seq: int
    account: str
    via: str
    agent: str
    run_id: int | None
    source_id: int | None = None
    link_key: str | None = None
    link_hash: str | None = None
    packed: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def existed(self) -> bool:
        """Whether there was a card before the write."""
        return self.etag is not None

    def before(self) -> ItemData | None:
        """The card before the write (None: there was none). Only for records read with
        their cards."""
        if self.etag is None:
            return None
        if self.packed is None:
            raise ValueError("this version was read without its card")
        return unpack(self.packed)


@dataclass(frozen=True, slots=True)
class _Published:
    """A published run's versions not settled yet take these from its staging."""

    gen: int
    at: float
    seq: int
    run_id: int | None


def _record(row: Sequence[Any], published: _Published | None) -> VersionRecord | None:
    """A row of the `_LISTED` columns (and the card, if read) as a record, or None if it
    belongs to a run not published (yet or ever). By position: a version history is
    read by the thousand, and a row's attributes cost more than the rest of it."""
    (
        version_id,
        collection_id,
        href,
        uid,
        display_name,
        action,
        etag,
        gen,
        at,
        seq,
        account,
        via,
        agent,
        run_id,
        source_id,
        link_key,
        link_hash,
        *card,
    ) = row
    if gen:
        if published is None or published.gen != gen:
            return None
        at, seq, run_id = published.at, published.seq, published.run_id
    return VersionRecord(
        version_id,
        collection_id,
        href,
        uid,
        display_name,
        action,
        etag,
        at,
        seq,
        account,
        via,
        agent,
        run_id,
        source_id,
        link_key,
        link_hash,
        card[0] if card else None,
    )


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _ordered(found: Iterable[VersionRecord]) -> list[VersionRecord]:
    return sorted(found, key=lambda v: (v.collection_id, v.seq, v.id))


class VersionsPart(TxBase):
    """Writing versions (with the items part's writes and a run's staging) and reading
    them (the trash, a contact's history, a book at a time, a run's writes)."""

    # -- writing ---------------------------------------------------------------------------

    def item_image(self, item_id: int) -> Any:
        """The row of the item `item_id` as its version keeps it (read before the write)."""
        return self.conn.execute(_IMAGE_BY_ID, {"item_id": item_id}).one()

    def item_images(self, item_ids: Sequence[int]) -> dict[int, Any]:
        found: dict[int, Any] = {}
        for chunk in _chunks(list(item_ids)):
            found.update(
                (row.id, row)
                for row in self.conn.execute(select(*_IMAGE).where(items.c.id.in_(chunk)))
            )
        return found

    def record_versions(self, collection_id: int, written: Sequence[Written]) -> None:
        """Keep the versions of a client's writes: visible at once, at the store's time."""
        self._insert_versions(collection_id, written, gen=0, at=self.store.clock())

    def stage_versions(self, collection_id: int, gen: int, written: Sequence[Written]) -> None:
        """Keep the versions of a run's writes ahead: they show when the run is published."""
        self._insert_versions(collection_id, written, gen=gen, at=None)

    def _insert_versions(
        self, collection_id: int, written: Sequence[Written], *, gen: int, at: float | None
    ) -> None:
        if not written:
            return
        actor = self.writer
        rows = [
            {
                "collection_id": collection_id,
                "href": w.href,
                "uid": w.before.uid if w.before is not None else w.uid,
                "display_name": (w.before.display_name if w.before is not None else w.display_name),
                "action": w.action,
                "card": pack(w.before) if w.before is not None else None,
                "etag": w.before.etag if w.before is not None else None,
                "gen": gen,
                "at": at,
                "seq": w.seq,
                "account": actor.account,
                "via": actor.via,
                "agent": actor.agent,
                "run_id": actor.run_id,
                "source_id": w.source_id,
                "link_key": w.link_key,
                "link_hash": w.link_hash,
            }
            for w in written
        ]
        if len(rows) == 1:  # a client's write: one statement (executemany costs more)
            self.conn.execute(_INSERT_VERSION, rows[0])
        else:
            insert_rows(self.conn, versions, rows)

    def settle_versions(self, collection_id: int, gen: int, hrefs: Sequence[str] | None) -> None:
        """A published run's versions of `hrefs` (None: all that are left) take its time,
        position and id."""
        published = self._published_runs([collection_id]).get(collection_id)
        if published is None or published.gen != gen:
            return
        settled = {"gen": 0, "at": published.at, "seq": published.seq, "run_id": published.run_id}
        of_run = (versions.c.collection_id == collection_id) & (versions.c.gen == gen)
        if hrefs is None:
            self.conn.execute(update(versions).where(of_run).values(settled))
        for chunk in _chunks(hrefs or []):
            self.conn.execute(
                update(versions).where(of_run, versions.c.href.in_(chunk)).values(settled)
            )

    def drop_staged_versions(
        self, collection_id: int, gen: int, hrefs: Iterable[str] | None
    ) -> None:
        """A run's versions of `hrefs` (None: all that are left) written ahead go with its
        rows (swept, or a client wrote the card meanwhile)."""
        of_run = (versions.c.collection_id == collection_id) & (versions.c.gen == gen)
        if hrefs is None:
            self.conn.execute(versions.delete().where(of_run))
        for chunk in _chunks(list(hrefs or [])):
            self.conn.execute(versions.delete().where(of_run, versions.c.href.in_(chunk)))

    def collections_with_versions(self) -> list[int]:
        return list(
            self.conn.execute(
                select(collections.c.id).where(
                    select(versions.c.id)
                    .where(versions.c.collection_id == collections.c.id)
                    .exists()
                )
            ).scalars()
        )

    def prune_versions(self, collection_id: int, cutoff: float, limit: int) -> int:
        """Forget up to `limit` versions of the collection written before `cutoff`;
        returns how many. Nobody else writes those rows: no lock is needed."""
        oldest = (
            select(versions.c.id)
            .where(
                versions.c.collection_id == collection_id,
                versions.c.gen == 0,
                versions.c.at < cutoff,
            )
            .limit(limit)
        )
        ids = list(self.conn.execute(oldest).scalars())
        for chunk in _chunks(ids):
            self.conn.execute(versions.delete().where(versions.c.id.in_(chunk)))
        return len(ids)

    # -- reading ---------------------------------------------------------------------------

    def get_version(self, version_id: int) -> VersionRecord | None:
        rows = self._read(select(*_LISTED, versions.c.card).where(versions.c.id == version_id))
        return rows[0] if rows else None

    def versions_by_ids(
        self, version_ids: Sequence[int], *, cards: bool = True
    ) -> dict[int, VersionRecord]:
        columns = (*_LISTED, versions.c.card) if cards else _LISTED
        found: dict[int, VersionRecord] = {}
        for chunk in _chunks(list(dict.fromkeys(version_ids))):
            found.update(
                (v.id, v) for v in self._read(select(*columns).where(versions.c.id.in_(chunk)))
            )
        return found

    def versions_of_uid(self, collection_id: int, uid: str) -> list[VersionRecord]:
        """The writes of the card with this UID in the collection, oldest first."""
        return self._read(
            select(*_LISTED, versions.c.card).where(
                versions.c.collection_id == collection_id, versions.c.uid == uid
            )
        )

    def versions_of_hrefs(self, collection_id: int, hrefs: Sequence[str]) -> list[VersionRecord]:
        """The writes at these hrefs (without their cards), oldest first."""
        found: list[VersionRecord] = []
        for chunk in _chunks(list(dict.fromkeys(hrefs))):
            found.extend(
                self._read(
                    select(*_LISTED).where(
                        versions.c.collection_id == collection_id, versions.c.href.in_(chunk)
                    )
                )
            )
        return _ordered(found)

    def versions_after(
        self, collection_id: int, after: float, *, cards: bool = False
    ) -> list[VersionRecord]:
        """The writes of the collection after the time `after`, oldest first: the first of
        each href holds its state at `after`."""
        columns = (*_LISTED, versions.c.card) if cards else _LISTED
        published = self._published_runs([collection_id]).get(collection_id)
        settled = self._read(
            select(*columns).where(
                versions.c.collection_id == collection_id,
                versions.c.gen == 0,
                versions.c.at > after,
            ),
            {collection_id: published} if published else {},
        )
        unsettled: list[VersionRecord] = []
        if published is not None and published.at > after:
            unsettled = self._read(
                select(*columns).where(
                    versions.c.collection_id == collection_id, versions.c.gen == published.gen
                ),
                {collection_id: published},
            )
        return _ordered([*settled, *unsettled])

    def versions_of_run(self, run_id: int, *, cards: bool = False) -> list[VersionRecord]:
        """The writes of the run `run_id` (one per card it changed), by collection."""
        columns = (*_LISTED, versions.c.card) if cards else _LISTED
        found = self._read(select(*columns).where(versions.c.run_id == run_id, versions.c.gen == 0))
        unsettled = self.conn.execute(
            select(stagings.c.collection_id, stagings.c.gen).where(
                stagings.c.run_id == run_id, stagings.c.published.is_(True)
            )
        ).all()
        for row in unsettled:
            found.extend(
                self._read(
                    select(*columns).where(
                        versions.c.collection_id == row.collection_id, versions.c.gen == row.gen
                    )
                )
            )
        return _ordered(found)

    def deleted_since(
        self, collection_id: int, since: float, *, cards: bool = False
    ) -> list[VersionRecord]:
        """The trash: the last write of each card deleted from the collection since
        `since` that is not back (under its UID), newest first. A card a merge removed is
        not in it: it lives on in the merged card, and undoing the merge brings it back."""
        published = self._published_runs([collection_id])
        columns = (*_LISTED, versions.c.card) if cards else _LISTED
        deletions = self._read(
            select(*columns).where(
                versions.c.collection_id == collection_id,
                versions.c.action == "delete",
                versions.c.via != MERGE_DOOR,
                (versions.c.gen != 0) | (versions.c.at >= since),
            ),
            published,
        )
        uids = list(dict.fromkeys(v.uid for v in deletions))
        latest: dict[str, int] = {}
        for chunk in _chunks(uids):
            for version in self._read(
                select(*_LISTED).where(
                    versions.c.collection_id == collection_id, versions.c.uid.in_(chunk)
                ),
                published,
            ):
                latest[version.uid] = max(latest.get(version.uid, version.seq), version.seq)
        back = self._visible_uids(collection_id, uids)
        gone = [
            v
            for v in deletions
            if v.at >= since and latest.get(v.uid) == v.seq and v.uid not in back
        ]
        return sorted(gone, key=lambda v: (-v.seq, v.href))

    def _visible_uids(self, collection_id: int, uids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for chunk in _chunks(list(uids)):
            found.update(
                self.conn.execute(
                    select(items.c.uid).where(
                        items.c.collection_id == collection_id,
                        items.c.uid.in_(chunk),
                        visible(collection_id),
                    )
                ).scalars()
            )
        return found

    def _read(
        self, statement: Select[Any], published: dict[int, _Published] | None = None
    ) -> list[VersionRecord]:
        rows = self.conn.execute(statement).all()
        if published is None:
            published = self._published_runs(list({row[1] for row in rows if row[7]}))
        records = (_record(row, published.get(row[1])) for row in rows)
        return _ordered(record for record in records if record is not None)

    def _published_runs(self, collection_ids: Sequence[int]) -> dict[int, _Published]:
        """The published run not settled yet of each collection, if any."""
        found: dict[int, _Published] = {}
        for chunk in _chunks(list(collection_ids)):
            rows = self.conn.execute(
                select(
                    stagings.c.collection_id,
                    stagings.c.gen,
                    stagings.c.published_at,
                    stagings.c.published_seq,
                    stagings.c.run_id,
                    collections.c.published_seq.label("book_seq"),
                )
                .join(collections, collections.c.id == stagings.c.collection_id)
                .where(stagings.c.collection_id.in_(chunk), stagings.c.published.is_(True))
            )
            for row in rows:
                found[row.collection_id] = _Published(
                    row.gen,
                    row.published_at if row.published_at is not None else time.time(),
                    row.published_seq if row.published_seq is not None else row.book_seq,
                    row.run_id,
                )
        return found


# Versions forgotten per transaction, and transactions per call of prune_history: bounded
# work, each transaction short (other writers of the store wait for one at most).
PRUNE_BATCH = 2000
PRUNE_BATCHES = 50


def prune_history(
    store: Store, *, batch: int = PRUNE_BATCH, most_batches: int = PRUNE_BATCHES
) -> int:
    """Forget the versions older than the store's retention, at most `most_batches`
    transactions of `batch` versions each; returns how many went. The scheduler calls it
    at every tick, so a backlog goes over a few ticks."""
    cutoff = store.clock() - store.history_retention
    with store.read() as tx:
        collection_ids = tx.collections_with_versions()
    pruned = 0
    batches = 0
    for collection_id in collection_ids:
        while batches < most_batches:
            with store.write() as tx:
                went = tx.prune_versions(collection_id, cutoff, batch)
            batches += 1
            pruned += went
            if went < batch:
                break
    return pruned
