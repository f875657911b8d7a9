"""Saved syncs: a CSV import with its origin (upload, HTTP, FTP), schedule and report emails.

A sync has the same id as under /imports: an upload made with POST /imports is listed
here too, and the settings and mapping of its file are the import's. What each does is
contacthub.services.syncs.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from contacthub.services import imports, syncs
from contacthub.services.sources import run_now, runs_of
from contacthub.store import SourceRecord
from contacthub.web.api.common import (
    json_body,
    location,
    override_mass_deletion,
    run_state_json,
    runs_limit,
)
from contacthub.web.api.imports import create_from_upload
from contacthub.web.auth import current_user
from contacthub.web.context import run_context
from contacthub.web.errors import ApiError
from contacthub.web.shapes import book_id_of, import_json, sync_run_json

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


def _sync_json(state: syncs.SyncState) -> dict[str, Any]:
    source = state.source
    return {
        "id": source.id,
        "name": source.name,
        "book": book_id_of(source.book_path),
        "source": state.origin.to_json(),
    } | run_state_json(source, state.status)


def _detail_json(source: SourceRecord) -> dict[str, Any]:
    """The list's item and the file: header, preview, mapping and settings (409 when the
    stored file cannot be read, as for an import)."""
    ctx = run_context()
    imported = import_json(*imports.file_of(ctx, source))
    shown = _sync_json(syncs.state_of(ctx, source))
    return shown | {key: imported[key] for key in FILE_FIELDS}


def _sync(sync_id: int) -> SourceRecord:
    return syncs.require_sync(run_context(), current_user(), sync_id)


@bp.get("/syncs")
def list_syncs() -> dict[str, Any]:
    states = syncs.sync_states(run_context(), current_user())
    return {"syncs": [_sync_json(state) for state in states]}


@bp.post("/syncs")
def create_sync() -> tuple[dict[str, Any], int, dict[str, str]]:
    user = current_user()
    content_type = request.content_type or ""
    if content_type.startswith(MULTIPART):
        source = create_from_upload(user)  # as POST /imports
    elif request.is_json:
        source = syncs.create_remote(run_context(), user, json_body())
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
    return _detail_json(_sync(sync_id))


@bp.patch("/syncs/<int:sync_id>")
def update_sync(sync_id: int) -> dict[str, Any]:
    source = _sync(sync_id)
    return _detail_json(syncs.change_sync(run_context(), source, json_body()))


@bp.delete("/syncs/<int:sync_id>")
def remove_sync(sync_id: int) -> Response:
    syncs.delete_sync(run_context(), _sync(sync_id))
    return Response(status=204)


@bp.post("/syncs/<int:sync_id>/run")
def import_now(sync_id: int) -> dict[str, Any]:
    source = _sync(sync_id)
    syncs.require_remote(source)
    override = override_mass_deletion()
    return sync_run_json(run_now(run_context(), source, override_mass_deletion=override))


@bp.get("/syncs/<int:sync_id>/runs")
def list_sync_runs(sync_id: int) -> dict[str, Any]:
    source = _sync(sync_id)
    return {"runs": [sync_run_json(run) for run in runs_of(run_context(), source, runs_limit())]}
