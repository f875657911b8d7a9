"""Deleted address books: the user's books in the trash of deleted books, and restoring one.

A deleted book (by a CardDAV client, the API or the admin page) is kept until the
history's retention ends; restoring brings it back with its contacts, as a new
incarnation that clients sync afresh. What each does is contacthub.services.book_trash.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from contacthub.services import book_trash
from contacthub.services.times import iso_time
from contacthub.web.api.history import who_json
from contacthub.web.auth import current_user
from contacthub.web.context import run_context

bp = Blueprint("book_trash", __name__)


@bp.get("/deleted-books")
def list_deleted_books() -> dict[str, Any]:
    found = book_trash.deleted_books(run_context(), current_user())
    return {"deleted_books": [_deleted_book_json(book) for book in found]}


@bp.post("/deleted-books/<int:deleted_book_id>/restore")
def restore_deleted_book(deleted_book_id: int) -> dict[str, Any]:
    done = book_trash.restore_deleted_book(run_context(), current_user(), deleted_book_id)
    return {
        "book": done.book,
        "display_name": done.display_name,
        "moved": done.moved,
        "contacts": done.contacts,
        "message": done.message,
    }


def _deleted_book_json(book: book_trash.DeletedBookEntry) -> dict[str, Any]:
    return {
        "id": book.id,
        "display_name": book.display_name,
        "book": book.book,
        "deleted_at": iso_time(book.deleted_at),
        "deleted_by": who_json(book.deleted_by),
        "contacts": book.contacts,
        "purge_at": iso_time(book.purge_at),
    }
