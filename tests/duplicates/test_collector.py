"""The cycle collector is paused during finds and runs again when the last one ends."""

from __future__ import annotations

import gc

from contacthub.duplicates.collector import collector_paused
from contacthub.duplicates.find import find_groups
from contacthub.store import Store
from tests.duplicates.people import OWNER


def test_the_collector_runs_again_after_the_last_of_overlapping_finds() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the other find still runs
    assert gc.isenabled()


def test_a_collector_someone_turned_off_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_find_leaves_the_collector_running(people: Store) -> None:
    assert find_groups(people, OWNER)
    assert gc.isenabled()
