"""A phone's address-book push into "From iOS": preview, apply, cancel, auto export."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request

from ...sources import device as devices
from ...store import Transaction
from ...store.runs import RunRecord
from ...store.sources import SourceRecord
from ...sync import ChangeSet
from ...vcard import is_vcard_media_type
from ..auth import current_user
from ..errors import ApiError, conflict, invalid, not_found, quoted, sentence
from .common import json_body, read_body, settings, store, utf8_text

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


def _device_json(tx: Transaction, source: SourceRecord) -> dict[str, Any]:
    runs = tx.runs_of(source.id, limit=1)
    return {
        "name": source.name,
        "book": source.book_path.rsplit("/", 1)[-1],
        "auto_export": bool(source.settings.get("auto_export", True)),
        "pending_push": iso(tx.upload_created_at(source.id)),
        "last_run": run_json(runs[0]) if runs else None,
    }


def _checked(device: str) -> str:
    if (len(device) > MAX_DEVICE_NAME or device.startswith(".")
            or any(unicodedata.category(ch) == "Cc" for ch in device)):
        raise invalid("A device name has at most 255 characters, no control characters, "
                      "and does not start with a dot.", field="device")
    return device


def _require_device(tx: Transaction, user: str, device: str) -> SourceRecord:
    source = tx.find_source(user, devices.KIND, _checked(device))
    if source is None:
        raise not_found(f"There is no device {quoted(device)}.")
    return source


def _no_pending(device: str) -> ApiError:
    return not_found(f"There is no pending push from {quoted(device)}.")


def _preview_json(device: str, changes: ChangeSet) -> dict[str, Any]:
    return {
        "device": device,
        "new": [{"uid": change.uid, "name": change.summary} for change in changes.of("add")],
        "counts": changes.counts,
        "problems": [problem.as_dict() for problem in changes.problems],
    }


@bp.get("/devices")
def list_devices() -> dict[str, Any]:
    user = current_user()
    with store().read() as tx:
        return {"devices": [_device_json(tx, source)
                            for source in tx.list_sources(owner=user, kind=devices.KIND)]}


@bp.get("/devices/<device>")
def get_device(device: str) -> dict[str, Any]:
    user = current_user()
    with store().read() as tx:
        return _device_json(tx, _require_device(tx, user, device))


@bp.put("/devices/<device>")
def set_device(device: str) -> dict[str, Any]:
    user = current_user()
    _checked(device)
    auto_export = json_body().get("auto_export")
    if not isinstance(auto_export, bool):
        raise invalid("Set auto_export to true or false.", field="auto_export")
    with store().write() as tx:
        source = devices.set_auto_export(tx, devices.device_source(tx, user, device),
                                         auto_export)
        return _device_json(tx, source)


@bp.post("/devices/<device>/push")
def push(device: str) -> dict[str, Any]:
    user = current_user()
    _checked(device)
    content_type = request.content_type or ""
    if not is_vcard_media_type(content_type):
        raise ApiError(415, "unsupported_media_type", "Send the address book as text/vcard, "
                       f"not {content_type or 'no type'!r}.")
    body = read_body(min(settings().max_content_length, devices.MAX_PUSH_BYTES))
    utf8_text(body)
    try:
        changes = devices.receive_push(store(), user, device, body)
    except devices.PushRefused as refused:
        raise conflict("push_refused", sentence(str(refused))) from None
    return _preview_json(device, changes)


def _device_with_pending_push(device: str) -> SourceRecord:
    with store().read() as tx:
        source = _require_device(tx, current_user(), device)
        waiting = tx.upload_created_at(source.id) is not None
    if not waiting:
        raise _no_pending(device)
    return source


@bp.get("/devices/<device>/push")
def pending(device: str) -> dict[str, Any]:
    source = _device_with_pending_push(device)
    return _preview_json(device, devices.preview(store(), source))


@bp.post("/devices/<device>/push/apply")
def apply(device: str) -> dict[str, Any]:
    source = _device_with_pending_push(device)
    try:
        outcome = devices.apply_push(store(), source)
    except devices.PushRefused:  # another request applied or cancelled it meanwhile
        raise _no_pending(device) from None
    assert outcome.run is not None
    return {"device": device, "run": run_json(outcome.run)}


@bp.delete("/devices/<device>/push")
def cancel(device: str) -> Response:
    user = current_user()
    with store().read() as tx:
        source = _require_device(tx, user, device)
        waiting = tx.upload_created_at(source.id) is not None
    if not waiting:
        raise _no_pending(device)
    devices.cancel_push(store(), source)
    return Response(status=204)
