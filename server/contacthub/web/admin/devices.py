"""Phone sync: each phone that pushes its address book into "From iOS", its automatic
export switch, and the new contacts of its latest push to import or cancel.

Every action goes through the same functions as the API's /api/v1/devices views.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for
from werkzeug.wrappers import Response

from contacthub.reconcile import ChangeSet
from contacthub.store.runs import RunRecord
from contacthub.web.admin.pages import NotFound, page
from contacthub.web.api import devices as api
from contacthub.web.api.common import store
from contacthub.web.api.imports import MAX_ID

bp = Blueprint("devices", __name__, url_prefix="/phone")

PUSH_ENDPOINT = "/api/v1/devices/{device}/push"


def _previews(states: list[api.DeviceState]) -> dict[str, ChangeSet]:
    """The pending push of each device that has one, by device name."""
    found: dict[str, ChangeSet] = {}
    for state in states:
        if state.pending_since is None:
            continue
        try:
            found[state.name] = api.preview_pending(g.caller.user, state.name)
        except api.NoPendingPush:
            pass  # imported or cancelled by another request since the list was read
    return found


@bp.get("/")
def index() -> Response:
    states = api.device_states(g.caller.user)
    return page(
        "devices.html",
        devices=states,
        previews=_previews(states),
        push_endpoint=PUSH_ENDPOINT,
        title="Phone sync",
    )


def _back() -> Response:
    return redirect(url_for(".index"))


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _imported(device: str, run: RunRecord) -> str:
    counts = run.counts
    added = counts.get("added", 0)
    details = ", ".join(
        [
            f"{counts.get('updated', 0)} updated",
            f"{counts.get('unchanged', 0)} unchanged",
            _plural(counts.get("errors", 0), "problem", "problems"),
        ]
    )
    return f"Imported {_plural(added, 'contact', 'contacts')} from {device} ({details})."


@bp.post("/<device>/auto-export")
def auto_export(device: str) -> Response:
    on = request.form.get("auto_export") == "yes"
    api.set_auto_export(g.caller.user, device, on)
    flash(f"Automatic export from {device} is {'on' if on else 'off'}.")
    return _back()


@bp.post("/<device>/push/import")
def import_push(device: str) -> Response:
    try:
        run = api.apply_pending(g.caller.user, device)
    except api.NoPendingPush:
        flash(_already_handled(device), "error")
        return _back()
    flash(_imported(device, run))
    return _back()


@bp.post("/<device>/push/cancel")
def cancel_push(device: str) -> Response:
    try:
        api.cancel_pending(g.caller.user, device)
    except api.NoPendingPush:
        flash(_already_handled(device), "error")
        return _back()
    flash("The push was cancelled; nothing was imported.")
    return _back()


def _already_handled(device: str) -> str:
    return f"There is no pending push from {device} any more: it was imported or cancelled already."


@bp.get("/<device>/runs/<int:run_id>")
def report(device: str, run_id: int) -> Response:
    state = api.state_of(g.caller.user, device)
    with store().read() as tx:
        run = tx.get_run(run_id) if run_id <= MAX_ID else None
    if run is None or run.source_id != state.source.id:
        raise NotFound("There is no such import.")
    return page("devices_report.html", device=state, run=run, title=f"Import from {state.name}")
