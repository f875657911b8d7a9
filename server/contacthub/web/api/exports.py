"""Exports: a book, or all of the user's books, as one .vcf or CSV file, streamed."""

from __future__ import annotations

from flask import Blueprint, Response, request

from contacthub.services import exports
from contacthub.web.auth import current_user
from contacthub.web.context import run_context
from contacthub.web.downloads import download

bp = Blueprint("exports", __name__)


@bp.get("/books/<book_id>/export")
def export_book(book_id: str) -> Response:
    return _export(book_id)


@bp.get("/export")
def export_all() -> Response:
    return _export(None)


def _export(book_id: str | None) -> Response:
    user = current_user()
    file_format = exports.check_format(request.args.get("format", exports.VCF))
    version = exports.check_version(request.args.get("vcard_version", exports.AS_STORED))
    ctx = run_context()
    books = exports.books_to_export(ctx, user, book_id)
    made = exports.export(
        ctx.store, user, books, file_format, version, one_book=book_id is not None
    )
    return download(made)
