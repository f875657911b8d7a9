"""Autocomplete for composing mail: people with an email address, best match first."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Blueprint, request

from contacthub.errors import BadRequest
from contacthub.services.autocomplete import suggestions
from contacthub.web.auth import current_user
from contacthub.web.context import run_context
from contacthub.web.inputs import int_arg

bp = Blueprint("autocomplete", __name__)

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
MAX_QUERY = 100


@bp.get("/autocomplete")
def autocomplete() -> dict[str, Any]:
    query = request.args.get("q", "").strip()
    if not query:
        raise BadRequest("Type at least one character to search for (q).", field="q")
    if len(query) > MAX_QUERY:
        raise BadRequest(f"The search (q) may have at most {MAX_QUERY} characters.", field="q")
    limit = int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    found = suggestions(run_context(), current_user(), query, limit)
    return {"suggestions": [asdict(suggestion) for suggestion in found]}
