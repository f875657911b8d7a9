"""A book's groups, and its settings (the form new groups take)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from contacthub.services import groups
from contacthub.web.api.common import json_body
from contacthub.web.auth import current_user
from contacthub.web.context import run_context

bp = Blueprint("groups", __name__)


@bp.get("/books/<book_id>/groups")
def list_groups(book_id: str) -> dict[str, Any]:
    found = groups.book_groups(run_context(), current_user(), book_id)
    return {
        "groups": [
            {"name": group.name, "members": group.members, "href": group.href} for group in found
        ]
    }


@bp.get("/books/<book_id>/settings")
def get_settings(book_id: str) -> dict[str, Any]:
    return {"group_form": groups.book_group_form(run_context(), current_user(), book_id)}


@bp.patch("/books/<book_id>/settings")
def change_settings(book_id: str) -> dict[str, Any]:
    user = current_user()
    wanted = json_body().get("group_form")
    if wanted is None:
        return get_settings(book_id)
    return {"group_form": groups.set_group_form(run_context(), user, book_id, wanted)}
