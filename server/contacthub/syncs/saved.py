"""A sync's saved settings beyond the CSV ones: its origin, schedule and notification
addresses, and the fetch state of its remote file. All live in the source's settings:

    origin    where the file comes from (syncs.origin)
    schedule  RFC 5545 text (contacthub.schedule), or absent
    notify    addresses that get the report email after each run
    fetch     the FetchState of the last imported file, and the settings it was imported with
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from contacthub.fetch import FetchError, FetchState, fetch
from contacthub.schedule import Schedule, ScheduleError
from contacthub.sources import csv_source
from contacthub.store import Transaction
from contacthub.store.sources import SourceRecord
from contacthub.syncs.context import SyncContext
from contacthub.syncs.origin import Origin, OriginError

MAX_RECIPIENTS = 10


class SyncBusy(Exception):
    """The sync is running already."""


class SyncError(ValueError):
    """Settings that cannot be saved; `field` names the one at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# -- reading the stored settings ---------------------------------------------------------


def origin_of(source: SourceRecord) -> Origin:
    return Origin.of(source.settings)


def schedule_of(source: SourceRecord) -> Schedule | None:
    text = source.settings.get("schedule")
    return Schedule.from_rrule(text) if text else None


def notify_of(source: SourceRecord) -> list[str]:
    return list(source.settings.get("notify") or [])


def fetch_state_of(source: SourceRecord) -> FetchState | None:
    """The state of the last import, if it was made with today's settings."""
    saved = source.settings.get("fetch") or {}
    if saved.get("recipe") != recipe(source) or not saved.get("state"):
        return None
    return FetchState.from_json(saved["state"])


def recipe(source: SourceRecord) -> str:
    """A digest of what turns the file into contacts: other settings, other contacts."""
    csv_settings = csv_source.CsvSettings.of(source).to_json()
    return hashlib.sha256(json.dumps(csv_settings, sort_keys=True).encode()).hexdigest()


# -- checking what a person sends --------------------------------------------------------


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


# -- creating and changing ---------------------------------------------------------------


def create_remote_sync(
    ctx: SyncContext,
    owner: str,
    origin_json: Any,
    *,
    name: str | None = None,
    book_path: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> SourceRecord:
    """A sync of a remote file: fetched once now, for its preview and suggested mapping."""
    origin = parse_origin(ctx, origin_json)
    if not origin.is_remote:
        raise SyncError("source", "Upload the file to make a sync of an uploaded file.")
    content = fetch_now(ctx, origin)
    filename = remote_filename(origin)
    try:
        view = csv_source.create_import(
            ctx.store,
            owner,
            filename,
            content,
            name=name or PurePosixPath(filename).stem,
            book_path=book_path,
            delimiter=delimiter,
            encoding=encoding,
        )
    except csv_source.ImportError_ as error:
        raise SyncError("source", str(error)) from None
    return save_settings(ctx, view.source, origin=origin)


def update_origin(ctx: SyncContext, source: SourceRecord, origin_json: Any) -> SourceRecord:
    """A new origin; a new remote file is fetched at once so its header can be checked."""
    previous = origin_of(source)
    origin = parse_origin(ctx, origin_json, previous)
    if origin.is_remote != previous.is_remote:
        raise SyncError(
            "source.type",
            "A sync keeps its kind of source: make a new sync to "
            "change between an upload and a remote file.",
        )
    if origin.is_remote and (origin.url, origin.username) != (previous.url, previous.username):
        content = fetch_now(ctx, origin)
        try:
            csv_source.replace_file(ctx.store, source, remote_filename(origin), content)
            csv_source.fit_to_file(ctx.store, source)
        except csv_source.ImportError_ as error:
            raise SyncError("source", str(error)) from None
    return save_settings(ctx, source, origin=origin)


def save_settings(ctx: SyncContext, source: SourceRecord, **changes: Any) -> SourceRecord:
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


def delete_sync(ctx: SyncContext, source: SourceRecord) -> None:
    """The sync stops and goes; its contacts and book stay. Not while it runs: its run
    would have nowhere to be recorded."""
    with ctx.store.write() as tx:
        current = tx.require_source(source.id)
        if current.is_running(ctx.now()):
            raise SyncBusy(f"the sync {source.name!r} is running; delete it when it is done")
        tx.delete_source(current)


def save_fetch_state(tx: Transaction, source: SourceRecord, state: FetchState) -> None:
    """Note the file as imported with `source`'s settings (those the run used: settings
    changed while it ran make the next run import the file again)."""
    current = tx.require_source(source.id)
    tx.update_source(
        current,
        settings={
            **current.settings,
            "fetch": {"state": state.to_json(), "recipe": recipe(source)},
        },
    )


def next_run_at(schedule: Schedule | None, after: float) -> float | None:
    if schedule is None:
        return None
    found = schedule.next_run(_instant(after))
    return found.timestamp() if found else None


# -- fetching ----------------------------------------------------------------------------


def fetch_now(ctx: SyncContext, origin: Origin) -> bytes:
    try:
        result = fetch(origin.remote(ctx.vault), None, ctx.fetch_policy)
    except (FetchError, OriginError) as error:
        raise SyncError("source", str(error)) from None
    assert result.content is not None  # an unconditional fetch brings the file
    return result.content


def remote_filename(origin: Origin) -> str:
    return PurePosixPath(unquote(urlsplit(origin.url).path)).name or "remote.csv"


def parse_origin(ctx: SyncContext, value: Any, previous: Origin | None = None) -> Origin:
    """The API's source form as an Origin; SyncError names "source" or "source.FIELD"."""
    try:
        return Origin.from_json(value, ctx.vault, previous)
    except OriginError as error:
        raise SyncError(
            f"source.{error.field}" if error.field != "source" else "source", str(error)
        ) from None


def _instant(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)
