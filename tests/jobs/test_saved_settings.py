"""Saving a sync's settings: notification addresses, schedules, a new origin, deleting."""

from __future__ import annotations

import pytest

from contacthub.config import DEFAULT_RUN_LEASE
from contacthub.jobs.runner import INTERRUPTED, run_sync
from contacthub.sources.context import RunContext
from contacthub.sources.csv.remote import origin_of, update_origin
from contacthub.sources.settings import (
    SyncBusy,
    SyncError,
    delete_sync,
    parse_notify,
    parse_schedule,
)
from contacthub.store import Lease, Store
from tests.fetch.http_server import LocalHTTPServer, Site
from tests.jobs.conftest import Clock
from tests.jobs.helpers import book_of, http_sync, reload, runs_of, serve


def test_notify_takes_addresses_separated_by_commas_or_semicolons() -> None:
    assert parse_notify("ann@example.org; Bob <bob@example.org>, ann@example.org") == [
        "ann@example.org",
        "bob@example.org",
    ]
    assert parse_notify(["cid@example.org"]) == ["cid@example.org"]
    assert parse_notify("") == []


@pytest.mark.parametrize(
    "text", ["not an address", "ann@localhost", "@example.org", "ann@example.org bob@example.org"]
)
def test_notify_names_the_entry_that_is_not_an_address(text: str) -> None:
    with pytest.raises(SyncError) as raised:
        parse_notify(f"ok@example.org, {text}")
    assert raised.value.field == "notify"
    assert str(raised.value).startswith(f"{text!r} is not an email address")


def test_a_schedule_that_is_not_an_object_is_reported_on_the_schedule(
    ctx: RunContext, site: Site, http: LocalHTTPServer
) -> None:
    source = http_sync(ctx, site, http)
    with pytest.raises(SyncError) as raised:
        parse_schedule("daily", origin_of(source), ctx.now())
    assert raised.value.field == "schedule"


def test_a_new_url_with_other_columns_gets_a_mapping_that_fits(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer
) -> None:
    source = http_sync(ctx, site, http)  # Name, Email, Company
    serve(site, "/other.csv", b"Full Name;E-mail Address\r\nDee Dunn;dee@example.org\r\n")

    update_origin(ctx, source, {"url": http.url("/other.csv")})
    run = run_sync(ctx, source)

    assert (run.status, run.counts["added"]) == ("ok", 1), run.message
    assert book_of(store, source).names == ["Dee Dunn"]


def test_a_running_sync_is_not_deleted(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer
) -> None:
    source = http_sync(ctx, site, http)
    now = ctx.now()
    with store.write() as tx:
        assert tx.take_lease(Lease(source.id, "busy-worker", "schedule", now, now + 60))
    with pytest.raises(SyncBusy):
        delete_sync(ctx, source)
    assert reload(store, source).id == source.id


def test_import_now_after_a_dead_run_records_that_run_first(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer, clock: Clock
) -> None:
    source = http_sync(ctx, site, http)
    now = ctx.now()
    with store.write() as tx:
        tx.take_lease(Lease(source.id, "dead-worker", "schedule", now, now + DEFAULT_RUN_LEASE))
    clock.advance(DEFAULT_RUN_LEASE + 1)

    run = run_sync(ctx, source)

    assert run.status == "ok"
    assert [(r.status, r.message) for r in runs_of(store, source)][:1] == [("failed", INTERRUPTED)]
