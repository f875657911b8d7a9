"""What a CSV run tells the operator's log: that it started, how it ended with its counts,
and, as a warning, that the mass-deletion guard refused it."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest

from contacthub.sources.csv.source import run_import
from contacthub.store import Store
from tests.csv_source.test_csv_import import TEN, keyed_sync, people, upload

RUN_LOGGER = "contacthub.reconcile.run"


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    yield opened
    opened.close()


def run_messages(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == RUN_LOGGER]


def test_a_run_logs_its_start_and_its_end_with_counts(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    source = keyed_sync(store, people(TEN))
    caplog.set_level(logging.INFO, logger="contacthub")
    run_import(store, source, trigger="schedule")
    (start_level, start), (end_level, end) = run_messages(caplog)
    assert (start_level, end_level) == (logging.INFO, logging.INFO)
    assert start == f"run of source {source.id} (csv) started (trigger: schedule)"
    assert re.fullmatch(
        rf"run of source {source.id} \(csv\) ended in \d+\.\d s: ok, added 10, updated 0, "
        r"deleted 0, unchanged 0, skipped 0, errors 0",
        end,
    ), end


def test_a_run_refused_by_the_mass_deletion_guard_logs_a_warning_with_the_reason(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    source = keyed_sync(store, people(TEN), delete_missing=True)
    run_import(store, source)
    source = upload(store, source, people(TEN[:1]))
    caplog.set_level(logging.INFO, logger="contacthub")
    assert run_import(store, source).status == "refused"
    assert run_messages(caplog)[-1] == (
        logging.WARNING,
        f"run of source {source.id} (csv) refused: this run would delete 9 of the sync's "
        "10 contacts and keep 1; run it by hand with the override if that is intended",
    )
