"""A source's saved settings that every kind shares: its schedule and the addresses that
get its report email, and the rules for changing and deleting a source.

    schedule  RFC 5545 text (contacthub.sources.schedule), or absent
    notify    addresses that get the report email after each run
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from contacthub.errors import Conflict, UserError
from contacthub.sources.context import RunContext
from contacthub.sources.schedule import Schedule, ScheduleError
from contacthub.store import SourceRecord

if TYPE_CHECKING:
    from contacthub.sources.csv.origin import Origin

MAX_RECIPIENTS = 10


class SyncBusy(Conflict):
    """The sync is running already."""

    def __init__(self, message: str) -> None:
        super().__init__("sync_running", message)


class SyncError(UserError):
    """Settings that cannot be saved; `field` names the one at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)
        self.field: str = field


def schedule_of(source: SourceRecord) -> Schedule | None:
    text = source.settings.get("schedule")
    return Schedule.from_rrule(text) if text else None


def notify_of(source: SourceRecord) -> list[str]:
    return list(source.settings.get("notify") or [])


def parse_schedule(value: Any, origin: Origin | None, now: float) -> Schedule | None:
    """The API's schedule form; `origin` is a CSV sync's (None for a mail account)."""
    if value is None:
        return None
    if origin is not None and not origin.is_remote:
        raise SyncError(
            "schedule",
            "An uploaded file cannot be scheduled: there is nothing "
            "new to fetch. Use an HTTP or FTP source to import on a schedule.",
        )
    try:
        schedule = Schedule.from_json(value)
    except ScheduleError as error:
        field = "schedule" if error.field == "schedule" else f"schedule.{error.field}"
        raise SyncError(field, str(error)) from None
    if schedule.next_run(_instant(now)) is None:
        raise SyncError(
            "schedule", "The schedule has no run after now: move the start or the end of the range."
        )
    return schedule


def parse_notify(value: Any) -> list[str]:
    """One or more email addresses (a list, or text separated by commas or semicolons)."""
    if value is None or value == "" or value == []:
        return []
    texts = value if isinstance(value, list) else [value]
    if not all(isinstance(text, str) for text in texts):
        raise SyncError(
            "notify", "The notification address is an email address, or a list of them."
        )
    if any(ord(ch) < 32 for text in texts for ch in text):
        raise SyncError("notify", "Invalid characters found in the notification address.")
    entries = [
        entry.strip() for text in texts for entry in re.split(r"[,;]", text) if entry.strip()
    ]
    addresses = [_address(entry) for entry in entries]
    if not addresses:
        raise SyncError("notify", "The notification address is not an email address.")
    if len(addresses) > MAX_RECIPIENTS:
        raise SyncError("notify", f"At most {MAX_RECIPIENTS} notification addresses.")
    return list(dict.fromkeys(addresses))


def _address(entry: str) -> str:
    """The address of one entry ("Ann <ann@example.org>" or "ann@example.org"), whole."""
    name, address = parseaddr(entry)
    local, _, domain = address.rpartition("@")
    if (
        not local
        or "." not in domain.strip(".")
        or " " in address
        or (not name and address != entry)
    ):
        raise SyncError(
            "notify", f"{entry!r} is not an email address: write it as name@example.org."
        )
    return address


def save_settings(ctx: RunContext, source: SourceRecord, **changes: Any) -> SourceRecord:
    """Store origin, schedule (a Schedule or None) and notify; the next run follows."""
    with ctx.store.write() as tx:
        current = tx.require_source(source.id)
        settings = dict(current.settings)
        if "origin" in changes:
            settings["origin"] = changes["origin"].to_settings()
            settings.pop("fetch", None)  # another file: the next run imports it whole
        if "schedule" in changes:
            schedule = changes["schedule"]
            settings["schedule"] = schedule.to_rrule() if schedule else None
        if "notify" in changes:
            settings["notify"] = changes["notify"]
        updated = tx.update_source(current, settings=settings)
        if "schedule" in changes:
            tx.set_next_run(updated.id, next_run_at(changes["schedule"], ctx.now()))
            updated = tx.require_source(updated.id)
        return updated


def delete_sync(ctx: RunContext, source: SourceRecord) -> None:
    """The sync stops and goes; its contacts and book stay. Not while it runs: its run
    would have nowhere to be recorded."""
    with ctx.store.write() as tx:
        current = tx.require_source(source.id)
        if current.is_running(ctx.now()):
            raise SyncBusy(f"the sync {source.name!r} is running; delete it when it is done")
        tx.delete_source(current)


def next_run_at(schedule: Schedule | None, after: float) -> float | None:
    if schedule is None:
        return None
    found = schedule.next_run(_instant(after))
    return found.timestamp() if found else None


def _instant(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)
