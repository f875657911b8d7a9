"""The scheduler runs due syncs at their local times; its clock is turned by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import REGISTRY

from contacthub.jobs.runner import run_sync
from contacthub.jobs.scheduler import Scheduler
from contacthub.jobs.status import status_of
from contacthub.sources.context import RunContext
from contacthub.sources.csv import source as csv_source
from contacthub.store import RunRecord, SourceRecord, Store
from tests.fetch.http_server import LocalHTTPServer, Site
from tests.jobs.conftest import Clock
from tests.jobs.helpers import (
    book_of,
    crowd,
    csv_of,
    http_sync,
    reload,
    runs_of,
    schedule,
    serve,
    utc,
)

TALLINN = "Europe/Tallinn"


def scheduled_sync(
    ctx: RunContext,
    site: Site,
    http: LocalHTTPServer,
    clock: Clock,
    path: str = "/people.csv",
    **form: Any,
) -> SourceRecord:
    """A sync made on 1 March 2027, scheduled by `form` (daily at 09:00 in Tallinn from
    2 March unless told otherwise)."""
    clock.set(utc(2027, 3, 1))
    source = http_sync(ctx, site, http, path)
    return schedule(
        ctx,
        source,
        **{"start": "2027-03-02T09:00", "timezone": TALLINN, "frequency": "daily", **form},
    )


def step(
    scheduler: Scheduler, clock: Clock, until: datetime, every: timedelta = timedelta(hours=1)
) -> list[tuple[datetime, RunRecord]]:
    """Tick at every step up to `until`; the runs made, with the clock's time at each."""
    made = []
    while clock.utc() < until:
        clock.advance(every.total_seconds())
        made += [(clock.utc(), run) for run in scheduler.tick()]
    return made


def next_run(store: Store, source: SourceRecord) -> datetime | None:
    at = reload(store, source).next_run_at
    return None if at is None else datetime.fromtimestamp(at, UTC)


def test_a_sync_runs_at_its_due_time_and_not_before(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer, clock: Clock
) -> None:
    source = scheduled_sync(ctx, site, http, clock)
    due = utc(2027, 3, 2, 7)  # 09:00 in Tallinn, winter time (UTC+2)
    assert next_run(store, source) == due
    scheduler = Scheduler(ctx)

    clock.set(due - timedelta(seconds=1))
    assert scheduler.tick() == []
    assert runs_of(store, source) == []

    clock.set(due)
    [run] = scheduler.tick()

    assert (run.trigger, run.status) == ("schedule", "ok") and run.counts["added"] == 2
    assert next_run(store, source) == utc(2027, 3, 3, 7)
    assert scheduler.tick() == []  # the same moment again: the occurrence ran
    assert len(runs_of(store, source)) == 1


def test_how_late_a_scheduled_run_started_and_its_outcome_are_counted(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer, clock: Clock
) -> None:
    source = scheduled_sync(ctx, site, http, clock)
    due = utc(2027, 3, 2, 7)
    assert next_run(store, source) == due
    runs = ("contacthub_sync_runs_total", {"kind": "csv", "outcome": "ok"})
    runs_before = REGISTRY.get_sample_value(*runs) or 0

    clock.set(due + timedelta(seconds=42))  # the scheduler was busy, or down, for 42 s
    [run] = Scheduler(ctx).tick()

    assert run.status == "ok"
    assert REGISTRY.get_sample_value("contacthub_scheduler_lag_seconds") == 42
    assert REGISTRY.get_sample_value(*runs) == runs_before + 1


def test_a_daily_local_time_follows_the_clock_change_in_october(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer, clock: Clock
) -> None:
    clock.set(utc(2027, 10, 27))
    source = http_sync(ctx, site, http)
    schedule(ctx, source, start="2027-10-28T09:00", timezone=TALLINN, frequency="daily")

    made = step(Scheduler(ctx), clock, utc(2027, 11, 3))

    # Summer time (UTC+3) ends on Sunday 31 October at 04:00 local time.
    assert [at for at, _ in made] == [
        utc(2027, 10, 28, 6),
        utc(2027, 10, 29, 6),
        utc(2027, 10, 30, 6),
        utc(2027, 10, 31, 7),
        utc(2027, 11, 1, 7),
        utc(2027, 11, 2, 7),
    ]
    assert {run.trigger for _, run in made} == {"schedule"}
    assert [run.status for _, run in made] == ["ok"] + ["no_changes"] * 5
    assert next_run(store, source) == utc(2027, 11, 3, 7)


def test_a_schedule_that_ends_after_n_runs_stops_after_them(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer, clock: Clock
) -> None:
    source = scheduled_sync(ctx, site, http, clock, count=3)

    made = step(Scheduler(ctx), clock, utc(2027, 3, 10))

    assert [at for at, _ in made] == [utc(2027, 3, 2, 7), utc(2027, 3, 3, 7), utc(2027, 3, 4, 7)]
    assert next_run(store, source) is None
    assert len(runs_of(store, source)) == 3


