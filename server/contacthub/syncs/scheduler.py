"""The scheduler: runs the syncs that are due, in `serve` or in `contacthub worker`.

Every tick it first ends the leases of runs whose process died (recording them
as failed; their syncs keep their schedules), then claims due syncs one at a
time and runs each. A claim moves the sync's next run on in the same UPDATE,
so however many schedulers share one store, each occurrence runs once. A
scheduler that was down does not catch up on missed occurrences: a sync runs
once, then at its next occurrence after now.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime

from ..store.leases import Lease
from ..store.runs import RunRecord
from ..store.sources import SourceRecord
from .context import SyncContext
from .runner import LEASE_SECONDS, holder_name, run_sync
from .saved import next_run_at, schedule_of

logger = logging.getLogger(__name__)

TICK_SECONDS = 30.0
INTERRUPTED = ("failed: the run was interrupted (the process running it stopped); "
               "the sync keeps its schedule")


class Scheduler:
    def __init__(self, ctx: SyncContext, holder: str | None = None) -> None:
        self.ctx = ctx
        self.holder = holder or holder_name()

    def tick(self) -> list[RunRecord]:
        """Recover dead runs, then run every sync that is due now; returns their runs."""
        self.recover()
        done: list[RunRecord] = []
        tried: set[int] = set()
        while True:
            claimed = self._claim_next(tried)
            if claimed is None:
                return done
            source, lease = claimed
            try:
                done.append(run_sync(self.ctx, source, trigger="schedule", lease=lease))
            except Exception:  # one broken sync must not stop the others
                logger.exception("scheduled run of source %s failed", source.id)

    def _claim_next(self, tried: set[int]) -> tuple[SourceRecord, Lease] | None:
        """Claim one due sync not tried yet in this tick; None when none is left."""
        while True:
            now = self.ctx.now()
            with self.ctx.store.write() as tx:
                due = [(source_id, at) for source_id, at in tx.due_sources(now, len(tried) + 20)
                       if source_id not in tried]
                if not due:
                    return None
                for source_id, at in due:
                    tried.add(source_id)
                    source = tx.require_source(source_id)
                    schedule = schedule_of(source)
                    if schedule is None:  # a schedule removed while due
                        tx.set_next_run(source_id, None)
                        continue
                    lease = Lease(source_id, self.holder, "schedule", now, now + LEASE_SECONDS)
                    if tx.claim_due(source_id, at, next_run_at(schedule, max(now, at)), lease):
                        return source, lease

    def recover(self) -> list[RunRecord]:
        """Runs whose lease expired were interrupted: record them as failed."""
        now = self.ctx.now()
        recorded = []
        with self.ctx.store.write() as tx:
            for lease in tx.expired_leases(now):
                tx.end_lease(lease)
                recorded.append(tx.record_run(
                    lease.source_id, started_at=lease.taken_at, status="failed",
                    trigger=lease.trigger, counts={}, message=INTERRUPTED))
                logger.warning("source %s: the run started at %s by %s was interrupted",
                               lease.source_id, _iso(lease.taken_at), lease.holder)
        return recorded

    def run_forever(self, stop: threading.Event, interval: float = TICK_SECONDS) -> None:
        logger.info("scheduler %s started", self.holder)
        while not stop.is_set():
            try:
                self.tick()
            except Exception:  # the store may be away for a moment; try again next tick
                logger.exception("scheduler tick failed")
            stop.wait(interval)
        logger.info("scheduler %s stopped", self.holder)


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")
