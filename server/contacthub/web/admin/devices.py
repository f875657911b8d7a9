"""Phone sync: each phone that pushes its address book into "From iOS", its automatic
export switch, and the new contacts of its latest push to import or cancel.

Every action goes through the same services as the API's /api/v1/devices views.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for
from werkzeug.wrappers import Response

from contacthub.reconcile import ChangeSet
from contacthub.services import devices
from contacthub.services.devices import DeviceState, NoPendingPush
from contacthub.services.sources import require_run
from contacthub.store import RunRecord
from contacthub.web.admin.pages import FormErrors, page
from contacthub.web.context import run_context

bp = Blueprint("devices", __name__, url_prefix="/phone")

PUSH_ENDPOINT = "/api/v1/devices/{device}/push"


def _previews(states: list[DeviceState]) -> dict[str, ChangeSet]:
    """The pending push of each device that has one, by device name."""
    found: dict[str, ChangeSet] = {}
    for state in states:
        if state.pending_since is None:
            continue
        try:
            found[state.name] = devices.preview_pending(run_context(), g.caller.user, state.name)
        except NoPendingPush:
            pass  # imported or cancelled by another request since the list was read
    return found


def _page(errors: FormErrors | None = None, device_name: str = "") -> Response:
    states = devices.device_states(run_context(), g.caller.user)
    errors = errors or FormErrors()
    return page(
        "devices.html",
        status=errors.status,
        devices=states,
        previews=_previews(states),
        push_endpoint=PUSH_ENDPOINT,
        errors=errors,
        device_name=device_name or (states[0].name if len(states) == 1 else ""),
        title="Phone sync",
    )


@bp.get("/")
def index() -> Response:
    return _page()


@bp.post("/upload")
def upload() -> Response:
    """The .vcf a phone exported, as a push from the device named in the form; its new
    contacts are then shown in that device's section, to import or cancel."""
    device = request.form.get("device", "").strip()
    exported = request.files.get("file")
    errors = FormErrors()
    with errors.catching():
        if not device:
            errors["device"] = "Name the phone the file comes from (iPhone, for one)."
        if exported is None or not exported.filename:
            errors["file"] = "Choose the .vcf file the phone exported."
        if not errors and exported is not None:
            changes = devices.receive_upload(run_context(), g.caller.user, device, exported.read())
            flash(_received(device, changes))
            return redirect(url_for(".index") + _anchor_of(device))
    return _page(errors, device_name=device)


def _received(device: str, changes: ChangeSet) -> str:
    added = len(changes.of("add"))
    if not added:
        return f"Received the contacts of {device}: no new contacts. Import or cancel below."
    new = _plural(added, "new contact", "new contacts")
    return f"Received the contacts of {device}: {new}. Import them or cancel below."


def _anchor_of(device: str) -> str:
    """The fragment of the device's pending push on the page (its sections are numbered)."""
    names = [state.name for state in devices.device_states(run_context(), g.caller.user)]
    return f"#push-{names.index(device) + 1}" if device in names else ""


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
    devices.set_auto_export(run_context(), g.caller.user, device, on)
    flash(f"Automatic export from {device} is {'on' if on else 'off'}.")
    return _back()


@bp.post("/<device>/push/import")
def import_push(device: str) -> Response:
    try:
        run = devices.apply_pending(run_context(), g.caller.user, device)
    except NoPendingPush:
        flash(_already_handled(device), "error")
        return _back()
    flash(_imported(device, run))
    return _back()


@bp.post("/<device>/push/cancel")
def cancel_push(device: str) -> Response:
    try:
        devices.cancel_pending(run_context(), g.caller.user, device)
    except NoPendingPush:
        flash(_already_handled(device), "error")
        return _back()
    flash("The push was cancelled; nothing was imported.")
    return _back()


def _already_handled(device: str) -> str:
    return f"There is no pending push from {device} any more: it was imported or cancelled already."


@bp.get("/<device>/runs/<int:run_id>")
def report(device: str, run_id: int) -> Response:
    state = devices.state_of(run_context(), g.caller.user, device)
    run = require_run(run_context(), state.source, run_id, "There is no such import.")
    return page("devices_report.html", device=state, run=run, title=f"Import from {state.name}")
