"""Runs by their id, and their undo: the page of a restore or an undo (a source's run has
its report page already, where this module's address sends it), and the undo of any run,
previewed first.

The undo preview names the contacts changed again after the run; the person chooses to
leave them as they are or to undo them too, and the preview follows the choice. The
apply hands the preview's basis back to services.history: if a contact it shows changed
meanwhile, nothing is undone and the page shows the sentence with a fresh preview.
"""

from __future__ import annotations

from flask import Blueprint, redirect, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from contacthub.errors import Conflict
from contacthub.services import history
from contacthub.services.runs import OwnedRun, owned_run
from contacthub.web.admin.history import SHOWN_OPEN
from contacthub.web.admin.pages import FORM, FormErrors, page
from contacthub.web.admin.runs import REPORTED
from contacthub.web.auth import current_user
from contacthub.web.context import run_context

bp = Blueprint("undo", __name__, url_prefix="/history/runs")

KIND_WORDS = {"restore": "Restore", "undo": "Undo", "merge": "Merge"}
TRIGGER_WORDS = {
    "admin": "on this admin page",
    "api": "through the API",
    "cli": "with the command line",
}


def report_address(owned: OwnedRun) -> str | None:
    """The page a source's run has its report on (None: this module shows the run)."""
    source, run_id = owned.source, owned.run.id
    if source is None:
        return None
    if source.kind in REPORTED:
        return url_for("admin.runs.report", source_id=source.id, run_id=run_id)
    if source.kind == "device":
        return url_for("admin.devices.report", device=source.name, run_id=run_id)
    return None


def _owned(run_id: int) -> OwnedRun:
    return owned_run(run_context(), current_user(), run_id)


@bp.get("/<int:run_id>")
def run(run_id: int) -> Response:
    owned = _owned(run_id)
    address = report_address(owned)
    if address is not None:
        return redirect(address)
    return page(
        "history_run.html",
        run=owned.run,
        undoable=owned.undoable,
        kind=KIND_WORDS.get(owned.run.kind, "Run"),
        trigger=TRIGGER_WORDS.get(owned.run.trigger, owned.run.trigger),
        title=f"Run {owned.run.id}",
    )


def _including(values: MultiDict[str, str]) -> bool:
    return values.get("later") == "undo"


def _undo_page(
    owned: OwnedRun,
    including: bool,
    errors: FormErrors,
    *,
    status: int = 200,
) -> Response:
    preview = history.preview_undo(run_context(), current_user(), owned.run.id, including)
    return page(
        "undo.html",
        status=status,
        run=owned.run,
        source=owned.source,
        report=report_address(owned) or url_for(".run", run_id=owned.run.id),
        kind=KIND_WORDS.get(owned.run.kind, "Run"),
        preview=preview,
        including=including,
        errors=errors,
        shown_open=SHOWN_OPEN,
        title=f"Undo run {owned.run.id}",
    )


@bp.get("/<int:run_id>/undo")
def preview(run_id: int) -> Response:
    return _undo_page(_owned(run_id), _including(request.args), FormErrors())


@bp.post("/<int:run_id>/undo")
def apply(run_id: int) -> Response:
    owned, including = _owned(run_id), _including(request.form)
    try:
        result = history.apply_undo(
            run_context(),
            current_user(),
            run_id,
            including,
            via="admin",
            basis=request.form.get("basis") or None,
        )
    except Conflict as changed:  # since the preview: the preview as things are now
        errors = FormErrors({FORM: changed.message})
        return _undo_page(owned, including, errors, status=changed.status)
    return redirect(url_for(".run", run_id=result.run_id))
