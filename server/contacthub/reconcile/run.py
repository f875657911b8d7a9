"""Applying a change set, and a whole run: plan, apply, record — all or nothing."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from contacthub.errors import UserError
from contacthub.reconcile.changes import Change, ChangeSet, Incoming, MergedChange, Problem
from contacthub.reconcile.effect import NOTHING_TO_DO
from contacthub.reconcile.plan import plan
from contacthub.reconcile.policy import Policy
from contacthub.store import (
    Actor,
    Link,
    RunRecord,
    SourceRecord,
    StagedChange,
    Staging,
    StorageFull,
    Store,
    Transaction,
)
from contacthub.vcard.parse import item_data
from contacthub.vcard.three_way import patched

logger = logging.getLogger(__name__)

# The report keeps the first problems; a file with a million bad rows still
# gets a readable report and a bounded row in the store.
MAX_REPORTED_PROBLEMS = 200
# Cards are built outside any transaction and written ahead in batches of at most this
# many (one short write transaction each; the staging sizes them to its pace): bounded
# memory, and other writers of the book wait for one batch, not the run.
BATCH = 4000
CHANGED_MEANWHILE = "changed on the server during the run; the next run tries again"


def apply(staging: Staging, source: SourceRecord, changes: ChangeSet) -> None:
    """Write the change set ahead, invisible until the staging is published. A change
    whose contact a client changed since the plan is left out (a skip in the report)."""
    left_out: set[str] = set()
    for action in ("add", "update", "delete"):
        for batch in _batches(_in_order(changes.of(action), action), staging):
            left_out |= staging.stage(source.id, [_staged(change) for change in batch])
    staging.stage_tombstones(source.id, changes.tombstoned)
    changes.left_out(left_out, CHANGED_MEANWHILE)


def _in_order(changes: list[Change], action: str) -> list[Change]:
    """New cards in href order (a new card's href comes from its UID): each short
    transaction then writes into a few neighbouring pages of the indexes on href and UID
    instead of into most of their pages: half as much written for a big import."""
    return sorted(changes, key=lambda change: change.href) if action == "add" else changes


def _staged(change: Change) -> StagedChange:
    return StagedChange(
        change.action,
        change.key,
        change.href,
        change.uid,
        change.record_hash,
        None if change.action == "delete" else change.card(),
        change.etag,
    )


def _batches(changes: list[Change], staging: Staging) -> Iterator[list[Change]]:
    start = 0
    while start < len(changes):
        size = min(BATCH, staging.batch_size)
        yield changes[start : start + size]
        start += size


@dataclass(frozen=True)
class RunOutcome:
    changes: ChangeSet
    run: RunRecord | None  # None for a dry run

    @property
    def status(self) -> str:
        return self.run.status if self.run else _status_of(self.changes)


def _status_of(changes: ChangeSet, report: SourceReport | None = None) -> str:
    if changes.refused:
        return "refused"
    changed_elsewhere = report is not None and report.changed_elsewhere
    return "ok" if changes.has_changes or changed_elsewhere else "no_changes"


def describe_changes(counts: Mapping[str, int]) -> str:
    """The book's changes in words: "2 added, 1 updated", or NOTHING_TO_DO."""
    return (
        ", ".join(
            f"{counts[name]} {name}" for name in ("added", "updated", "deleted") if counts.get(name)
        )
        or NOTHING_TO_DO
    )


@dataclass(frozen=True)
class SourceReport:
    """What a source did besides the book's changes, for its run's record: counts that join
    the run's (messages scanned, contacts sent to Exchange), whether it changed something
    elsewhere (then the run is ok even with the book unchanged), and how to say it all."""

    counts: Mapping[str, int] = field(default_factory=dict)
    changed_elsewhere: bool = False
    describe: Callable[[Mapping[str, int]], str] = describe_changes


def run_source(
    store: Store,
    source: SourceRecord,
    read: Callable[[], tuple[Iterable[Incoming], list[Problem]]],
    policy: Policy,
    *,
    trigger: str = "manual",
    dry_run: bool = False,
    report: SourceReport | None = None,
    on_applied: Callable[[Transaction], None] | None = None,
) -> RunOutcome:
    """Read the source, then reconcile and apply all or nothing, and record the run.

    `read` returns the records and the problems met reading them; it runs before
    anything is written, so a long parse holds no lock. The changes are written ahead
    in short transactions and made visible in one with the run's record (a client sees
    all of the run or none of it). A failure leaves the book as it was and is recorded
    as a failed run.
    `report` is what the source did besides the book's changes (see SourceReport);
    `on_applied` saves the source's own state (how far it read) in the transaction that
    makes the changes visible, so the two never disagree.
    """
    started = time.time()
    after = _After(report or SourceReport(), on_applied)
    logger.log(
        logging.DEBUG if dry_run else logging.INFO,
        "run of source %s (%s) started (trigger: %s)%s",
        source.id,
        source.kind,
        trigger,
        " (a dry run)" if dry_run else "",
    )
    try:
        with _collector_paused():
            outcome = _run(store, source, read, policy, trigger, dry_run, started, after)
    except Exception as error:
        if isinstance(error, StorageFull):  # not a fault of ours: no traceback
            logger.error("run of source %s failed: %s", source.id, error)
        else:
            logger.exception("run of source %s failed", source.id)
        # A UserError is written for people; anything else may carry internals
        # (SQL, paths), which belong in the log only.
        reason = (
            str(error)
            if isinstance(error, UserError)
            else "an internal error; the server log has the details"
        )
        with store.write() as tx:
            run = tx.record_run(
                source.id,
                started_at=started,
                status="failed",
                trigger=trigger,
                counts={},
                message=reason,
            )
        raise RunFailed(reason, run) from error
    _log_end(source, outcome, time.time() - started)
    return outcome


def _log_end(source: SourceRecord, outcome: RunOutcome, seconds: float) -> None:
    if outcome.run is None:
        logger.debug(
            "dry run of source %s (%s) planned: %s",
            source.id,
            source.kind,
            _counts(outcome.changes.counts),
        )
    elif outcome.changes.refused:
        logger.warning(
            "run of source %s (%s) refused: %s", source.id, source.kind, outcome.changes.refused
        )
    else:
        logger.info(
            "run of source %s (%s) ended in %.1f s: %s, %s",
            source.id,
            source.kind,
            seconds,
            outcome.run.status,
            _counts(outcome.run.counts),
        )


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items()) or "no counts"


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A large run creates millions of objects and no cycles; the cyclic
    collector would rescan the growing heap again and again (a fifth of an
    import of 100,000 rows)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True)
