"""A phone's address-book push into "From iOS": its devices, the automatic export switch,
and a pending push to preview, apply or cancel."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from contacthub.errors import Conflict, Invalid, NotFound, quoted, sentence
from contacthub.jobs.auto_merge import merge_after_run
from contacthub.reconcile import ChangeSet
from contacthub.sources import device as devices
from contacthub.sources.context import RunContext
from contacthub.store import RunRecord, SourceRecord, Transaction

MAX_DEVICE_NAME = 255


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


class NoPendingPush(NotFound):
    """There is no push to import or cancel: none came, or it was applied or cancelled."""

    def __init__(self, device: str) -> None:
        super().__init__(f"There is no pending push from {quoted(device)}.")


def check_device(device: str) -> str:
    """A device name as a phone sends it: refused when it could not be one."""
    if (
        len(device) > MAX_DEVICE_NAME
        or device.startswith(".")
        or any(unicodedata.category(ch) == "Cc" for ch in device)
    ):
        raise Invalid(
            "A device name has at most 255 characters, no control characters, "
            "and does not start with a dot.",
            field="device",
        )
    return device


def _state(tx: Transaction, source: SourceRecord) -> DeviceState:
    runs = tx.runs_of(source.id, limit=1)
    return DeviceState(source, tx.upload_created_at(source.id), runs[0] if runs else None)


def _require_device(tx: Transaction, user: str, device: str) -> SourceRecord:
    source = tx.find_source(user, devices.KIND, check_device(device))
    if source is None:
        raise NotFound(f"There is no device {quoted(device)}.")
    return source


def device_states(ctx: RunContext, user: str) -> list[DeviceState]:
    with ctx.store.read() as tx:
        return [_state(tx, source) for source in tx.list_sources(owner=user, kind=devices.KIND)]


def state_of(ctx: RunContext, user: str, device: str) -> DeviceState:
    with ctx.store.read() as tx:
        return _state(tx, _require_device(tx, user, device))


def set_auto_export(ctx: RunContext, user: str, device: str, on: bool) -> DeviceState:
    """Turn the device's automatic export on or off (creating the device if it is new)."""
    check_device(device)
    with ctx.store.write() as tx:
        source = devices.set_auto_export(tx, devices.device_source(tx, user, device), on)
        return _state(tx, source)


def receive_push(ctx: RunContext, user: str, device: str, body: bytes) -> ChangeSet:
    """Keep the device's push until it is applied or cancelled; what it would change."""
    try:
        return devices.receive_push(ctx.store, user, device, body)
    except devices.PushRefused as refused:
        raise Conflict("push_refused", sentence(str(refused))) from None


_UTF8_BOM = b"\xef\xbb\xbf"


def receive_upload(ctx: RunContext, user: str, device: str, body: bytes) -> ChangeSet:
    """The .vcf a phone exported, uploaded by a person as a push from `device` (its name as
    typed, trimmed): the same preview and rules as a push, refused at the field to act on."""
    device = device.strip()
    if not device:
        raise Invalid("Name the phone the file comes from (iPhone, for one).", field="device")
    check_device(device)
    body = body.removeprefix(_UTF8_BOM)
    if not body.strip():
        raise Invalid("The file is empty: choose the .vcf file the phone exported.", field="file")
    if len(body) > devices.MAX_PUSH_BYTES:
        raise Invalid(
            f"The file has {len(body):,} bytes; a phone's export may have at most "
            f"{devices.MAX_PUSH_BYTES:,}.",
            field="file",
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Invalid(
            f"The file is not UTF-8 text (byte {error.start:,}): choose the .vcf file the "
            "phone exported.",
            field="file",
        ) from None
    if next(devices.split_cards(text), None) is None:
        raise Invalid(
            "The file holds no vCard (no BEGIN:VCARD line): choose the .vcf file the phone "
            "exported.",
            field="file",
        )
    try:
        return devices.receive_push(ctx.store, user, device, body)
    except devices.PushRefused as refused:
        raise Conflict("push_refused", sentence(str(refused)), field="device") from None


def _pending_source(ctx: RunContext, user: str, device: str) -> SourceRecord:
    """The device's source, if a push from it waits (NotFound for no device, NoPendingPush)."""
    with ctx.store.read() as tx:
        source = _require_device(tx, user, device)
        waiting = tx.upload_created_at(source.id) is not None
    if not waiting:
        raise NoPendingPush(device)
    return source


def preview_pending(ctx: RunContext, user: str, device: str) -> ChangeSet:
    return devices.preview(ctx.store, _pending_source(ctx, user, device))


def apply_pending(ctx: RunContext, user: str, device: str) -> RunRecord:
    """Apply the device's waiting push, as a run of its source; then merge the account's
    safest duplicates if it asks for that, as after any source's run."""
    source = _pending_source(ctx, user, device)
    try:
        outcome = devices.apply_push(ctx.store, source)
    except devices.PushRefused:  # another request applied or cancelled it meanwhile
        raise NoPendingPush(device) from None
    assert outcome.run is not None
    return merge_after_run(ctx, source, outcome.run)


def cancel_pending(ctx: RunContext, user: str, device: str) -> None:
    devices.cancel_push(ctx.store, _pending_source(ctx, user, device))
