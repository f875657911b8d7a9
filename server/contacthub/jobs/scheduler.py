"""The scheduler: runs the syncs that are due, in `serve` or in `contacthub worker`.

Every tick it first ends the leases of runs whose process died (recording them
as failed; their syncs keep their schedules), forgets some of the versions of cards
older than the history's retention, then claims due syncs one at a time and runs
each. A claim moves the sync's next run on in the same UPDATE,
so however many schedulers share one store, each occurrence runs once. A
scheduler that was down does not catch up on missed occurrences: a sync runs
once, then at its next occurrence after now.
"""

from __future__ import annotations

import logging
import threading

from contacthub.config import DEFAULT_SCHEDULER_INTERVAL
from contacthub.jobs.runner import holder_name, lease_seconds, record_interrupted, run_sync
from contacthub.measures import SCHEDULER_LAG
from contacthub.sources.context import RunContext
from contacthub.sources.schedule import ScheduleError
from contacthub.sources.settings import next_run_at, schedule_of
from contacthub.store import (
    Lease,
    RunRecord,
    SourceRecord,
    StorageFull,
    prune_history,
    purge_deleted_books,
)

logger = logging.getLogger(__name__)

TICK_SECONDS = float(DEFAULT_SCHEDULER_INTERVAL)  # [contacthub] scheduler_interval


class Scheduler:
    def __init__(self, ctx: RunContext, holder: str | None = None) -> None:
        self.ctx = ctx
        self.holder = holder or holder_name()

    def tick(self) -> list[RunRecord]:
        """Recover dead runs, forget versions older than the history's retention (bounded
        work: a backlog goes over several ticks), then run every sync that is due now;
        returns their runs."""
        self.recover()
        self.prune()
        done: list[RunRecord] = []
        tried: set[int] = set()
        while True:
            claimed = self._claim_next(tried)
            if claimed is None:
                return done
            source, lease = claimed
            logger.info(
                "scheduler %s: source %s (%s) is due; running it",
                self.holder,
                source.id,
                source.kind,
            )
            try:
                done.append(run_sync(self.ctx, source, trigger="schedule", lease=lease))
            except StorageFull as full:
                logger.error("scheduled run of source %s failed: %s", source.id, full)
            except Exception:  # one broken sync must not stop the others
                logger.exception("scheduled run of source %s failed", source.id)

    def _claim_next(self, tried: set[int]) -> tuple[SourceRecord, Lease] | None:
        """Claim one due sync not tried yet in this tick; None when none is left."""
        while True:
            now = self.ctx.now()
            with self.ctx.store.write() as tx:
                due = [
                    (source_id, at)
                    for source_id, at in tx.due_sources(now, len(tried) + 20)
                    if source_id not in tried
                ]
                if not due:
                    return None
                for source_id, at in sorted(due):  # source rows are locked in id order
                    tried.add(source_id)
                    source = tx.require_source(source_id)
                    try:
                        schedule = schedule_of(source)
                    except ScheduleError as error:  # one broken sync must not stop the others
                        logger.error(
                            "source %s: its schedule cannot be read (%s); it is "
                            "no longer scheduled",
                            source_id,
                            error,
                        )
                        schedule = None
                    if schedule is None:  # a schedule removed while due
                        tx.set_next_run(source_id, None)
                        continue
                    lease = Lease(
                        source_id, self.holder, "schedule", now, now + lease_seconds(self.ctx)
                    )
                    if tx.claim_due(source_id, at, next_run_at(schedule, max(now, at)), lease):
                        SCHEDULER_LAG.set(max(0.0, now - at))
                        return source, lease

    def prune(self) -> int:
        """Forget some of the versions, and purge some of the deleted books, past the
        retention; how many versions (0 if that failed)."""
        try:
            pruned = prune_history(self.ctx.store)
            purge_deleted_books(self.ctx.store)
        except Exception:  # the history waits for the next tick; the runs must not
            logger.exception("scheduler %s: pruning the history failed", self.holder)
            return 0
        return pruned

    def recover(self) -> list[RunRecord]:
        """Record the runs whose process died as failed (see runner.record_interrupted)."""
        return record_interrupted(self.ctx)

    def run_forever(self, stop: threading.Event, interval: float = TICK_SECONDS) -> None:
        logger.info("scheduler %s started", self.holder)
        while not stop.is_set():
            try:
                self.tick()
            except StorageFull as full:  # reads go on; runs wait for room
                logger.error("scheduler tick failed: %s", full)
            except Exception:  # the store may be away for a moment; try again next tick
                logger.exception("scheduler tick failed")
            stop.wait(interval)
        logger.info("scheduler %s stopped", self.holder)
