"""A run of a source written ahead in small transactions and published all at once.

A large import used to be one write transaction: on SQLite every other writer (a phone's
PUT) waited for all of it, and gave up after the busy timeout. Now a run takes its
collection's staging slot (one run at a time per collection) and a generation, the
published one plus one. Its rows are written ahead in short transactions, born at that
generation; the rows they replace or delete die at it; its change log entries and links
wait beside (`pending_changes`, `pending_links`). Readers see a row only while
born <= published_gen < dies (store/visible.py), so nothing of the run shows until one
short transaction moves `published_gen` and the sync position: the whole run appears at
one position of the change log, or never. Settling then moves the entries and links into
place and drops the dead rows, again in short transactions; readers see the same before
and after it.

A client's write to a contact the run is writing ahead wins: the run's versions of that
contact are dropped (ItemsPart.cancel_staged), and a write ahead checks that what it
replaces is still what the run planned from. A run that fails is swept; one that was
killed (its process gone, or its lease expired) is swept by the next run of the
collection. Either way nothing of it was ever visible.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from contacthub.store.bulk import insert_rows
from contacthub.store.changes import note_change_statement
from contacthub.store.errors import StorageFull, StoreError
from contacthub.store.items import ItemsPart, row_values
from contacthub.store.links import SAVE_LINK, LinksPart
from contacthub.store.paths import check_name
from contacthub.store.records import CollectionRecord, LinkOp, StagedChange
from contacthub.store.schema import (
    NEVER,
    collections,
    items,
    links,
    pending_changes,
    pending_links,
    stagings,
)
from contacthub.store.versions import Written
from contacthub.store.visible import visible

if TYPE_CHECKING:
    from contacthub.store import Store, Transaction
    from contacthub.store.actor import Actor

T = TypeVar("T")
logger = logging.getLogger(__name__)

# A run renews its hold with every transaction; one silent this long died.
LEASE_SECONDS = 120.0
# Changes written, settled or swept per transaction: sized so that one transaction takes
# about TARGET_SECONDS (other writers of the book wait for one), between the bounds.
TARGET_SECONDS = 0.2
FIRST_BATCH, LEAST_BATCH, MOST_BATCH = 1000, 50, 4000
# On SQLite a waiting writer asks for the lock again every few milliseconds (engine.py)
# instead of queueing: after this much time in its own write transactions a run leaves a
# pause this long (checkpointing the WAL meanwhile), so a waiting PUT gets in within
# about half a second whatever the size of the run.
SQLITE_BUSY_BEFORE_PAUSE = 0.3
SQLITE_PAUSE = 0.05
# How often a run waiting for another run of the same collection looks again.
WAIT_POLL = 0.5


class StagingLost(StoreError):
    """The run's hold on its collection was taken over: it was judged dead."""

    def __init__(self) -> None:
        super().__init__(
            "the run lost its hold on the address book (it was too slow); run it again"
        )