class _After:
    report: SourceReport
    on_applied: Callable[[Transaction], None] | None


def _run(
    store: Store,
    source: SourceRecord,
    read: Callable[[], tuple[Iterable[Incoming], list[Problem]]],
    policy: Policy,
    trigger: str,
    dry_run: bool,
    started: float,
    after: _After,
) -> RunOutcome:
    records, problems = read()
    if dry_run:
        with store.read() as tx:
            return RunOutcome(plan(tx, source, records, policy, problems), None)
    # Written ahead in short transactions and published in one: a phone's PUT waits for
    # one of them, never for the whole run (store/staging.py).
    with Staging(store, source.book_path, Actor(source.owner, "run")) as staging:
        with store.read() as tx:
            changes = plan(tx, source, records, policy, problems)
        if not changes.refused:
            apply(staging, source, changes)

        def publish(tx: Transaction) -> RunOutcome:
            if not changes.refused and after.on_applied is not None:
                after.on_applied(tx)
            counts = {**changes.counts, **after.report.counts}
            run = tx.record_run(
                source.id,
                started_at=started,
                status=_status_of(changes, after.report),
                trigger=trigger,
                counts=counts,
                problems=[p.as_dict() for p in changes.problems[:MAX_REPORTED_PROBLEMS]],
                message=changes.refused or after.report.describe(counts),
            )
            return RunOutcome(changes, run)

        outcome = staging.publish(publish)
    if outcome.run is not None and not changes.refused:
        apply_merged(store, source, changes.merged, outcome.run.id)
    return outcome


def apply_merged(
    store: Store, source: SourceRecord, merged: list[MergedChange], run_id: int
) -> None:
    """Write the run's changes to merged cards, in one transaction with their links, once
    its book is published: a card a merge made lives in any book of the account, outside
    the run's staging. Each update is merged three-way (vcard/three_way.py) from the card
    the source brought last, and that card becomes the link's base. A card that changed
    meanwhile is merged as it is now (the merge is per property); one deleted meanwhile is
    left to the next run (its link unchanged, it sees the deletion)."""
    if not merged:
        return
    with store.read() as tx:
        books = tx.collections_by_id({m.collection_id for m in merged})
    actor = Actor(source.owner, "run", run_id=run_id)
    with store.write(sorted(book.path for book in books.values()), actor=actor) as tx:
        links = {
            link.external_key: link
            for _, link in tx.links_to_uids([source.id], {m.change.uid for m in merged})
        }
        saved: list[Link] = []
        forgotten: list[str] = []
        for change in merged:
            book, link = books[change.collection_id], links.get(change.change.key)
            item = tx.get_item(book.id, change.change.href)
            if link is None or item is None or item.uid != change.change.uid:
                continue
            if change.action == "update":
                theirs = change.change.card()
                text = patched(change.base, theirs.text, item.text)
                try:
                    with tx.savepoint():
                        if text != item.text:
                            tx.put_item(book, item.href, item_data(text))
                except UserError as error:
                    logger.warning(
                        "source %s: merged card %s not updated: %s", source.id, item.href, error
                    )
                    continue
                saved.append(
                    replace(link, record_hash=change.change.record_hash, merged_base=theirs.text)
                )
                continue
            if change.action == "delete":
                tx.delete_item(book, item.href)
            forgotten.append(link.external_key)
        tx.put_links(source.id, saved)
        tx.forget_links(source.id, forgotten)


class RunFailed(Exception):
    def __init__(self, message: str, run: RunRecord) -> None:
        super().__init__(message)
        self.run = run
