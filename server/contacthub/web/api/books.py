"""Address books: list with counts and source, create, rename, delete."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from flask import Blueprint, Response

from contacthub.store import DEFAULT_BOOK, CollectionRecord, Transaction
from contacthub.web.api.common import BOOK_TAG, json_body, location, require_book, store, user_books
from contacthub.web.auth import current_user
from contacthub.web.errors import conflict, invalid

bp = Blueprint("books", __name__)


def book_json(book: CollectionRecord, count: int, source: tuple[str, str] | None) -> dict[str, Any]:
    kind, name = source if source else ("carddav", None)
    return {
        "id": book.name,
        "display_name": book.display_name,
        "contacts": count,
        "default": book.name == DEFAULT_BOOK,
        "source": {"kind": kind, "name": name},
    }


def _described(tx: Transaction, user: str, books: list[CollectionRecord]) -> list[dict[str, Any]]:
    counts = tx.count_items([book.id for book in books])
    sources = {
        source.book_path: (source.kind, source.name) for source in tx.list_sources(owner=user)
    }
    return [book_json(book, counts.get(book.id, 0), sources.get(book.path)) for book in books]


def _display_name(body: dict[str, Any]) -> str:
    """The name of a body BookInput took, trimmed: not blank, no control characters."""
    value = body["display_name"].strip()
    if not value:
        raise invalid("Give the address book a name (display_name).", field="display_name")
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise invalid("The name may not contain control characters.", field="display_name")
    return value


def _new_id(tx: Transaction, user: str, display_name: str) -> str:
    """A readable, URL-safe, unused name for the book's path, from its display name."""
    ascii_name = unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-") or "book"
    taken = {child.name for child in tx.list_children(user)}
    candidate, number = slug, 1
    while candidate in taken:
        number += 1
        candidate = f"{slug}-{number}"
    return candidate


def books_of(user: str) -> list[dict[str, Any]]:
    """The user's address books as the API lists them: counts and where contacts come from."""
    with store().read() as tx:
        return _described(tx, user, user_books(tx, user))


def book_of(user: str, book_id: str) -> dict[str, Any]:
    """One of the user's address books as the API shows it (404 for no such book)."""
    with store().read() as tx:
        return _described(tx, user, [require_book(tx, user, book_id)])[0]


@bp.get("/books")
def list_books() -> dict[str, Any]:
    return {"books": books_of(current_user())}


@bp.post("/books")
def create_book() -> tuple[dict[str, Any], int, dict[str, str]]:
    user = current_user()
    display_name = _display_name(json_body())
    with store().write([user]) as tx:
        tx.ensure_collection(user)
        book = tx.create_collection(
            f"{user}/{_new_id(tx, user, display_name)}",
            {"tag": BOOK_TAG, "D:displayname": display_name},
        )
        shown = _described(tx, user, [book])[0]
    return shown, 201, {"Location": location(".get_book", book_id=book.name)}


@bp.get("/books/<book_id>")
def get_book(book_id: str) -> dict[str, Any]:
    return book_of(current_user(), book_id)


@bp.patch("/books/<book_id>")
def rename_book(book_id: str) -> dict[str, Any]:
    user = current_user()
    display_name = _display_name(json_body())
    with store().write([f"{user}/{book_id}"]) as tx:
        book = require_book(tx, user, book_id)
        book = tx.set_props(book, {**book.props, "D:displayname": display_name})
        return _described(tx, user, [book])[0]


@bp.delete("/books/<book_id>")
def delete_book(book_id: str) -> Response:
    user = current_user()
    with store().write([f"{user}/{book_id}"]) as tx:
        book = require_book(tx, user, book_id)
        if book.name == DEFAULT_BOOK:
            raise conflict(
                "default_book",
                "The default address book cannot be deleted: phones save new contacts there.",
            )
        tx.delete_collection(book.path)
    return Response(status=204)
