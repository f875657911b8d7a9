"""Runs started by hand from the admin page: in a thread, followed on a progress board."""

from __future__ import annotations

import pytest

from contacthub.jobs import runner
from contacthub.jobs.runner import run_in_background
from contacthub.sources.context import RunContext
from contacthub.sources.progress import FETCHING, FINISHED, READING, SAVING, ProgressBoard
from contacthub.sources.settings import SyncBusy
from tests.fetch.http_server import LocalHTTPServer, Site
from tests.jobs.helpers import crowd, csv_of, http_sync, runs_of
from tests.support.net import wait_until


class RecordingBoard(ProgressBoard):
    """A board that also keeps every state it was in."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, float | None]] = []

    def _update(self, source_id: int, **changes: object) -> None:
        super()._update(source_id, **changes)
        state = self.get(source_id)
        assert state is not None
        self.seen.append((state.phase, state.fraction))


def test_a_background_run_reports_its_phases_and_ends_with_its_run(
    ctx: RunContext, site: Site, http: LocalHTTPServer
) -> None:
    board = RecordingBoard()
    followed = RunContext(ctx.store, ctx.settings, clock=ctx.clock, progress=board)
    source = http_sync(followed, site, http, content=csv_of(*crowd(3000)))

    run_in_background(followed, source)
    wait_until(lambda: board.get(source.id).phase == FINISHED, 60, "the run to end")

    finished = board.get(source.id)
    runs = runs_of(ctx.store, source)
    assert finished.run_id == runs[0].id and runs[0].status == "ok"
    assert runs[0].counts["added"] == 3000
    phases = [phase for phase, _ in board.seen]
    assert phases[0] == FETCHING and phases[-1] == FINISHED
    assert READING in phases and SAVING in phases
    fractions = [fraction for phase, fraction in board.seen if phase == READING]
    assert fractions == sorted(fractions) and 0 < fractions[-1] <= 1


def test_a_sync_that_is_running_is_not_started_twice(
    ctx: RunContext, site: Site, http: LocalHTTPServer
) -> None:
    source = http_sync(ctx, site, http)
    lease = runner.claim(ctx, source, "schedule")  # the scheduler is running it
    with pytest.raises(SyncBusy):
        run_in_background(ctx, source)
    assert ctx.progress.get(source.id) is None  # nothing to follow: no run was started
    with ctx.store.write() as tx:
        tx.end_lease(lease)
    assert runs_of(ctx.store, source) == []
