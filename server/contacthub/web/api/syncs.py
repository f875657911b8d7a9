"""Saved syncs: a CSV import with its origin (upload, HTTP, FTP), schedule and report emails.

A sync is a CSV source (contacthub.jobs), so it has the same id as under /imports:
an upload made with POST /imports is listed here too, and the settings and mapping
of its file are the import's. What this resource adds is where the file comes from,
when it is fetched and imported again, who gets the report, and "Import now".
Passwords of remote sources are sealed in the store and never shown again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, Response, request

from contacthub.jobs.status import status_of
from contacthub.sources.csv import source as csv_source
from contacthub.sources.csv.origin import Origin
from contacthub.sources.csv.remote import create_remote_sync, origin_of, parse_origin, update_origin
from contacthub.sources.schedule import ScheduleError
from contacthub.sources.settings import (
    SyncBusy,
    SyncError,
    delete_sync,
    notify_of,
    parse_notify,
    parse_schedule,
    save_settings,
    schedule_of,
)
from contacthub.store import Transaction
from contacthub.store.runs import RunRecord
from contacthub.store.sources import SourceRecord
from contacthub.web.api.common import int_arg, json_body, location, run_context, store
from contacthub.web.api.devices import iso, run_json
from contacthub.web.api.imports import (
    DEFAULT_RUNS,
    MAX_ID,
    MAX_RUNS,
    SETTINGS,
    book_id,
    book_path_for,
    check_delimiter,
    check_encoding,
    check_name,
    configure,
    create_from_upload,
    fit_settings,
    import_json,
    run_now,
    settings_changes,
    upload_content,
)
from contacthub.web.auth import current_user
from contacthub.web.errors import ApiError, conflict, invalid, not_found, quoted, sentence

bp = Blueprint("syncs", __name__)

MULTIPART = "multipart/form-data"
# What GET /syncs/{id} adds to the list's item: the file as the import shows it.
FILE_FIELDS = (
    "filename",
    "uploaded_at",
    "encoding",
    "encoding_detected",
    "delimiter",
    "delimiter_detected",
    "header",
    "preview",
    "mapping",
    "key_column",
    "update_existing",
    "delete_missing",
)
_FIELD_WORDS = {
    "notify": "The notification address",
    "source": "The source",
    "schedule": "The schedule",
}


# --- JSON -------------------------------------------------------------------------------


def sync_run_json(run: RunRecord) -> dict[str, Any]:
    """A run as /imports shows it, and what became of its report email."""
    return {**run_json(run), "email": run.email}


def _schedule_json(source: SourceRecord) -> tuple[dict[str, Any] | None, str | None]:
    """The schedule and its words; a stored one that cannot be read (the scheduler drops
    it) is shown as such rather than failing the whole list."""
    try:
        schedule = schedule_of(source)
    except ScheduleError as error:
        return None, f"the stored schedule cannot be read ({error}); set it again"
    return (schedule.to_json(), schedule.describe()) if schedule else (None, None)


def _sync_json(tx: Transaction, source: SourceRecord, now: float) -> dict[str, Any]:
    return {
        "id": source.id,
        "name": source.name,
        "book": book_id(source),
        "source": origin_of(source).to_json(),
    } | run_state_json(tx, source, now)


def run_state_json(tx: Transaction, source: SourceRecord, now: float) -> dict[str, Any]:
    """What a scheduled source shows (a sync, a mail account): its schedule and
    notification addresses, its next and latest run, and its status."""
    status = status_of(tx, source, now)
    schedule, schedule_text = _schedule_json(source)
    return {
        "schedule": schedule,
        "schedule_text": schedule_text,
        "notify": notify_of(source),
        "next_run": iso(status.next_run_at),
        "status": status.status,
        "status_text": status.text,
        "latest_run": sync_run_json(status.latest) if status.latest else None,
        "running_since": iso(status.running_since),
    }


def _detail_json(source: SourceRecord) -> dict[str, Any]:
    """The list's item and the file: header, preview, mapping and settings (409 when the
    stored file cannot be read, as for an import)."""
    imported = import_json(source)
    ctx = run_context()
    with store().read() as tx:
        shown = _sync_json(tx, tx.require_source(source.id), ctx.now())
    return shown | {key: imported[key] for key in FILE_FIELDS}


# --- checking what a client sends -------------------------------------------------------


@contextmanager
def _refusals() -> Iterator[None]:
    """A SyncError (settings that cannot be saved, a file that cannot be fetched) as a 422
    naming the field at fault: "source", "source.url", "schedule.start", "notify", ..."""
    try:
        yield
    except SyncError as error:
        raise invalid(_message(str(error), error.field), field=error.field) from None


def _message(text: str, field: str) -> str:
    """A sentence; one that starts with a quoted value says first what it is about."""
    if not text[:1].isalpha():
        text = f"{_FIELD_WORDS.get(field, field)}: {text}"
    return sentence(text)


def _remote_origin(value: Any) -> Origin:
    """The origin a new sync will have, read before anything is made (to check the
    schedule with it); an upload is refused: its file comes with the request."""
    with _refusals():
        origin = parse_origin(run_context(), value)
    if not origin.is_remote:
        raise invalid(
            "A sync of an uploaded file is made by sending the file: POST it as "
            'multipart/form-data (a part named "file"), here or to '
            "/api/v1/imports.",
            field="source",
        )
    return origin


def require_sync(sync_id: int) -> SourceRecord:
    user = current_user()
    with store().read() as tx:
        source = tx.get_source(sync_id) if sync_id <= MAX_ID else None
    if source is None or source.owner != user or source.kind != csv_source.KIND:
        raise not_found(f"There is no sync {sync_id}.")
    return source


def _free_name(source: SourceRecord, value: str) -> str:
    """A new name for the sync: not blank, not another sync's of the same user."""
    name = check_name(value)
    if name is None:
        raise invalid("Give the sync a name.", field="name")
    with store().read() as tx:
        other = tx.find_source(source.owner, source.kind, name)
    if other is not None and other.id != source.id:
        raise invalid(
            f"You already have a sync named {quoted(name)}; choose another name.", field="name"
        )
    return name


