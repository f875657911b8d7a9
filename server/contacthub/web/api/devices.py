"""A phone's address-book push into "From iOS": preview, apply, cancel, auto export."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request

from contacthub.reconcile import ChangeSet
from contacthub.sources import device as devices
from contacthub.store import Transaction
from contacthub.store.runs import RunRecord
from contacthub.store.sources import SourceRecord
from contacthub.vcard.parse import is_vcard_media_type
from contacthub.web.api.common import json_body, read_body, settings, store, utf8_text
from contacthub.web.auth import current_user
from contacthub.web.errors import ApiError, conflict, invalid, not_found, quoted, sentence

bp = Blueprint("devices", __name__)

MAX_DEVICE_NAME = 255


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def run_json(run: RunRecord) -> dict[str, Any]:
    return {
        "id": run.id,
        "status": run.status,
        "trigger": run.trigger,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at),
        "counts": run.counts,
        "message": run.message,
        "problems": run.problems,
    }


@dataclass(frozen=True)
class DeviceState:
    """A device as its pages show it: its source, and whether a push waits."""

    source: SourceRecord
    pending_since: float | None
    last_run: RunRecord | None

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def book(self) -> str:
        return self.source.book_path.rsplit("/", 1)[-1]

    @property
    def auto_export(self) -> bool:
        return bool(self.source.settings.get("auto_export", True))


class NoPendingPush(ApiError):
    """There is no push to import or cancel: none came, or it was applied or cancelled."""

    def __init__(self, device: str) -> None:
        super().__init__(404, "not_found", f"There is no pending push from {quoted(device)}.")


def device_state(tx: Transaction, source: SourceRecord) -> DeviceState:
    runs = tx.runs_of(source.id, limit=1)
    return DeviceState(source, tx.upload_created_at(source.id), runs[0] if runs else None)


def _device_json(state: DeviceState) -> dict[str, Any]:
    return {
        "name": state.name,
        "book": state.book,
        "auto_export": state.auto_export,
        "pending_push": iso(state.pending_since),
        "last_run": run_json(state.last_run) if state.last_run else None,
    }


def _checked(device: str) -> str:
    if (
        len(device) > MAX_DEVICE_NAME
        or device.startswith(".")
        or any(unicodedata.category(ch) == "Cc" for ch in device)
    ):
        raise invalid(
            "A device name has at most 255 characters, no control characters, "
            "and does not start with a dot.",
            field="device",
        )
    return device


def _require_device(tx: Transaction, user: str, device: str) -> SourceRecord:
    source = tx.find_source(user, devices.KIND, _checked(device))
    if source is None:
        raise not_found(f"There is no device {quoted(device)}.")
    return source


def _preview_json(device: str, changes: ChangeSet) -> dict[str, Any]:
    return {
        "device": device,
        "new": [{"uid": change.uid, "name": change.summary} for change in changes.of("add")],
        "counts": changes.counts,
        "problems": [problem.as_dict() for problem in changes.problems],
    }


# --- what the API and the admin page do, with plain arguments ---------------------------------


def device_states(user: str) -> list[DeviceState]:
    with store().read() as tx:
        return [
            device_state(tx, source) for source in tx.list_sources(owner=user, kind=devices.KIND)
        ]


def state_of(user: str, device: str) -> DeviceState:
    with store().read() as tx:
        return device_state(tx, _require_device(tx, user, device))


def set_auto_export(user: str, device: str, on: bool) -> DeviceState:
    """Turn the device's automatic export on or off (creating the device if it is new)."""
    _checked(device)
    with store().write() as tx:
        source = devices.set_auto_export(tx, devices.device_source(tx, user, device), on)
        return device_state(tx, source)


def pending_source(user: str, device: str) -> SourceRecord:
    """The device's source, if a push from it waits (404 for no device, NoPendingPush)."""
    with store().read() as tx:
        source = _require_device(tx, user, device)
        waiting = tx.upload_created_at(source.id) is not None
    if not waiting:
        raise NoPendingPush(device)
    return source


def preview_pending(user: str, device: str) -> ChangeSet:
    return devices.preview(store(), pending_source(user, device))


def apply_pending(user: str, device: str) -> RunRecord:
    source = pending_source(user, device)
    try:
        outcome = devices.apply_push(store(), source)
    except devices.PushRefused:  # another request applied or cancelled it meanwhile
        raise NoPendingPush(device) from None
    assert outcome.run is not None
    return outcome.run


def cancel_pending(user: str, device: str) -> None:
    devices.cancel_push(store(), pending_source(user, device))


# --- the API's views ------------------------------------------------------------------------


@bp.get("/devices")
def list_devices() -> dict[str, Any]:
    return {"devices": [_device_json(state) for state in device_states(current_user())]}


@bp.get("/devices/<device>")
def get_device(device: str) -> dict[str, Any]:
    return _device_json(state_of(current_user(), device))


@bp.put("/devices/<device>")
def set_device(device: str) -> dict[str, Any]:
    user = current_user()
    _checked(device)
    return _device_json(set_auto_export(user, device, json_body()["auto_export"]))


@bp.post("/devices/<device>/push")
def push(device: str) -> dict[str, Any]:
    user = current_user()
    _checked(device)
    content_type = request.content_type or ""
    if not is_vcard_media_type(content_type):
        raise ApiError(
            415,
            "unsupported_media_type",
            f"Send the address book as text/vcard, not {content_type or 'no type'!r}.",
        )
    body = read_body(min(settings().max_content_length, devices.MAX_PUSH_BYTES))
    utf8_text(body)
    try:
        changes = devices.receive_push(store(), user, device, body)
    except devices.PushRefused as refused:
        raise conflict("push_refused", sentence(str(refused))) from None
    return _preview_json(device, changes)


@bp.get("/devices/<device>/push")
def pending(device: str) -> dict[str, Any]:
    return _preview_json(device, preview_pending(current_user(), device))


@bp.post("/devices/<device>/push/apply")
def apply(device: str) -> dict[str, Any]:
    return {"device": device, "run": run_json(apply_pending(current_user(), device))}


@bp.delete("/devices/<device>/push")
def cancel(device: str) -> Response:
    cancel_pending(current_user(), device)
    return Response(status=204)
