"""Autocomplete for composing mail: people with an email address, best match first."""

from __future__ import annotations

from typing import Any

import vobject
from flask import Blueprint, request

from contacthub.web.api.common import int_arg, store, user_books
from contacthub.web.auth import current_user
from contacthub.web.errors import bad_request

bp = Blueprint("autocomplete", __name__)

DEFAULT_LIMIT = 10
MAX_LIMIT = 50
MAX_QUERY = 100
NAME_MATCH = 1  # ranks below this matched the name; the others only an address


def _emails(text: str) -> list[str]:
    try:
        card = vobject.readOne(text, validate=False)
    except Exception:
        return []
    return [
        str(prop.value).strip()
        for prop in card.contents.get("email", [])
        if str(prop.value).strip()
    ]


@bp.get("/autocomplete")
def autocomplete() -> dict[str, Any]:
    query = request.args.get("q", "").strip()
    if not query:
        raise bad_request("Type at least one character to search for (q).", field="q")
    if len(query) > MAX_QUERY:
        raise bad_request(f"The search (q) may have at most {MAX_QUERY} characters.", field="q")
    limit = int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    user = current_user()
    with store().read() as tx:
        names = {book.id: book.name for book in user_books(tx, user)}
        # One contact gives at least one suggestion, so `limit` contacts are enough.
        found = tx.autocomplete(list(names), query, limit=limit)
    lowered = query.lower()
    suggestions: list[dict[str, Any]] = []
    for item, rank in found:
        for email in _emails(item.text):
            if rank > NAME_MATCH and not email.lower().startswith(lowered):
                continue
            suggestions.append(
                {
                    "name": item.display_name,
                    "email": email,
                    "uid": item.uid,
                    "book": names[item.collection_id],
                }
            )
    return {"suggestions": suggestions[:limit]}
