"""Merging duplicates: a preview of contacts side by side, a merge with per-field
choices, the list of merges, and undoing one. What each does is
contacthub.services.merges."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from contacthub.services import merges
from contacthub.web.api.common import json_body
from contacthub.web.auth import current_user
from contacthub.web.context import run_context

bp = Blueprint("merges", __name__)

VIA = "api"


@bp.get("/merges")
def list_merges() -> dict[str, Any]:
    return {"merges": merges.merges(run_context(), current_user())}


@bp.post("/merges/preview")
def preview_merge() -> dict[str, Any]:
    user = current_user()
    refs = merges.refs_of(user, json_body()["contacts"])
    return merges.preview(run_context(), user, refs)


@bp.post("/merges")
def merge() -> tuple[dict[str, Any], int]:
    user, body = current_user(), json_body()
    refs = merges.refs_of(user, body["contacts"])
    done = merges.merge(run_context(), user, refs, body.get("choices"), body.get("into"), via=VIA)
    return done, 201


@bp.post("/merges/<int:merge_id>/undo")
def undo(merge_id: int) -> dict[str, Any]:
    return merges.undo(run_context(), current_user(), merge_id, via=VIA)
