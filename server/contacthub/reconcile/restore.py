"""Putting cards back as their versions kept them: books as they were at a time, deleted
cards from the trash, one version of a card, and the undo of a run.

Each is planned in a read snapshot (a preview shows the plan) and applied as a run of its
own, the way a source's run is: written ahead in short transactions and published at once
(store/staging.py; several books in one transaction), so readers see all of it or none,
and recorded as a run of no source (kind `restore` or `undo`) whose writes are versions
like any other: a restore can be undone in turn. Every card it writes is a new write (a
new ETag, a new position in the change log): clients see it arrive at their next sync,
and sync tokens are never rewound.

Concurrent writers: the apply holds the books' staging slots (no run of a source writes
them meanwhile), plans again, and refuses with ChangedSincePreview when the plan is not
the one previewed (a card changed since). A client's write during the apply drops what
the apply wrote ahead for that card (the client wins: store/staging.py); the apply then
refuses in the same words and nothing of it shows. All or nothing, and no update lost.

Links of sources: a card put back is, for its source, the user's edit. Beyond that, a
card brought back gets its source's link back, so that the source's next run knows it
(no duplicate, no "deleted on the server"): a link the user's deletion had tombstoned is
live again, and one a run's deletion had forgotten is saved again from the version that
kept it. A card a restore removes loses its links (forgotten, not tombstoned): a later
run of its source may add it again.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Collection, Iterable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Literal

from contacthub.errors import Conflict
from contacthub.store import (
    Actor,
    CollectionRecord,
    ItemRecord,
    LinkOp,
    RunRecord,
    StagedChange,
    Staging,
    Store,
    Transaction,
    VersionRecord,
    publish_together,
)
from contacthub.vcard.names import free_href

Action = Literal["bring_back", "revert", "remove"]
_STAGED_AS = {"bring_back": "add", "revert": "update", "remove": "delete"}
CHANGED_LATER = "changed again after the run"


class ChangedSincePreview(Conflict):
    """A card the plan puts back changed since it was previewed (or while it was applied)."""

    def __init__(self) -> None:
        super().__init__(
            "changed_since_preview",
            "Contacts changed since the preview was made; nothing was restored. "
            "Look at the preview again.",
        )


@dataclass(frozen=True, slots=True)
class Revert:
    """One card put back: at `href` of the book at `book`, the card that the version
    `version_id` kept (none for a removal), replacing the card of `current_etag`."""

    book: str
    href: str
    uid: str
    name: str
    action: Action
    current_etag: str | None
    version_id: int
    links: tuple[LinkOp, ...] = ()
    ends_link: tuple[int, str, str] | None = None


@dataclass(frozen=True, slots=True)
class Untouched:
    """A card the plan leaves as it is, and why."""

    book: str
    href: str
    uid: str
    name: str
    reason: str


@dataclass
class RestorePlan:
    reverts: list[Revert] = field(default_factory=list)
    skipped: list[Untouched] = field(default_factory=list)
    # An undo: the cards changed again after the run (skipped, or put back all the same).
    changed_later: list[Untouched] = field(default_factory=list)

    def of(self, action: Action) -> list[Revert]:
        return [revert for revert in self.reverts if revert.action == action]

    @property
    def books(self) -> list[str]:
        return sorted({revert.book for revert in self.reverts})

    @property
    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.of("bring_back")),
            "updated": len(self.of("revert")),
            "deleted": len(self.of("remove")),
            "skipped": len(self.skipped),
        }

    @property
    def basis(self) -> str:
        """What the plan was made from: the same only if no card it touches changed."""
        digest = hashlib.sha256()
        for r in sorted(self.reverts, key=lambda r: (r.book, r.href)):
            digest.update(f"{r.book}\0{r.href}\0{r.action}\0{r.current_etag}\0".encode())
            digest.update(f"{r.version_id}\n".encode())
        return digest.hexdigest()


@dataclass(frozen=True)
class RestoreOutcome:
    plan: RestorePlan
    run: RunRecord


Planner = Callable[[Transaction], RestorePlan]


# -- planning ---------------------------------------------------------------------------------


class _Links:
    """The links of the sources that fill one book, by the UID of their contact."""

    def __init__(self, tx: Transaction, book: CollectionRecord) -> None:
        owner = book.path.split("/", 1)[0]
        self.keys: dict[int, set[str]] = {}
        self.by_uid: dict[str, list[tuple[int, str, str, str, bool]]] = {}
        for source in tx.list_sources(owner):
            if source.book_path != book.path:
                continue
            links = tx.links_of(source.id)
            self.keys[source.id] = set(links)
            for link in links.values():
                self.by_uid.setdefault(link.uid, []).append(
                    (source.id, link.external_key, link.href, link.record_hash, link.deleted)
                )

    def bring_back(self, uid: str, href: str, ended_by: VersionRecord | None) -> tuple[LinkOp, ...]:
        """The links of a card brought back: live again (a tombstone cleared, the href
        as it is now), or saved again from the version of the run's deletion."""
        linked = self.by_uid.get(uid, [])
        if linked:
            return tuple(
                LinkOp("save", source_id, key, uid, href, record_hash)
                for source_id, key, at, record_hash, deleted in linked
                if deleted or at != href
            )
        if (
            ended_by is not None
            and ended_by.source_id in self.keys
            and ended_by.link_key is not None
            and ended_by.link_key not in self.keys[ended_by.source_id]
        ):
            return (
                LinkOp(
                    "save",
                    ended_by.source_id,
                    ended_by.link_key,
                    uid,
                    href,
                    ended_by.link_hash or "",
                ),
            )
        return ()

    def forget(self, uid: str) -> tuple[tuple[LinkOp, ...], tuple[int, str, str] | None]:
        """The links of a card removed go, the first kept in its version."""
        linked = self.by_uid.get(uid, [])
        ops = tuple(LinkOp("forget", source_id, key) for source_id, key, *_ in linked)
        ends = (linked[0][0], linked[0][1], linked[0][3]) if linked else None
        return ops, ends


