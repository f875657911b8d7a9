"""Autocomplete for composing mail: people with an email address, best match first."""

from __future__ import annotations

from dataclasses import dataclass

import vobject

from contacthub.services.books import user_books
from contacthub.sources.context import RunContext

NAME_MATCH = 1  # ranks below this matched the name; the others only an address


@dataclass(frozen=True)
class Suggestion:
    name: str
    email: str
    uid: str
    book: str


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


def suggestions(ctx: RunContext, user: str, query: str, limit: int) -> list[Suggestion]:
    """Up to `limit` addresses of the people whose name or address starts with `query`."""
    with ctx.store.read() as tx:
        names = {book.id: book.name for book in user_books(tx, user)}
        # One contact gives at least one suggestion, so `limit` contacts are enough.
        found = tx.autocomplete(list(names), query, limit=limit)
    lowered = query.lower()
    suggested: list[Suggestion] = []
    for item, rank in found:
        for email in _emails(item.text):
            if rank > NAME_MATCH and not email.lower().startswith(lowered):
                continue
            suggested.append(
                Suggestion(item.display_name, email, item.uid, names[item.collection_id])
            )
    return suggested[:limit]
