"""The history forgets versions older than the retention by itself: the scheduler's tick
prunes them (bounded work), with the store's clock turned by hand."""

from __future__ import annotations

from contacthub.jobs.scheduler import Scheduler
from contacthub.services import history
from contacthub.sources.context import RunContext
from contacthub.store import Store
from tests.history.book import Clock, delete, put
from tests.reconcile.tiny_source import BOOK

DAY = 86400.0


def _versions(store: Store) -> int:
    with store.read() as tx:
        return len(tx.versions_after(tx.require_collection(BOOK).id, 0))


def test_the_schedulers_tick_forgets_versions_past_the_retention(
    ctx: RunContext, store: Store, clock: Clock
) -> None:
    put(store, "ann", "Ann")
    delete(store, "ann.vcf")
    clock.turn(29 * DAY)
    put(store, "bob", "Bob")
    scheduler = Scheduler(ctx)
    scheduler.tick()
    assert _versions(store) == 3
    assert [e.uid for e in history.trash(ctx, "alice", "people")] == ["ann"]

    clock.turn(2 * DAY)  # Ann's versions are 31 days old, Bob's 2
    scheduler.tick()
    assert _versions(store) == 1
    assert history.trash(ctx, "alice", "people") == []
