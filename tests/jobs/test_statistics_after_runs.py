"""After a run that changed thousands of cards, PostgreSQL's planner counts the rows
again at once (store/engine.py refresh_statistics): right after a big import it took a
book of 20,000 cards for a dozen rows and read every one for each multiget."""

from __future__ import annotations

import time

import pytest

from contacthub.jobs import runner
from contacthub.jobs.runner import run_sync
from contacthub.sources.context import RunContext
from contacthub.store import Store
from tests.fetch.http_server import LocalHTTPServer, Site
from tests.jobs.helpers import crowd, csv_of, http_sync


def analyzed(store: Store) -> int:
    """How often the items table was analyzed by hand, once PostgreSQL says so."""
    with store.engine.connect() as conn:
        count = conn.exec_driver_sql(
            "SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'items'"
        ).scalar_one()
    return int(count)


def analyzed_more_than(store: Store, before: int) -> bool:
    deadline = time.monotonic() + 5  # the statistics views follow within a second
    while time.monotonic() < deadline:
        if analyzed(store) > before:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)
def test_a_run_that_changed_many_cards_refreshes_the_statistics(
    ctx: RunContext,
    store: Store,
    site: Site,
    http: LocalHTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runner, "STATISTICS_AFTER", 20)
    small = http_sync(ctx, site, http, "/small.csv", csv_of(*crowd(19)))
    big = http_sync(ctx, site, http, "/big.csv", csv_of(*crowd(20)))
    before = analyzed(store)

    assert run_sync(ctx, small).counts["added"] == 19
    assert not analyzed_more_than(store, before)
    assert run_sync(ctx, big).counts["added"] == 20
    assert analyzed_more_than(store, before)


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_big_run_on_sqlite_needs_no_statistics(
    ctx: RunContext,
    store: Store,
    site: Site,
    http: LocalHTTPServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runner, "STATISTICS_AFTER", 2)
    source = http_sync(ctx, site, http, "/people.csv", csv_of(*crowd(3)))

    assert run_sync(ctx, source).status == "ok"