def _sync_changes(source: SourceRecord, body: dict[str, Any]) -> dict[str, Any]:
    """Schedule and notification addresses, checked (for save_settings)."""
    changes: dict[str, Any] = {}
    with _refusals():
        if "schedule" in body:
            changes["schedule"] = parse_schedule(
                body["schedule"], origin_of(source), run_context().now()
            )
        if "notify" in body:
            changes["notify"] = parse_notify(body["notify"])
    return changes


# --- changing ---------------------------------------------------------------------------


def create_remote(user: str, body: dict[str, Any]) -> SourceRecord:
    """A new sync of a remote file from the API's JSON form (POST /syncs, a body SyncInput
    took). Every setting is checked before the file is fetched and the sync made."""
    ctx = run_context()
    name = check_name(body.get("name"))
    book_path = book_path_for(user, body.get("book"))
    delimiter = check_delimiter(body.get("delimiter"))
    encoding = check_encoding(body.get("encoding"))
    origin = _remote_origin(body["source"])
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


def _refit(source: SourceRecord, changes: dict[str, Any]) -> SourceRecord:
    """The file's settings changed, or checked against a new file: a mapping or key column
    the file cannot use is replaced as for an import's new file (PUT /imports/{id}/file)."""
    fitted_changes = fit_settings(source, upload_content(source), changes)
    return configure(source, fitted_changes) if fitted_changes else source


def _rename(source: SourceRecord, name: str) -> SourceRecord:
    with store().write() as tx:
        current = tx.require_source(source.id)
        return current if current.name == name else tx.update_source(current, name=name)


# --- views ------------------------------------------------------------------------------


@bp.get("/syncs")
def list_syncs() -> dict[str, Any]:
    user = current_user()
    now = run_context().now()
    with store().read() as tx:
        return {
            "syncs": [
                _sync_json(tx, source, now)
                for source in tx.list_sources(owner=user, kind=csv_source.KIND)
            ]
        }


@bp.post("/syncs")
def create_sync() -> tuple[dict[str, Any], int, dict[str, str]]:
    user = current_user()
    content_type = request.content_type or ""
    if content_type.startswith(MULTIPART):
        source = create_from_upload(user)  # as POST /imports
    elif request.is_json:
        source = create_remote(user, json_body())
    else:
        raise ApiError(
            415,
            "unsupported_media_type",
            "Send a remote sync as JSON "
            "(application/json), or the file of an uploaded one as "
            "multipart/form-data.",
        )
    return (_detail_json(source), 201, {"Location": location(".get_sync", sync_id=source.id)})


@bp.get("/syncs/<int:sync_id>")
def get_sync(sync_id: int) -> dict[str, Any]:
    return _detail_json(require_sync(sync_id))


@bp.patch("/syncs/<int:sync_id>")
def update_sync(sync_id: int) -> dict[str, Any]:
    source = require_sync(sync_id)
    return _detail_json(change_sync(source, json_body()))


def change_sync(source: SourceRecord, body: dict[str, Any]) -> SourceRecord:
    """Change a sync from the API's JSON form (PATCH /syncs/{id}): name, source, schedule,
    notify and the file's settings. Everything is checked before anything changes, except
    what depends on a new source's file: that is fetched first, and the file's settings
    are checked against it. The body is one SyncSettings took."""
    file_changes = settings_changes({key: body[key] for key in SETTINGS if key in body})
    sync_changes = _sync_changes(source, body)
    name = _free_name(source, body["name"]) if "name" in body else None
    if "source" in body:
        with _refusals():
            source = update_origin(run_context(), source, body["source"])
    if file_changes or "source" in body:
        source = _refit(source, file_changes)
    if sync_changes:
        source = save_settings(run_context(), source, **sync_changes)
    if name is not None:
        source = _rename(source, name)
    return source


def delete_now(source: SourceRecord, what: str) -> Response:
    """The source stops and goes, its contacts and book stay; 409 while it runs."""
    try:
        delete_sync(run_context(), source)
    except SyncBusy:
        raise conflict(
            "sync_running",
            f"The {what} {quoted(source.name)} is running; delete it when the run has finished.",
        ) from None
    return Response(status=204)


def runs_json(source: SourceRecord) -> dict[str, Any]:
    """The source's latest runs (?limit), each with what became of its email."""
    limit = int_arg("limit", DEFAULT_RUNS, 1, MAX_RUNS)
    with store().read() as tx:
        return {"runs": [sync_run_json(run) for run in tx.runs_of(source.id, limit=limit)]}


@bp.delete("/syncs/<int:sync_id>")
def remove_sync(sync_id: int) -> Response:
    return delete_now(require_sync(sync_id), "sync")


@bp.post("/syncs/<int:sync_id>/run")
def import_now(sync_id: int) -> dict[str, Any]:
    source = require_sync(sync_id)
    if not origin_of(source).is_remote:
        raise conflict(
            "uploaded_file",
            "Import now is for remote files; run an uploaded "
            f"file with POST /api/v1/imports/{sync_id}/run.",
        )
    return sync_run_json(run_now(source))


@bp.get("/syncs/<int:sync_id>/runs")
def list_sync_runs(sync_id: int) -> dict[str, Any]:
    return runs_json(require_sync(sync_id))