@dataclass(frozen=True)
class Claim:
    outcome: Literal["claimed", "busy", "stale", "published"]
    gen: int


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_alive(holder: str) -> bool:
    """False only when the holder ran on this host and its process is gone."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# A client's write after publishing sits at a later position: settling leaves it.
_NOTE_CHANGES = {
    "sqlite": note_change_statement(sqlite.Insert, only_later=True),
    "postgresql": note_change_statement(postgresql.Insert, only_later=True),
}


def _written(change: StagedChange, before: Any | None, source_id: int | None) -> Written:
    """The version a staged change keeps: the card it replaces, and the link it ends."""
    data = change.data
    link: tuple[int | None, str | None, str | None] = (None, None, None)
    if source_id is not None:
        link = (source_id, change.key, change.record_hash if change.action == "delete" else None)
    elif change.ends_link is not None:
        link = change.ends_link
    return Written(
        change.href,
        change.action,
        before,
        change.uid,
        data.index.display_name if data is not None else "",
        None,
        *link,
    )


class StagingPart(ItemsPart, LinksPart):
    """The rows of a run written ahead: claimed, written, published, settled or swept."""

    def lock_book(self, path: str) -> CollectionRecord:
        """Hold the write lock of the collection alone (a run's transactions touch no
        other collection), and read it under the lock."""
        if not self.is_sqlite:
            self.conn.execute(
                select(collections.c.id).where(collections.c.path == path).with_for_update()
            ).all()
        return self.require_collection(path)

    def claim_staging(self, collection: CollectionRecord, holder: str, now: float) -> Claim:
        """Take the collection's staging slot for a new generation. Otherwise say why not:
        another live run holds it ("busy"), a dead one left it ("stale": now ours, to
        sweep), or a published run awaits settling ("published")."""
        self.lock_book(collection.path)
        row = self.conn.execute(
            select(stagings).where(stagings.c.collection_id == collection.id)
        ).first()
        if row is None:
            gen = self.book_state(collection.id).published_gen + 1
            self.conn.execute(
                stagings.insert().values(
                    collection_id=collection.id,
                    gen=gen,
                    holder=holder,
                    until=now + LEASE_SECONDS,
                    published=False,
                )
            )
            return Claim("claimed", gen)
        if row.published:
            return Claim("published", row.gen)
        if row.until >= now and holder_alive(row.holder):
            return Claim("busy", row.gen)
        self._hold(collection.id, row.gen, row.holder, holder, now)
        return Claim("stale", row.gen)

    def renew_staging(self, collection_id: int, gen: int, holder: str, now: float) -> None:
        if not self._hold(collection_id, gen, holder, holder, now):
            raise StagingLost()

    def _hold(self, collection_id: int, gen: int, holder: str, new_holder: str, now: float) -> bool:
        held = _slot_held(collection_id, gen, holder)
        values = {"holder": new_holder, "until": now + LEASE_SECONDS}
        return self.conn.execute(update(stagings).where(held).values(values)).rowcount == 1

    def abandon_staging(self, collection_id: int, gen: int, holder: str) -> None:
        """Leave the slot to the next run of the collection, which sweeps it (as a dead
        run's): its hold ends now."""
        held = _slot_held(collection_id, gen, holder)
        self.conn.execute(update(stagings).where(held).values(until=0.0))

    def end_staging(self, collection_id: int, gen: int) -> None:
        self.conn.execute(
            stagings.delete().where(
                stagings.c.collection_id == collection_id, stagings.c.gen == gen
            )
        )

    def stage_changes(
        self,
        collection: CollectionRecord,
        gen: int,
        source_id: int | None,
        batch: list[StagedChange],
        *,
        replaced: Collection[str] = (),
    ) -> set[str]:
        """Write a batch of a run's changes ahead, invisible until published, with their
        versions. Returns the keys of the changes left out because a client changed their
        contact since the run planned them (the href or UID of an add taken, the card of
        an update or delete no longer the one planned from). A run of no source
        (`source_id` None: a restore) changes no link here; its adds may take the UID of
        a card at one of the hrefs it replaces or deletes (`replaced`)."""
        for change in batch:
            if change.action == "add":
                check_name(change.href)
        adds = [c for c in batch if c.action == "add"]
        replacing = [c for c in batch if c.action != "add"]
        left_out = self._taken(collection.id, adds, replaced)
        current = self._current(collection.id, [c.href for c in replacing])
        for change in replacing:
            found = current.get(change.href)
            if found is None or found[1] != change.base_etag:
                left_out.add(change.key)
        staged = [c for c in batch if c.key not in left_out]
        written = [c for c in staged if c.data is not None]
        if written:
            insert_rows(
                self.conn,
                items,
                [
                    {
                        "collection_id": collection.id,
                        "href": c.href,
                        "born": gen,
                        **row_values(c.data),
                    }
                    for c in written
                    if c.data is not None
                ],
            )
        dying = [current[c.href][0] for c in staged if c.action != "add"]
        images = self.item_images(dying)
        self.stage_versions(
            collection.id,
            gen,
            [
                _written(
                    c, images.get(current[c.href][0]) if c.action != "add" else None, source_id
                )
                for c in staged
            ],
        )
        for start in range(0, len(dying), 500):
            self.conn.execute(
                update(items).where(items.c.id.in_(dying[start : start + 500])).values(dies=gen)
            )
        if staged and source_id is not None:
            insert_rows(
                self.conn,
                pending_links,
                [
                    {
                        "source_id": source_id,
                        "gen": gen,
                        "external_key": c.key,
                        "collection_id": collection.id,
                        "op": "forget" if c.action == "delete" else "save",
                        "uid": c.uid,
                        "href": c.href,
                        "record_hash": c.record_hash,
                    }
                    for c in staged
                ],
            )
        if staged:
            insert_rows(
                self.conn,
                pending_changes,
                [
                    {
                        "collection_id": collection.id,
                        "gen": gen,
                        "href": c.href,
                        "deleted": c.action == "delete",
                    }
                    for c in staged
                ],
            )
        return left_out

    def staged_count(self, collection_id: int, gen: int) -> int:
        """How many changes of the run `gen` are written ahead (a client's write to one of
        them drops it)."""
        return self.conn.execute(
            select(func.count())
            .select_from(pending_changes)
            .where(pending_changes.c.collection_id == collection_id, pending_changes.c.gen == gen)
        ).scalar_one()

    def stage_link_ops(self, collection: CollectionRecord, gen: int, ops: list[LinkOp]) -> None:
        """Changes to the links of any source of the collection, made with the run: a
        restore brings back the links of the contacts it brings back (save), and drops
        those of the contacts it removes (forget)."""
        if ops:
            insert_rows(
                self.conn,
                pending_links,
                [
                    {
                        "source_id": op.source_id,
                        "gen": gen,
                        "external_key": op.key,
                        "collection_id": collection.id,
                        "op": op.op,
                        "uid": op.uid,
                        "href": op.href,
                        "record_hash": op.record_hash,
                    }
                    for op in ops
                ],
            )

    def stage_tombstones(
        self, collection: CollectionRecord, gen: int, source_id: int, keys: list[str]
    ) -> None:
        """Links whose contact the user deleted, marked when the run is published."""
        if keys:
            insert_rows(
                self.conn,
                pending_links,
                [
                    {
                        "source_id": source_id,
                        "gen": gen,
                        "external_key": key,
                        "collection_id": collection.id,
                        "op": "tombstone",
                    }
                    for key in keys
                ],
            )

    def _taken(
        self, collection_id: int, adds: list[StagedChange], replaced: Collection[str]
    ) -> set[str]:
        """Keys of adds whose href a visible item has now, or whose UID a visible item has
        at an href the run does not replace."""
        used_hrefs = self._holders(collection_id, items.c.href, [c.href for c in adds])
        used_uids = self._holders(collection_id, items.c.uid, [c.uid for c in adds])
        return {
            c.key
            for c in adds
            if c.href in used_hrefs or (c.uid in used_uids and used_uids[c.uid] not in replaced)
        }

    def _holders(
        self, collection_id: int, column: ColumnElement[str], values: list[str]
    ) -> dict[str, str]:
        """Which of `values` a visible item of the collection has in `column`, and its href."""
        found: dict[str, str] = {}
        for start in range(0, len(values), 500):
            rows = self.conn.execute(
                select(column.label("value"), items.c.href).where(
                    items.c.collection_id == collection_id,
                    column.in_(values[start : start + 500]),
                    visible(collection_id),
                )
            )
            found.update((row.value, row.href) for row in rows)
        return found

    def _current(self, collection_id: int, hrefs: list[str]) -> dict[str, tuple[int, str]]:
        """href -> (row id, ETag) of the visible items at `hrefs`."""
        found: dict[str, tuple[int, str]] = {}
        for start in range(0, len(hrefs), 500):
            rows = self.conn.execute(
                select(items.c.id, items.c.href, items.c.etag).where(
                    items.c.collection_id == collection_id,
                    items.c.href.in_(hrefs[start : start + 500]),
                    visible(collection_id),
                )
            )
            found.update((row.href, (row.id, row.etag)) for row in rows)
        return found

    def prepare_publish(self, collection_id: int, gen: int) -> object | None:
        """What the publish of `gen` can read ahead, outside the book's lock (in a read
        transaction before it); handed to publish_staging, which checks it still holds."""
        return None

    def publish_staging(
        self, collection: CollectionRecord, gen: int, holder: str, prepared: object | None = None
    ) -> None:
        """Make everything written ahead at `gen` visible at once, at one new position of
        the change log (none when the run changed no item)."""
        self.lock_book(collection.path)
        self.renew_staging(collection.id, gen, holder, time.time())
        changed = self.conn.execute(
            select(pending_changes.c.href)
            .where(pending_changes.c.collection_id == collection.id, pending_changes.c.gen == gen)
            .limit(1)
        ).first()
        values: dict[str, object] = {"published_gen": gen}
        if changed is not None:
            values.update(
                sync_seq=collections.c.sync_seq + 1,
                published_seq=collections.c.sync_seq + 1,
                modified_at=time.time(),
            )
        seq = self.conn.execute(
            update(collections)
            .where(collections.c.id == collection.id)
            .values(values)
            .returning(collections.c.published_seq)
        ).scalar_one()
        self.conn.execute(
            update(stagings)
            .where(stagings.c.collection_id == collection.id, stagings.c.gen == gen)
            .values(published=True, published_at=self.store.clock(), published_seq=seq)
        )
        self.publishing.append((collection.id, gen))

    def settle_some(self, collection: CollectionRecord, gen: int, limit: int) -> bool:
        """Move some of a published run's entries and links into place and drop the rows
        it replaced; False when nothing is left. Readers see the same before and after."""
        self.lock_book(collection.path)
        entries = self.conn.execute(
            select(pending_changes.c.href, pending_changes.c.deleted)
            .where(pending_changes.c.collection_id == collection.id, pending_changes.c.gen == gen)
            .order_by(pending_changes.c.href)
            .limit(limit)
        ).all()
        if entries:
            self.settle_versions(collection.id, gen, [entry.href for entry in entries])
            self._settle_entries(collection.id, gen, entries)
            return True
        ops = self.conn.execute(
            select(pending_links)
            .where(pending_links.c.collection_id == collection.id, pending_links.c.gen == gen)
            .limit(limit)
        ).all()
        if ops:
            self._settle_links(ops)
            return True
        self.settle_versions(collection.id, gen, None)
        return False

    def _settle_entries(self, collection_id: int, gen: int, entries: Sequence[Any]) -> None:
        hrefs = [entry.href for entry in entries]
        seq = self.conn.execute(
            select(collections.c.published_seq).where(collections.c.id == collection_id)
        ).scalar_one()
        now = time.time()
        for start in range(0, len(hrefs), 500):
            chunk = hrefs[start : start + 500]
            self.conn.execute(
                items.delete().where(
                    items.c.collection_id == collection_id,
                    items.c.href.in_(chunk),
                    items.c.dies <= gen,
                )
            )
            self.conn.execute(
                pending_changes.delete().where(
                    pending_changes.c.collection_id == collection_id,
                    pending_changes.c.gen == gen,
                    pending_changes.c.href.in_(chunk),
                )
            )
        self.conn.execute(
            _NOTE_CHANGES[self.conn.dialect.name],
            [
                {
                    "collection_id": collection_id,
                    "href": entry.href,
                    "seq": seq,
                    "deleted": entry.deleted,
                    "changed_at": now,
                }
                for entry in entries
            ],
        )
        if any(entry.deleted for entry in entries):
            self._prune_history(collection_id, now - self.store.history_retention)

    def _settle_links(self, ops: Sequence[Any]) -> None:
        now = time.time()
        by_op: dict[str, list[Any]] = {}
        for op in ops:
            by_op.setdefault(op.op, []).append(op)
        saved = by_op.get("save", [])
        if saved:
            self.conn.execute(
                SAVE_LINK[self.conn.dialect.name],
                [
                    {
                        "source_id": op.source_id,
                        "external_key": op.external_key,
                        "uid": op.uid,
                        "href": op.href,
                        "record_hash": op.record_hash,
                        "deleted": False,
                        "updated_at": now,
                    }
                    for op in saved
                ],
            )
        for name in ("forget", "tombstone"):
            by_source: dict[int, list[str]] = {}
            for op in by_op.get(name, []):
                by_source.setdefault(op.source_id, []).append(op.external_key)
            for source_id, keys in by_source.items():
                for start in range(0, len(keys), 500):
                    target = and_(
                        links.c.source_id == source_id,
                        links.c.external_key.in_(keys[start : start + 500]),
                    )
                    if name == "forget":
                        self.conn.execute(links.delete().where(target))
                    else:
                        self.conn.execute(
                            update(links).where(target).values(deleted=True, updated_at=now)
                        )
        self._drop_ops(ops)

    def sweep_some(self, collection: CollectionRecord, gen: int, limit: int) -> bool:
        """Remove some of what an unpublished run wrote ahead; False when nothing is left."""
        self.lock_book(collection.path)
        hrefs = list(
            self.conn.execute(
                select(pending_changes.c.href)
                .where(
                    pending_changes.c.collection_id == collection.id, pending_changes.c.gen == gen
                )
                .limit(limit)
            ).scalars()
        )
        if hrefs:
            for start in range(0, len(hrefs), 500):
                chunk = hrefs[start : start + 500]
                mine = and_(items.c.collection_id == collection.id, items.c.href.in_(chunk))
                self.conn.execute(items.delete().where(mine, items.c.born == gen))
                self.conn.execute(update(items).where(mine, items.c.dies == gen).values(dies=NEVER))
                self.conn.execute(
                    pending_changes.delete().where(
                        pending_changes.c.collection_id == collection.id,
                        pending_changes.c.gen == gen,
                        pending_changes.c.href.in_(chunk),
                    )
                )
            self.drop_staged_versions(collection.id, gen, hrefs)
            return True
        ops = self.conn.execute(
            select(pending_links.c.source_id, pending_links.c.gen, pending_links.c.external_key)
            .where(pending_links.c.collection_id == collection.id, pending_links.c.gen == gen)
            .limit(limit)
        ).all()
        self._drop_ops(ops)
        if not ops:
            self.drop_staged_versions(collection.id, gen, None)
        return bool(ops)

    def _drop_ops(self, ops: Sequence[Any]) -> None:
        keys: dict[tuple[int, int], list[str]] = {}
        for op in ops:
            keys.setdefault((op.source_id, op.gen), []).append(op.external_key)
        for (source_id, gen), of_source in keys.items():
            for start in range(0, len(of_source), 500):
                self.conn.execute(
                    pending_links.delete().where(
                        pending_links.c.source_id == source_id,
                        pending_links.c.gen == gen,
                        pending_links.c.external_key.in_(of_source[start : start + 500]),
                    )
                )


def _slot_held(collection_id: int, gen: int, holder: str) -> ColumnElement[bool]:
    """The collection's staging slot for `gen`, while `holder` holds it."""
    return and_(
        stagings.c.collection_id == collection_id,
        stagings.c.gen == gen,
        stagings.c.holder == holder,
    )


class Staging:
    """One run writing ahead into one collection: `with Staging(store, path) as staging:`
    claims the slot (waiting for another run of the collection, sweeping a dead one's
    rows, settling a published one's); `write` runs one short transaction; `publish`
    makes the run visible and runs a last step in the same transaction. Leaving settles a
    published run, or sweeps one that was not."""

    def __init__(self, store: Store, path: str, actor: Actor | None = None) -> None:
        self.store = store
        self.path = path
        self.actor = actor  # who runs it: its versions keep it
        self.holder = holder_name()
        self.gen = 0
        self.published = False
        # Leave settling the published run to a thread of the store (store/settling.py).
        self.settle_later = False
        self._pauses = store.engine.dialect.name == "sqlite"
        self._last_write = 0.0
        self._busy = 0.0  # seconds in write transactions since the last pause
        self.batch_size = FIRST_BATCH  # what the next transaction should write

    def __enter__(self) -> Staging:
        while True:
            with self.store.write(actor=self.actor) as tx:
                claim = tx.claim_staging(self.book(tx), self.holder, time.time())
            if claim.outcome == "claimed":
                self.gen = claim.gen
                return self
            if claim.outcome == "busy":
                time.sleep(WAIT_POLL)
            elif claim.outcome == "stale":
                self._sweep(claim.gen)
            else:
                self._settle(claim.gen)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.published and self.settle_later:
            gen = self.gen
            self.store.settle_in_background(
                f"settling run generation {gen} of {self.path!r}", lambda: self._settle(gen)
            )
            return
        if self.published:
            try:
                self._settle(self.gen)
            except Exception:
                # The run is done and visible; settling changes nothing anyone sees,
                # and the next run of the book finishes it.
                logger.exception("settling run generation %s of %r failed", self.gen, self.path)
            return
        if isinstance(exc, StorageFull):
            self.store.release_reserve()
            self._abandon()
            return
        try:
            self._sweep(self.gen)
        except Exception:
            if exc_type is None:
                raise
            # The run's own error says more; the next run of the book sweeps.
            logger.exception("sweeping run generation %s of %r failed", self.gen, self.path)

    def _abandon(self) -> None:
        """On a full disk, sweeping the run's rows would write as much again as it staged
        (SQLite writes every page a deletion touches): the next run of the book sweeps
        them instead, and this one only lets go of the slot, in a write of a page or two."""
        try:
            with self.store.write(actor=self.actor) as tx:
                tx.abandon_staging(self.book(tx).id, self.gen, self.holder)
        except Exception:
            # The hold then runs out in LEASE_SECONDS, and the next run sweeps after it.
            logger.exception("letting go of run generation %s of %r failed", self.gen, self.path)

    def write(self, step: Callable[[Transaction], T]) -> T:
        """One short write transaction of the run (it renews the run's hold)."""
        began = self.yield_to_others()
        with self.store.write(actor=self.actor) as tx:
            book = self.book(tx)
            if self.gen and not self.published:
                tx.renew_staging(book.id, self.gen, self.holder, time.time())
            result = step(tx)
        self.note_write(began)
        return result

    def stage(
        self, source_id: int | None, batch: list[StagedChange], replaced: Collection[str] = ()
    ) -> set[str]:
        return self.write(
            lambda tx: tx.stage_changes(
                self.book(tx), self.gen, source_id, batch, replaced=replaced
            )
        )

    def stage_link_ops(self, ops: list[LinkOp]) -> None:
        start = 0
        while start < len(ops):
            size = self.batch_size  # each write sizes the next
            self._stage_link_ops(ops[start : start + size])
            start += size

    def _stage_link_ops(self, ops: list[LinkOp]) -> None:
        self.write(lambda tx: tx.stage_link_ops(self.book(tx), self.gen, ops))

    def stage_tombstones(self, source_id: int, keys: list[str]) -> None:
        start = 0
        while start < len(keys):
            size = self.batch_size
            self._stage_tombstones(source_id, keys[start : start + size])
            start += size

    def _stage_tombstones(self, source_id: int, keys: list[str]) -> None:
        self.write(lambda tx: tx.stage_tombstones(self.book(tx), self.gen, source_id, keys))

    def publish(self, then: Callable[[Transaction], T]) -> T:
        """Make the run visible, and run `then` in the same transaction (a run recorded
        there is the run its versions name)."""
        return publish_together([self], then)

    def _sweep(self, gen: int) -> None:
        self._repeat(gen, lambda tx: tx.sweep_some(self.book(tx), gen, self.batch_size))

    def _settle(self, gen: int) -> None:
        self._repeat(gen, lambda tx: tx.settle_some(self.book(tx), gen, self.batch_size))

    def _repeat(self, gen: int, step: Callable[[Transaction], bool]) -> None:
        """`step` until nothing is left; the slot of `gen` ends with the last one."""

        def until_done(tx: Transaction) -> bool:
            more = step(tx)
            if not more:
                tx.end_staging(self.book(tx).id, gen)
            return more

        while self.write(until_done):
            pass

    def book(self, tx: Transaction) -> CollectionRecord:
        return tx.lock_book(self.path)

    def yield_to_others(self) -> float:
        """On SQLite, after a while of writing leave a gap between two of the run's
        transactions for the writers waiting meanwhile. Returns when the next began."""
        if self._pauses and self._busy >= SQLITE_BUSY_BEFORE_PAUSE:
            # The run's pages go into the database while others may write, so that no
            # one else's commit pays for them, and the WAL starts over from its beginning
            # at the next write instead of growing for as long as the run writes.
            self.store.checkpoint()
            gap = SQLITE_PAUSE - (time.monotonic() - self._last_write)
            if gap > 0:
                time.sleep(gap)
            self._busy = 0.0
        return time.monotonic()

    def note_write(self, began: float) -> None:
        self._last_write = time.monotonic()
        took = self._last_write - began
        self._busy += took
        # The next batch in proportion (a slow transaction halves it at least).
        scaled = self.batch_size * TARGET_SECONDS / max(took, 0.001)
        self.batch_size = int(min(MOST_BATCH, max(LEAST_BATCH, min(scaled, self.batch_size * 2))))


def publish_together(stagings: Sequence[Staging], then: Callable[[Transaction], T]) -> T:
    """Make the runs of several collections (one restore of many books) visible in one
    transaction, and run `then` in it; the collections are locked in the store's order."""
    ordered = sorted(stagings, key=lambda staging: staging.path)
    first = ordered[0]
    with first.store.read() as tx:
        prepared = [
            tx.prepare_publish(tx.require_collection(staging.path).id, staging.gen)
            for staging in ordered
        ]
    began = first.yield_to_others()
    with first.store.write([s.path for s in ordered], actor=first.actor) as tx:
        for staging, ahead in zip(ordered, prepared, strict=True):
            tx.publish_staging(staging.book(tx), staging.gen, staging.holder, ahead)
        result = then(tx)
    for staging in ordered:
        staging.published = True
    first.note_write(began)
    return result