def test_a_schedule_that_ends_by_a_date_runs_on_that_day_and_stops(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer, clock: Clock
) -> None:
    source = scheduled_sync(ctx, site, http, clock, until="2027-03-04")

    made = step(Scheduler(ctx), clock, utc(2027, 3, 10))

    assert [at for at, _ in made] == [utc(2027, 3, 2, 7), utc(2027, 3, 3, 7), utc(2027, 3, 4, 7)]
    assert next_run(store, source) is None


def test_a_scheduler_that_was_down_runs_once_then_at_the_next_occurrence_after_now(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer, clock: Clock
) -> None:
    source = scheduled_sync(ctx, site, http, clock)
    scheduler = Scheduler(ctx)

    clock.set(utc(2027, 3, 5, 10))  # three occurrences missed
    [run] = scheduler.tick()

    assert run.trigger == "schedule"
    assert next_run(store, source) == utc(2027, 3, 6, 7)
    assert scheduler.tick() == []
    assert len(runs_of(store, source)) == 1


def test_a_schedule_that_runs_once_runs_once(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer, clock: Clock
) -> None:
    source = scheduled_sync(ctx, site, http, clock, frequency="once")
    assert next_run(store, source) == utc(2027, 3, 2, 7)

    made = step(Scheduler(ctx), clock, utc(2027, 3, 6))

    assert [at for at, _ in made] == [utc(2027, 3, 2, 7)]
    assert next_run(store, source) is None


def test_a_disabled_sync_is_not_run(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer, clock: Clock
) -> None:
    source = scheduled_sync(ctx, site, http, clock)
    with store.write() as tx:
        tx.update_source(tx.require_source(source.id), enabled=False)

    clock.set(utc(2027, 3, 2, 8))
    assert Scheduler(ctx).tick() == []
    assert runs_of(store, source) == []


def test_a_sync_whose_schedule_cannot_be_read_does_not_stop_the_others(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer, clock: Clock
) -> None:
    broken = scheduled_sync(ctx, site, http, clock, path="/broken.csv")
    sound = scheduled_sync(ctx, site, http, clock, path="/sound.csv")
    with store.write() as tx:  # e.g. a time zone the system's tz database no longer has
        current = tx.require_source(broken.id)
        tx.update_source(
            current,
            settings={
                **current.settings,
                "schedule": "DTSTART;TZID=Mars/Olympus:20270302T090000\r\n",
            },
        )

    clock.set(utc(2027, 3, 2, 7))
    [run] = Scheduler(ctx).tick()

    assert run.source_id == sound.id
    assert next_run(store, broken) is None and runs_of(store, broken) == []


def test_a_scheduled_run_that_would_delete_almost_everything_is_refused(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer, clock: Clock
) -> None:
    everyone = crowd(10)
    source = http_sync(ctx, site, http, content=csv_of(*everyone))
    csv_source.configure(store, source, delete_missing=True)
    assert run_sync(ctx, source).counts["added"] == 10
    tomorrow = (clock.utc() + timedelta(days=1)).date()
    source = schedule(ctx, source, start=f"{tomorrow}T09:00", timezone="UTC", frequency="daily")
    book = book_of(store, source)
    serve(site, "/people.csv", csv_of(everyone[0]))  # keeps 1 of 10: 10 %

    clock.set(datetime.fromtimestamp(source.next_run_at or 0, UTC))
    [refused] = Scheduler(ctx).tick()

    assert (refused.status, refused.trigger) == ("refused", "schedule")
    assert book_of(store, source) == book
    with store.read() as tx:
        status = status_of(tx, reload(store, source), ctx.now())
    assert status.text == (
        "refused by the mass-deletion guard: this run would delete 9 of "
        "the sync's 10 contacts and keep 1; run it by hand with the "
        "override if that is intended"
    )

    assert run_sync(ctx, source).status == "refused"  # by hand, but without the override
    by_hand = run_sync(ctx, source, override_mass_deletion=True)

    assert by_hand.status == "ok" and by_hand.counts["deleted"] == 9
    assert book_of(store, source).names == [everyone[0][0]]


def test_a_run_asked_for_as_scheduled_cannot_override_the_guard(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer
) -> None:
    everyone = crowd(10)
    source = http_sync(ctx, site, http, content=csv_of(*everyone))
    csv_source.configure(store, source, delete_missing=True)
    run_sync(ctx, source)
    book = book_of(store, source)
    serve(site, "/people.csv", csv_of(everyone[0]))

    run = run_sync(ctx, source, trigger="schedule", override_mass_deletion=True)

    assert run.status == "refused"
    assert book_of(store, source) == book