def _put_back(
    plan: RestorePlan,
    book: CollectionRecord,
    links: _Links,
    href: str,
    target: VersionRecord,
    current: ItemRecord | None,
    ended_by: VersionRecord | None,
) -> None:
    """Plan the card at `href` to be as the version `target` kept it (none: removed)."""
    if not target.existed:
        if current is not None:
            ops, ends = links.forget(current.uid)
            plan.reverts.append(
                Revert(
                    book.path,
                    href,
                    current.uid,
                    current.display_name,
                    "remove",
                    current.etag,
                    target.id,
                    ops,
                    ends,
                )
            )
        return
    if current is not None and current.etag == target.etag:
        return
    ops = links.bring_back(target.uid, href, ended_by)
    if current is not None and current.uid != target.uid:
        ops = links.forget(current.uid)[0] + ops
    plan.reverts.append(
        Revert(
            book.path,
            href,
            target.uid,
            target.display_name,
            "bring_back" if current is None else "revert",
            None if current is None else current.etag,
            target.id,
            ops,
        )
    )


def _last_deletion(written: Iterable[VersionRecord]) -> VersionRecord | None:
    """The last of these writes that deleted a card of a source (it kept the link)."""
    found = None
    for version in written:
        if version.action == "delete" and version.link_key is not None:
            found = version
    return found


def plan_to_time(tx: Transaction, books: list[CollectionRecord], at: float) -> RestorePlan:
    """Make each book as it was at the time `at`: for each href, the first write after
    `at` kept its card then (an href nobody wrote since is as it was)."""
    plan = RestorePlan()
    for book in books:
        by_href: dict[str, list[VersionRecord]] = {}
        for version in tx.versions_after(book.id, at):
            by_href.setdefault(version.href, []).append(version)
        current = tx.get_items(book.id, list(by_href))
        links = _Links(tx, book)
        for href, written in by_href.items():
            _put_back(
                plan, book, links, href, written[0], current.get(href), _last_deletion(written)
            )
    return plan


def plan_from_trash(
    tx: Transaction, book: CollectionRecord, uids: Collection[str] | None, since: float
) -> RestorePlan:
    """Bring back the cards of the trash with these UIDs (None: all), each at its href,
    or at a free one when another card took it since."""
    plan = RestorePlan()
    chosen = [v for v in tx.deleted_since(book.id, since) if uids is None or v.uid in uids]
    links = _Links(tx, book)
    planned: set[str] = set()
    for version in chosen:
        href = _free_at(tx, book, version, planned)
        ops = links.bring_back(version.uid, href, version)
        plan.reverts.append(
            Revert(
                book.path,
                href,
                version.uid,
                version.display_name,
                "bring_back",
                None,
                version.id,
                ops,
            )
        )
    return plan


def plan_version(tx: Transaction, book: CollectionRecord, version: VersionRecord) -> RestorePlan:
    """Make the card of `version` (a version of `book`) current again."""
    plan = RestorePlan()
    href = tx.href_of_uid(book.id, version.uid)
    current = tx.get_item(book.id, href) if href is not None else None
    links = _Links(tx, book)
    if current is None:
        href = _free_at(tx, book, version, set())
        ended_by = _last_deletion(tx.versions_of_uid(book.id, version.uid))
    else:
        href, ended_by = current.href, None
    _put_back(plan, book, links, href, version, current, ended_by)
    return plan


