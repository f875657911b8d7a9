"""A run started by hand (Run import, Import now, Sync now): it runs in a thread of the
server while the page shows its progress bar, then its report."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, request, url_for
from werkzeug.wrappers import Response

from contacthub.services.sources import (
    filled_book,
    progress_of,
    require_run,
    require_source,
    start_run,
)
from contacthub.sources import vcf_import
from contacthub.sources.progress import Progress
from contacthub.sources.registry import KINDS, RUNNABLE
from contacthub.store import SourceRecord
from contacthub.web.admin.pages import page
from contacthub.web.context import run_context
from contacthub.web.shapes import sync_run_json

bp = Blueprint("runs", __name__, url_prefix="/runs")


def require_runnable(source_id: int) -> SourceRecord:
    """The signed-in user's sync or mail account `source_id` (404 for anybody else's)."""
    return require_source(
        run_context(), g.caller.user, source_id, RUNNABLE, "There is no such sync or account."
    )


def start(source: SourceRecord, *, override_mass_deletion: bool = False) -> Response:
    """Start the run and show its progress; a sync already running shows that run."""
    start_run(run_context(), source, override_mass_deletion=override_mass_deletion)
    return redirect(url_for("admin.runs.progress", source_id=source.id))


@bp.post("/<int:source_id>")
def run_now(source_id: int) -> Response:
    override = request.form.get("override_mass_deletion") == "yes"
    return start(require_runnable(source_id), override_mass_deletion=override)


@bp.get("/<int:source_id>/progress")
def progress(source_id: int) -> Response:
    source = require_runnable(source_id)
    state, run_id = progress_of(run_context(), source)
    if run_id is not None:
        return redirect(url_for(".report", source_id=source.id, run_id=run_id))
    return page(
        "progress.html",
        source=source,
        progress=state or Progress(),
        what=RUNNABLE[source.kind].noun,
        title=f"Running {source.name}",
    )


@bp.get("/<int:source_id>/progress.json")
def progress_json(source_id: int) -> dict[str, Any]:
    source = require_runnable(source_id)
    state, run_id = progress_of(run_context(), source)
    shown = state or Progress()
    report = url_for(".report", source_id=source.id, run_id=run_id) if run_id is not None else None
    return {
        "phase": shown.phase,
        "words": shown.words,
        "fraction": shown.fraction,
        "report": report,
    }


# Whose runs have a report here: the runnable kinds, and a .vcf import (run once per file).
REPORTED = (*RUNNABLE, vcf_import.KIND)


@bp.get("/<int:source_id>/<int:run_id>")
def report(source_id: int, run_id: int) -> Response:
    source = require_source(
        run_context(), g.caller.user, source_id, REPORTED, "There is no such run."
    )
    run = require_run(run_context(), source, run_id, "There is no such run.")
    return page(
        "report.html",
        source=source,
        run=sync_run_json(run),
        record=run,
        book=filled_book(run_context(), source),
        what=KINDS[source.kind].noun,
        title=f"Run of {source.name}",
    )
