"""A run started by hand (Run import, Import now, Sync now): it runs in a thread of the
server while the page shows its progress bar, then its report."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, request, url_for
from werkzeug.wrappers import Response

from contacthub.jobs.runner import run_in_background
from contacthub.sources.progress import FINISHED, Progress
from contacthub.sources.registry import RUNNABLE
from contacthub.sources.settings import SyncBusy
from contacthub.store.sources import SourceRecord
from contacthub.web.admin.pages import NotFound, page
from contacthub.web.api.common import run_context, store
from contacthub.web.api.imports import MAX_ID
from contacthub.web.api.syncs import sync_run_json

bp = Blueprint("runs", __name__, url_prefix="/runs")


def require_runnable(source_id: int) -> SourceRecord:
    """The signed-in user's sync or mail account `source_id` (404 for anybody else's)."""
    with store().read() as tx:
        source = tx.get_source(source_id) if source_id <= MAX_ID else None
    if source is None or source.owner != g.caller.user or source.kind not in RUNNABLE:
        raise NotFound("There is no such sync or account.")
    return source


def start(source: SourceRecord, *, override_mass_deletion: bool = False) -> Response:
    """Start the run and show its progress; a sync already running shows that run."""
    try:
        run_in_background(run_context(), source, override_mass_deletion=override_mass_deletion)
    except SyncBusy:
        pass  # its progress page follows the run that is going on
    return redirect(url_for("admin.runs.progress", source_id=source.id))


@bp.post("/<int:source_id>")
def run_now(source_id: int) -> Response:
    override = request.form.get("override_mass_deletion") == "yes"
    return start(require_runnable(source_id), override_mass_deletion=override)


def _state(source: SourceRecord) -> tuple[Progress | None, dict[str, Any] | None]:
    """How far the run is; once it has ended, its report's address."""
    progress = run_context().progress.get(source.id)
    running = progress is not None and progress.phase != FINISHED
    if running:
        return progress, None
    with store().read() as tx:
        latest = tx.runs_of(source.id, limit=1)
    run_id = progress.run_id if progress and progress.run_id else (latest[0].id if latest else None)
    return progress, {"run_id": run_id}


@bp.get("/<int:source_id>/progress")
def progress(source_id: int) -> Response:
    source = require_runnable(source_id)
    state, ended = _state(source)
    if ended is not None and ended["run_id"] is not None:
        return redirect(url_for(".report", source_id=source.id, run_id=ended["run_id"]))
    return page(
        "progress.html", source=source, progress=state or Progress(), title=f"Running {source.name}"
    )


@bp.get("/<int:source_id>/progress.json")
def progress_json(source_id: int) -> dict[str, Any]:
    source = require_runnable(source_id)
    state, ended = _state(source)
    shown = state or Progress()
    report = (
        url_for(".report", source_id=source.id, run_id=ended["run_id"])
        if ended and ended["run_id"] is not None
        else None
    )
    return {
        "phase": shown.phase,
        "words": shown.words,
        "fraction": shown.fraction,
        "report": report,
    }


@bp.get("/<int:source_id>/<int:run_id>")
def report(source_id: int, run_id: int) -> Response:
    source = require_runnable(source_id)
    with store().read() as tx:
        run = tx.get_run(run_id) if run_id <= MAX_ID else None
    if run is None or run.source_id != source.id:
        raise NotFound("There is no such run.")
    return page(
        "report.html",
        source=source,
        run=sync_run_json(run),
        record=run,
        what=RUNNABLE[source.kind].noun,
        title=f"Run of {source.name}",
    )