def _free_at(
    tx: Transaction, book: CollectionRecord, version: VersionRecord, planned: set[str]
) -> str:
    """The href of `version`, or a free one if a card or the plan has taken it."""

    def taken(href: str) -> bool:
        return href in planned or tx.get_item(book.id, href) is not None

    href = version.href if not taken(version.href) else free_href(version.uid, taken)
    planned.add(href)
    return href


def plan_undo(tx: Transaction, run_id: int, include_later_changes: bool) -> RestorePlan:
    """Undo the run `run_id`: its adds removed, its updates and deletions reverted. A card
    written again after the run is named in `changed_later`, and left as it is unless
    `include_later_changes`."""
    plan = RestorePlan()
    written = tx.versions_of_run(run_id)
    books = tx.collections_by_id({v.collection_id for v in written})
    for collection_id, book in sorted(books.items(), key=lambda item: item[1].path):
        of_book = [v for v in written if v.collection_id == collection_id]
        hrefs = [v.href for v in of_book]
        newest: dict[str, int] = {}
        for version in tx.versions_of_hrefs(collection_id, hrefs):
            newest[version.href] = max(newest.get(version.href, version.seq), version.seq)
        current = tx.get_items(collection_id, hrefs)
        links = _Links(tx, book)
        # A card the run wrote twice (a group card its bridge rewrote for two members)
        # goes back to before the run's first write, and only a later run's write is later.
        last_of_run: dict[str, int] = {}
        for version in of_book:
            last_of_run[version.href] = max(last_of_run.get(version.href, 0), version.seq)
        first_of_run: dict[str, VersionRecord] = {}
        for version in sorted(of_book, key=lambda version: version.seq):
            first_of_run.setdefault(version.href, version)
        for version in first_of_run.values():
            now = current.get(version.href)
            if newest[version.href] > last_of_run[version.href]:
                later = Untouched(
                    book.path,
                    version.href,
                    version.uid,
                    now.display_name if now is not None else version.display_name,
                    CHANGED_LATER,
                )
                plan.changed_later.append(later)
                if not include_later_changes:
                    plan.skipped.append(later)
                    continue
            _put_back(plan, book, links, version.href, version, now, version)
    return plan


# -- applying ---------------------------------------------------------------------------------


def apply_plan(
    store: Store,
    books: Collection[str],
    planner: Planner,
    *,
    actor: Actor,
    kind: str,
    trigger: str,
    message: Callable[[RestorePlan], str],
    basis: str | None = None,
) -> RestoreOutcome:
    """Hold the staging slots of `books` (the paths of those the plan may touch), plan,
    then put the cards back as one run of `kind` (restore, undo), recorded with
    `message`. With `basis` (a preview's), refuse if the plan is no longer that one."""
    started = time.time()
    with ExitStack() as held:
        stagings = [held.enter_context(Staging(store, path, actor)) for path in sorted(books)]
        with store.read() as tx:  # now that no run of a source writes the books
            plan = planner(tx)
        if (basis is not None and plan.basis != basis) or not set(plan.books) <= set(books):
            raise ChangedSincePreview()
        for staging in stagings:
            _stage(store, staging, [r for r in plan.reverts if r.book == staging.path])

        def record(tx: Transaction) -> RunRecord:
            for staging in stagings:
                wanted = sum(1 for r in plan.reverts if r.book == staging.path)
                if tx.staged_count(staging.book(tx).id, staging.gen) != wanted:
                    raise ChangedSincePreview()  # a client wrote one of the cards meanwhile
            return tx.record_run(
                None,
                owner=actor.account,
                kind=kind,
                started_at=started,
                status="ok" if plan.reverts else "no_changes",
                trigger=trigger,
                counts=plan.counts,
                message=message(plan),
            )

        if stagings:
            run = publish_together(stagings, record)
            for staging in stagings:
                staging.settle_later = True  # the cards are back: answer now
        else:
            with store.write(actor=actor) as tx:
                run = record(tx)
    return RestoreOutcome(plan, run)


def _stage(store: Store, staging: Staging, reverts: list[Revert]) -> None:
    """Write the book's reverts ahead, in batches, with their cards and links."""
    replaced = {r.href for r in reverts if r.action != "bring_back"}
    start = 0
    while start < len(reverts):
        batch = reverts[start : start + staging.batch_size]
        start += len(batch)
        with store.read() as tx:
            kept = tx.versions_by_ids([r.version_id for r in batch if r.action != "remove"])
        changes = [
            StagedChange(
                _STAGED_AS[r.action],
                r.href,
                r.href,
                r.uid,
                data=kept[r.version_id].before() if r.action != "remove" else None,
                base_etag=r.current_etag or "",
                ends_link=r.ends_link,
            )
            for r in batch
        ]
        if staging.stage(None, changes, replaced):
            raise ChangedSincePreview()
    staging.stage_link_ops([op for r in reverts for op in r.links])
