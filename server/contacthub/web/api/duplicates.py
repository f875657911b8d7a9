"""Duplicates: the user's groups of possible duplicates across their books, lane by lane
with the reasons; dismissing a group; the account's settings for finding them. What each
does is contacthub.services.duplicates."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from contacthub.services import duplicates, merges
from contacthub.web.api.common import json_body
from contacthub.web.auth import current_user
from contacthub.web.context import run_context
from contacthub.web.inputs import int_arg

bp = Blueprint("duplicates", __name__)

VIA = "api"


MAX_LIMIT = 1000


@bp.get("/duplicates")
def list_duplicates() -> dict[str, Any]:
    """All the groups; with `limit` or `offset`, a page of them, and how many there are."""
    limit = int_arg("limit", 1, 1, MAX_LIMIT) if "limit" in request.args else None
    offset = int_arg("offset", 0, 0, 10**9)
    found = duplicates.groups_page(
        run_context(), current_user(), request.args.get("lane"), limit, offset
    )
    listed: dict[str, Any] = {"groups": [duplicates.group_json(g) for g in found.groups]}
    if "limit" in request.args or "offset" in request.args:
        listed.update(total=found.total, limit=limit, offset=offset)
    return listed


@bp.get("/duplicates/<group_id>")
def get_duplicate_group(group_id: str) -> dict[str, Any]:
    return duplicates.group_json(duplicates.group_of(run_context(), current_user(), group_id))


@bp.post("/duplicates/<group_id>/dismiss")
def dismiss_duplicate_group(group_id: str) -> dict[str, Any]:
    return duplicates.group_json(duplicates.dismiss(run_context(), current_user(), group_id))


@bp.post("/duplicates/<group_id>/merge")
def merge_duplicate_group(group_id: str) -> tuple[dict[str, Any], int]:
    user, body, ctx = current_user(), json_body(), run_context()
    refs = [contact.ref for contact in duplicates.group_of(ctx, user, group_id).contacts]
    done = merges.merge(ctx, user, refs, body.get("choices"), body.get("into"), via=VIA)
    return done, 201


@bp.get("/account/settings")
def get_account_settings() -> dict[str, Any]:
    return duplicates.settings_json(duplicates.settings_of(run_context(), current_user()))


@bp.patch("/account/settings")
def change_account_settings() -> dict[str, Any]:
    changes = json_body()  # a body DuplicateSettingsInput took
    changed = duplicates.change_settings(run_context(), current_user(), changes)
    return duplicates.settings_json(changed)
