"""Saved syncs: a CSV import with its origin (upload, HTTP, FTP), schedule and report emails.

A sync is a CSV source, so it has the same id as its import (services.imports): the
settings and mapping of its file are the import's. What a sync adds is where the file
comes from, when it is fetched and imported again, who gets the report, and "Import now".
Passwords of remote sources are sealed in the store and never shown again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from contacthub.errors import Conflict, Invalid, quoted, sentence
from contacthub.jobs.status import SyncStatus, status_of
from contacthub.services import imports
from contacthub.services.sources import delete_source, require_source
from contacthub.sources.context import RunContext
from contacthub.sources.csv.origin import Origin
from contacthub.sources.csv.remote import create_remote_sync, origin_of, parse_origin, update_origin
from contacthub.sources.settings import SyncError, parse_notify, parse_schedule, save_settings
from contacthub.store import SourceRecord, Transaction

KIND = imports.KIND
_FIELD_WORDS = {
    "notify": "The notification address",
    "source": "The source",
    "schedule": "The schedule",
}


@dataclass(frozen=True)
class SyncState:
    """A sync as its list shows it: where its file comes from, and its status."""

    source: SourceRecord
    origin: Origin
    status: SyncStatus
    filename: str | None  # the uploaded file's name, for an upload


def _state(tx: Transaction, source: SourceRecord, now: float) -> SyncState:
    origin = origin_of(source)
    filename = None if origin.is_remote else tx.upload_filename(source.id)
    return SyncState(source, origin, status_of(tx, source, now), filename)


def sync_states(ctx: RunContext, user: str) -> list[SyncState]:
    now = ctx.now()
    with ctx.store.read() as tx:
        return [_state(tx, source, now) for source in tx.list_sources(owner=user, kind=KIND)]


def state_of(ctx: RunContext, source: SourceRecord) -> SyncState:
    """The sync as it is now (after a change, or a run)."""
    with ctx.store.read() as tx:
        return _state(tx, tx.require_source(source.id), ctx.now())


def require_sync(ctx: RunContext, user: str, sync_id: int) -> SourceRecord:
    return require_source(ctx, user, sync_id, (KIND,), f"There is no sync {sync_id}.")


# --- checking what a person sends -----------------------------------------------------------


@contextmanager
def _refusals() -> Iterator[None]:
    """A SyncError (settings that cannot be saved, a file that cannot be fetched) as Invalid
    naming the field at fault: "source", "source.url", "schedule.start", "notify", ..."""
    try:
        yield
    except SyncError as error:
        raise Invalid(_message(str(error), error.field), field=error.field) from None


def _message(text: str, field: str) -> str:
    """A sentence; one that starts with a quoted value says first what it is about."""
    if not text[:1].isalpha():
        text = f"{_FIELD_WORDS.get(field, field)}: {text}"
    return sentence(text)


def _remote_origin(ctx: RunContext, value: Any) -> Origin:
    """The origin a new sync will have, read before anything is made (to check the
    schedule with it); an upload is refused: its file comes with the request."""
    with _refusals():
        origin = parse_origin(ctx, value)
    if not origin.is_remote:
        raise Invalid(
            "A sync of an uploaded file is made by sending the file: POST it as "
            'multipart/form-data (a part named "file"), here or to '
            "/api/v1/imports.",
            field="source",
        )
    return origin


def _free_name(ctx: RunContext, source: SourceRecord, value: str) -> str:
    """A new name for the sync: not blank, not another sync's of the same user."""
    name = imports.check_sync_name(value)
    if name is None:
        raise Invalid("Give the sync a name.", field="name")
    with ctx.store.read() as tx:
        other = tx.find_source(source.owner, source.kind, name)
    if other is not None and other.id != source.id:
        raise Invalid(
            f"You already have a sync named {quoted(name)}; choose another name.", field="name"
        )
    return name


def _sync_changes(ctx: RunContext, source: SourceRecord, body: dict[str, Any]) -> dict[str, Any]:
    """Schedule and notification addresses, checked (for save_settings)."""
    changes: dict[str, Any] = {}
    with _refusals():
        if "schedule" in body:
            changes["schedule"] = parse_schedule(body["schedule"], origin_of(source), ctx.now())
        if "notify" in body:
            changes["notify"] = parse_notify(body["notify"])
    return changes


# --- changing -------------------------------------------------------------------------------


def create_remote(ctx: RunContext, user: str, body: dict[str, Any]) -> SourceRecord:
    """A new sync of a remote file from its JSON form (a body SyncInput took). Every
    setting is checked before the file is fetched and the sync made."""
    name = imports.check_sync_name(body.get("name"))
    book_path = imports.book_path_for(ctx, user, body.get("book"))
    delimiter = imports.check_delimiter(body.get("delimiter"))
    encoding = imports.check_encoding(body.get("encoding"))
    origin = _remote_origin(ctx, body["source"])
    with _refusals():
        schedule = parse_schedule(body.get("schedule"), origin, ctx.now())
        notify = parse_notify(body.get("notify"))
        source = create_remote_sync(
            ctx,
            user,
            body["source"],
            name=name,
            book_path=book_path,
            delimiter=delimiter,
            encoding=encoding,
        )
    return save_settings(ctx, source, schedule=schedule, notify=notify)


def change_sync(ctx: RunContext, source: SourceRecord, body: dict[str, Any]) -> SourceRecord:
    """Change a sync from its JSON form: name, source, schedule, notify and the file's
    settings. Everything is checked before anything changes, except what depends on a new
    source's file: that is fetched first, and the file's settings are checked against it.
    The body is one SyncSettings took."""
    file_changes = imports.settings_changes(
        {key: body[key] for key in imports.SETTINGS if key in body}
    )
    sync_changes = _sync_changes(ctx, source, body)
    name = _free_name(ctx, source, body["name"]) if "name" in body else None
    if "source" in body:
        with _refusals():
            source = update_origin(ctx, source, body["source"])
    if file_changes or "source" in body:
        source = _refit(ctx, source, file_changes)
    if sync_changes:
        source = save_settings(ctx, source, **sync_changes)
    if name is not None:
        source = _rename(ctx, source, name)
    return source


def _refit(ctx: RunContext, source: SourceRecord, changes: dict[str, Any]) -> SourceRecord:
    """The file's settings changed, or checked against a new file: a mapping or key column
    the file cannot use is replaced as for an import's new file."""
    fitted = imports.fit_settings(source, imports.upload_content(ctx, source), changes)
    return imports.configure(ctx, source, fitted) if fitted else source


def _rename(ctx: RunContext, source: SourceRecord, name: str) -> SourceRecord:
    with ctx.store.write() as tx:
        current = tx.require_source(source.id)
        return current if current.name == name else tx.update_source(current, name=name)


def delete_sync(ctx: RunContext, source: SourceRecord, what: str = "sync") -> None:
    """The sync (or import: the same) stops and goes, its contacts and book stay;
    SourceRunning while it runs."""
    delete_source(ctx, source, what)


def require_remote(source: SourceRecord) -> None:
    """Import now is for a remote file; an uploaded file is run as an import."""
    if not origin_of(source).is_remote:
        raise Conflict(
            "uploaded_file",
            "Import now is for remote files; run an uploaded "
            f"file with POST /api/v1/imports/{source.id}/run.",
        )
