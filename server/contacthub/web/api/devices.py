"""A phone's address-book push into "From iOS": preview, apply, cancel, auto export."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from contacthub.reconcile import ChangeSet
from contacthub.services import devices
from contacthub.services.devices import DeviceState
from contacthub.sources.device import MAX_PUSH_BYTES
from contacthub.vcard.parse import is_vcard_media_type
from contacthub.web.api.common import json_body, read_body, utf8_text
from contacthub.web.auth import current_user
from contacthub.web.context import run_context, settings
from contacthub.web.errors import ApiError
from contacthub.web.shapes import iso, run_json

bp = Blueprint("devices", __name__)


def _device_json(state: DeviceState) -> dict[str, Any]:
    return {
        "name": state.name,
        "book": state.book,
        "auto_export": state.auto_export,
        "pending_push": iso(state.pending_since),
        "last_run": run_json(state.last_run) if state.last_run else None,
    }


def _preview_json(device: str, changes: ChangeSet) -> dict[str, Any]:
    return {
        "device": device,
        "new": [{"uid": change.uid, "name": change.summary} for change in changes.of("add")],
        "counts": changes.counts,
        "stays_deleted": len(changes.stays_deleted),
        "problems": [problem.as_dict() for problem in changes.problems],
    }


@bp.get("/devices")
def list_devices() -> dict[str, Any]:
    states = devices.device_states(run_context(), current_user())
    return {"devices": [_device_json(state) for state in states]}


@bp.get("/devices/<device>")
def get_device(device: str) -> dict[str, Any]:
    return _device_json(devices.state_of(run_context(), current_user(), device))


@bp.put("/devices/<device>")
def set_device(device: str) -> dict[str, Any]:
    user = current_user()
    devices.check_device(device)
    auto_export = json_body()["auto_export"]  # a body DeviceSettings took
    return _device_json(devices.set_auto_export(run_context(), user, device, auto_export))


@bp.post("/devices/<device>/push")
def push(device: str) -> dict[str, Any]:
    user = current_user()
    devices.check_device(device)
    content_type = request.content_type or ""
    if not is_vcard_media_type(content_type):
        raise ApiError(
            415,
            "unsupported_media_type",
            f"Send the address book as text/vcard, not {content_type or 'no type'!r}.",
        )
    body = read_body(min(settings().max_content_length, MAX_PUSH_BYTES))
    utf8_text(body)
    return _preview_json(device, devices.receive_push(run_context(), user, device, body))


@bp.get("/devices/<device>/push")
def pending(device: str) -> dict[str, Any]:
    return _preview_json(device, devices.preview_pending(run_context(), current_user(), device))


@bp.post("/devices/<device>/push/apply")
def apply(device: str) -> dict[str, Any]:
    run = devices.apply_pending(run_context(), current_user(), device)
    return {"device": device, "run": run_json(run)}


@bp.delete("/devices/<device>/push")
def cancel(device: str) -> Response:
    devices.cancel_pending(run_context(), current_user(), device)
    return Response(status=204)
