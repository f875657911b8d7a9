"""Address books: list with counts and source, create, rename, delete."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from contacthub.services import books
from contacthub.web.api.common import json_body, location
from contacthub.web.auth import current_user
from contacthub.web.context import run_context
from contacthub.web.shapes import book_json

bp = Blueprint("books", __name__)


@bp.get("/books")
def list_books() -> dict[str, Any]:
    return {"books": [book_json(book) for book in books.books_of(run_context(), current_user())]}


@bp.post("/books")
def create_book() -> tuple[dict[str, Any], int, dict[str, str]]:
    user = current_user()
    book = books.create_book(run_context(), user, json_body()["display_name"])
    return book_json(book), 201, {"Location": location(".get_book", book_id=book.id)}


@bp.get("/books/<book_id>")
def get_book(book_id: str) -> dict[str, Any]:
    return book_json(books.book_of(run_context(), current_user(), book_id))


@bp.patch("/books/<book_id>")
def rename_book(book_id: str) -> dict[str, Any]:
    user = current_user()
    display_name = json_body()["display_name"]
    return book_json(books.rename_book(run_context(), user, book_id, display_name))


@bp.delete("/books/<book_id>")
def delete_book(book_id: str) -> Response:
    books.delete_book(run_context(), current_user(), book_id, via="api")
    return Response(status=204)
