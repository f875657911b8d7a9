"""CSV imports (syncs): upload, settings and mapping, dry run, run, run reports.

What each does is contacthub.services.imports. Every outcome of a run — done, nothing
to do, refused by the mass-deletion guard, failed — is a run report with a status,
answered with 200: the run was recorded whatever happened. Every import is also a sync
with an uploaded file (syncs.py: same ids).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from contacthub.reconcile import ChangeSet
from contacthub.services import imports
from contacthub.services.sources import require_run, run_now, runs_of
from contacthub.services.syncs import delete_sync
from contacthub.sources.csv import DELIMITER_NAMES, all_fields
from contacthub.sources.csv.fields import CUSTOM_PREFIX
from contacthub.store import SourceRecord
from contacthub.web.api.common import json_body, location, override_mass_deletion, runs_limit
from contacthub.web.auth import current_user
from contacthub.web.context import run_context
from contacthub.web.inputs import uploaded_file
from contacthub.web.shapes import import_json, import_summary_json, run_json

bp = Blueprint("imports", __name__)

MAX_SHOWN = 1000  # changes and problems a dry run lists
# A dry run lists what changes first, so the cap cuts the unchanged rows first.
_ORDER = {"add": 0, "update": 1, "delete": 2, "skip": 3, "unchanged": 4}


def _changes_json(changes: ChangeSet) -> dict[str, Any]:
    ordered = sorted(changes.changes, key=lambda change: _ORDER[change.action])
    return {
        "counts": changes.counts,
        "changes": [change.as_dict() for change in ordered[:MAX_SHOWN]],
        "truncated": len(ordered) > MAX_SHOWN,
        "problems": [problem.as_dict() for problem in changes.problems[:MAX_SHOWN]],
        "problems_truncated": len(changes.problems) > MAX_SHOWN,
        "refused": changes.refused or None,
    }


def _import(import_id: int) -> SourceRecord:
    return imports.require_import(run_context(), current_user(), import_id)


def _shown(source: SourceRecord) -> dict[str, Any]:
    return import_json(*imports.file_of(run_context(), source))


def _form_text(name: str) -> str | None:
    value = request.form.get(name)
    return value if value not in (None, "") else None


def create_from_upload(user: str) -> SourceRecord:
    """A new import (an upload sync) from the multipart form of POST /imports (and of
    POST /syncs with a file)."""
    filename, content = uploaded_file()
    return imports.create_upload(
        run_context(),
        user,
        filename,
        content,
        delimiter=_form_text("delimiter"),
        encoding=_form_text("encoding"),
        name=_form_text("name"),
        book=_form_text("book"),
    )


@bp.get("/fields")
def fields() -> dict[str, Any]:
    return {
        "fields": [field.to_dict() for field in all_fields()],
        "custom_prefix": CUSTOM_PREFIX,
        "delimiters": [
            {"name": name, "character": character} for name, character in DELIMITER_NAMES.items()
        ],
    }


@bp.get("/imports")
def list_imports() -> dict[str, Any]:
    found = imports.summaries(run_context(), current_user())
    return {"imports": [import_summary_json(summary) for summary in found]}


@bp.post("/imports")
def create_import() -> tuple[dict[str, Any], int, dict[str, str]]:
    source = create_from_upload(current_user())
    return (_shown(source), 201, {"Location": location(".get_import", import_id=source.id)})


@bp.get("/imports/<int:import_id>")
def get_import(import_id: int) -> dict[str, Any]:
    return _shown(_import(import_id))


@bp.patch("/imports/<int:import_id>")
def update_import(import_id: int) -> dict[str, Any]:
    source = _import(import_id)
    return _shown(imports.update_settings(run_context(), source, json_body()))


@bp.put("/imports/<int:import_id>/file")
def replace_file(import_id: int) -> dict[str, Any]:
    source = _import(import_id)
    filename, content = uploaded_file()
    return _shown(imports.replace_upload(run_context(), source, filename, content))


@bp.delete("/imports/<int:import_id>")
def delete_import(import_id: int) -> Response:
    """As DELETE /syncs/{id}: the same source, refused while it runs."""
    delete_sync(run_context(), _import(import_id))
    return Response(status=204)


@bp.post("/imports/<int:import_id>/dry-run")
def dry_run(import_id: int) -> dict[str, Any]:
    source = _import(import_id)
    override = override_mass_deletion()
    return _changes_json(imports.dry_run(run_context(), source, override_mass_deletion=override))


@bp.post("/imports/<int:import_id>/run")
def run(import_id: int) -> dict[str, Any]:
    source = _import(import_id)
    override = override_mass_deletion()
    return run_json(run_now(run_context(), source, override_mass_deletion=override))


@bp.get("/imports/<int:import_id>/runs")
def list_runs(import_id: int) -> dict[str, Any]:
    source = _import(import_id)
    return {"runs": [run_json(record) for record in runs_of(run_context(), source, runs_limit())]}


@bp.get("/imports/<int:import_id>/runs/<int:run_id>")
def get_run(import_id: int, run_id: int) -> dict[str, Any]:
    source = _import(import_id)
    message = f"Import {import_id} has no run {run_id}."
    return run_json(require_run(run_context(), source, run_id, message))
