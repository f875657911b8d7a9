"""One run per occurrence however many schedulers share a store; runs whose process died,
runs that break, and a sync asked to run while it runs."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from contacthub.config import DEFAULT_RUN_LEASE
from contacthub.jobs import runner
from contacthub.jobs.runner import INTERNAL_ERROR, INTERRUPTED, run_sync
from contacthub.jobs.scheduler import Scheduler
from contacthub.jobs.status import status_of
from contacthub.reconcile import RunOutcome
from contacthub.sources.context import RunContext
from contacthub.sources.csv import source as csv_source
from contacthub.sources.settings import SyncBusy
from contacthub.store import Lease, RunRecord, SourceRecord, Store, Transaction
from tests.fetch.http_server import LocalHTTPServer, Site
from tests.jobs.conftest import Clock
from tests.jobs.helpers import http_sync, reload, runs_of, schedule, utc
from tests.support.net import wait_until

DUE = utc(2027, 3, 2, 7)  # 09:00 in Tallinn
NEXT = utc(2027, 3, 3, 7)
DEAD = "dead-host:4242:0badcafe"


def scheduled_sync(
    ctx: RunContext, site: Site, http: LocalHTTPServer, clock: Clock, path: str = "/people.csv"
) -> SourceRecord:
    clock.set(utc(2027, 3, 1))
    source = http_sync(ctx, site, http, path)
    return schedule(
        ctx, source, start="2027-03-02T09:00", timezone="Europe/Tallinn", frequency="daily"
    )


def at(timestamp: float | None) -> datetime | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC)


# -- claiming ------------------------------------------------------------------------------


def test_two_schedulers_on_one_store_run_each_due_sync_exactly_once(
    ctx: RunContext, store: Store, store_url: str, site: Site, http: LocalHTTPServer, clock: Clock
) -> None:
    paths = [f"/sync-{n:02}.csv" for n in range(20)]
    syncs = [scheduled_sync(ctx, site, http, clock, path) for path in paths]
    other_store = Store.open(store_url, upgrade=False)  # as another process would
    schedulers = [
        Scheduler(ctx, holder="worker-a"),
        Scheduler(RunContext(other_store, ctx.settings, clock=clock), holder="worker-b"),
    ]
    clock.set(DUE)
    site.requests.clear()
    start = threading.Barrier(len(schedulers))
    made: dict[str, list[RunRecord]] = {}

    def tick(scheduler: Scheduler) -> None:
        start.wait()
        made[scheduler.holder] = scheduler.tick()

    threads = [threading.Thread(target=tick, args=(s,)) for s in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other_store.close()

    ran = [run for runs in made.values() for run in runs]
    assert sorted(run.source_id for run in ran) == sorted(sync.id for sync in syncs)
    for sync in syncs:
        [run] = runs_of(store, sync)
        assert (run.status, run.trigger) == ("ok", "schedule")
        assert at(reload(store, sync).next_run_at) == NEXT
    assert Counter(request["path"] for request in site.requests) == dict.fromkeys(paths, 1)


# -- runs whose process died -----------------------------------------------------------------


def dead_claim(store: Store, source: SourceRecord, now: float) -> Lease:
    """Claim the due occurrence as a process that then dies (it never ends its lease)."""
    lease = Lease(source.id, DEAD, "schedule", now, now + DEFAULT_RUN_LEASE)
    with store.write() as tx:
        assert tx.claim_due(source.id, source.next_run_at or 0, NEXT.timestamp(), lease)
    return lease


def test_a_run_left_by_a_dead_process_is_running_until_its_lease_ends_then_interrupted(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer, clock: Clock
) -> None:
    source = scheduled_sync(ctx, site, http, clock)
    clock.set(DUE)
    lease = dead_claim(store, source, clock())
    scheduler = Scheduler(ctx)

    with store.read() as tx:
        status = status_of(tx, reload(store, source), clock())
    assert (status.status, status.running_since) == ("running", DUE.timestamp())
    with pytest.raises(SyncBusy):
        run_sync(ctx, source)

    clock.fixed = lease.until  # the last moment the lease holds
    assert scheduler.tick() == []
    with store.read() as tx:
        assert status_of(tx, reload(store, source), clock()).status == "running"
    assert runs_of(store, source) == []

    clock.advance(1)
    scheduler.tick()

    [run] = runs_of(store, source)
    assert (run.status, run.trigger, run.message) == ("failed", "schedule", INTERRUPTED)
    assert run.started_at == lease.taken_at
    source = reload(store, source)
    with store.read() as tx:
        status = status_of(tx, source, clock())
        assert tx.lease_of(source.id) is None
    assert (status.status, status.text, status.running_since) == (
        "failed",
        f"failed: {INTERRUPTED}",
        None,
    )
    assert at(source.next_run_at) == NEXT  # the sync keeps its schedule
    assert scheduler.tick() == [] and len(runs_of(store, source)) == 1

    clock.set(NEXT)
    [next_run] = scheduler.tick()
    assert next_run.status == "ok"


def test_an_interrupted_run_is_recorded_once_by_schedulers_that_both_saw_it(
    ctx: RunContext,
    store: Store,
    site: Site,
    http: LocalHTTPServer,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = scheduled_sync(ctx, site, http, clock)
    clock.set(DUE)
    lease = dead_claim(store, source, clock())
    clock.fixed = lease.until + 1
    assert len(Scheduler(ctx, holder="worker-a").recover()) == 1

    # worker-b read the expired leases before worker-a's recovery was committed.
    monkeypatch.setattr(Transaction, "expired_leases", lambda self, now: [lease])
    assert Scheduler(ctx, holder="worker-b").recover() == []

    assert [run.message for run in runs_of(store, source)] == [INTERRUPTED]


def test_a_lease_renewed_after_it_was_seen_expired_is_not_taken_for_dead(
    ctx: RunContext,
    store: Store,
    site: Site,
    http: LocalHTTPServer,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = scheduled_sync(ctx, site, http, clock)
    clock.set(DUE)
    lease = dead_claim(store, source, clock())
    clock.fixed = lease.until + 1
    monkeypatch.setattr(Transaction, "expired_leases", lambda self, now: [lease])
    with store.write() as tx:  # the holder was slow, not dead: it renews just in time
        assert tx.renew_lease(lease, clock() + DEFAULT_RUN_LEASE)

    assert Scheduler(ctx).recover() == []

    assert runs_of(store, source) == []
    with store.read() as tx:
        held = tx.lease_of(source.id)
    assert held is not None and held.holder == DEAD


def test_a_long_run_renews_its_lease_and_is_not_taken_for_dead(
    ctx: RunContext,
    store: Store,
    site: Site,
    http: LocalHTTPServer,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = http_sync(ctx, site, http)
    clock.set(DUE)
    monkeypatch.setattr(runner, "RENEW_EVERY", 0.01)
    real_import = csv_source.run_import
    recovered: list[RunRecord] = []

    def long_import(*args: Any, **kwargs: Any) -> RunOutcome:
        first = lease_until(store, source)
        clock.advance(DEFAULT_RUN_LEASE - 1)  # the run has lasted almost one lease term
        wait_until(lambda: lease_until(store, source) > first, 5, "the lease's renewal")
        clock.fixed = first + 10  # past the first term
        recovered.extend(Scheduler(ctx).recover())
        return real_import(*args, **kwargs)

    monkeypatch.setattr(csv_source, "run_import", long_import)
    run = run_sync(ctx, source)

    assert recovered == []
    assert run.status == "ok" and runs_of(store, source) == [run]
    with store.read() as tx:
        assert tx.lease_of(source.id) is None


def lease_until(store: Store, source: SourceRecord) -> float:
    with store.read() as tx:
        lease = tx.lease_of(source.id)
    assert lease is not None
    return lease.until


# -- runs that break ---------------------------------------------------------------------------


def break_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any, **kwargs: Any) -> RunOutcome:
        raise RuntimeError("psycopg: connection to /var/run/secret.sock, password=hunter2")

    monkeypatch.setattr(csv_source, "run_import", broken)


def test_a_scheduled_run_that_breaks_is_recorded_failed_without_internals(
    ctx: RunContext,
    store: Store,
    site: Site,
    http: LocalHTTPServer,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = scheduled_sync(ctx, site, http, clock)
    break_imports(monkeypatch)
    clock.set(DUE)

    with caplog.at_level(logging.ERROR):
        [run] = Scheduler(ctx).tick()

    assert (run.status, run.trigger, run.message) == ("failed", "schedule", INTERNAL_ERROR)
    assert "hunter2" not in run.message and "secret.sock" not in run.message
    assert runs_of(store, source) == [run]
    assert "hunter2" in caplog.text  # the details are in the server log
    source = reload(store, source)
    with store.read() as tx:
        assert tx.lease_of(source.id) is None
        assert status_of(tx, source, clock()).status == "failed"
    assert at(source.next_run_at) == NEXT


def test_a_manual_run_that_breaks_is_recorded_failed_and_frees_the_sync(
    ctx: RunContext,
    store: Store,
    site: Site,
    http: LocalHTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = http_sync(ctx, site, http)
    break_imports(monkeypatch)

    run = run_sync(ctx, source)

    assert (run.status, run.message) == ("failed", INTERNAL_ERROR)
    monkeypatch.undo()
    assert run_sync(ctx, source).status == "ok"  # not left "running"


# -- a sync that is running -------------------------------------------------------------------


def test_running_a_sync_that_is_running_raises_sync_busy(
    ctx: RunContext,
    store: Store,
    site: Site,
    http: LocalHTTPServer,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = scheduled_sync(ctx, site, http, clock)
    clock.set(DUE)
    inside, release = threading.Event(), threading.Event()
    real_import = csv_source.run_import

    def slow_import(*args: Any, **kwargs: Any) -> RunOutcome:
        inside.set()
        assert release.wait(10)
        return real_import(*args, **kwargs)

    monkeypatch.setattr(csv_source, "run_import", slow_import)
    made: list[RunRecord] = []
    first = threading.Thread(target=lambda: made.append(run_sync(ctx, source)))
    first.start()
    try:
        assert inside.wait(10)
        with pytest.raises(SyncBusy, match="is running already"):
            run_sync(ctx, source)
        assert Scheduler(ctx).tick() == []  # due, but running: not claimed
        with store.read() as tx:
            assert status_of(tx, reload(store, source), clock()).status == "running"
    finally:
        release.set()
        first.join()

    assert [run.status for run in made] == ["ok"]
    assert [run.trigger for run in runs_of(store, source)] == ["manual"]
    assert at(reload(store, source).next_run_at) == DUE  # still due: the scheduler's turn
    [scheduled] = Scheduler(ctx).tick()
    assert scheduled.trigger == "schedule"


def test_a_sync_never_run_says_so(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer
) -> None:
    source = http_sync(ctx, site, http)

    with store.read() as tx:
        status = status_of(tx, reload(store, source), ctx.now())

    assert (status.status, status.text, status.latest) == ("never", "not run yet", None)
