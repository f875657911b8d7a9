""".vcf imports: POST a file of vCards into a book (by id) or a new book (by name).

What it does is contacthub.services.vcf_imports. The run is recorded whatever happened,
and answered with 200 and its report: the cards that could not be read are its problems,
each with the card's number and the line it starts on.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from contacthub.errors import BadRequest, Invalid
from contacthub.services import books, vcf_imports
from contacthub.services.imports import clean_filename
from contacthub.web.auth import current_user
from contacthub.web.context import run_context
from contacthub.web.errors import ApiError
from contacthub.web.shapes import book_json, run_json

bp = Blueprint("vcf_imports", __name__)


def _form_text(name: str) -> str | None:
    value = request.form.get(name)
    return value if value not in (None, "") else None


def _uploaded_vcf() -> tuple[str, bytes]:
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise ApiError(
            415,
            "unsupported_media_type",
            'Send the .vcf file as multipart/form-data, in a part named "file".',
        )
    upload = request.files.get("file")
    if upload is None:
        raise BadRequest('Send the .vcf file in a part named "file".', field="file")
    content = upload.read()
    if not content.strip():
        raise Invalid("The file is empty: there is nothing to import.", field="file")
    return clean_filename(upload.filename or "contacts.vcf"), content


@bp.post("/imports/vcf")
def import_vcf() -> dict[str, Any]:
    user = current_user()
    filename, content = _uploaded_vcf()
    done = vcf_imports.import_vcf(
        run_context(),
        user,
        filename,
        content,
        book=_form_text("book"),
        new_book=_form_text("new_book"),
        trigger="api",
    )
    assert done.outcome.run is not None  # not a dry run
    return {
        "book": book_json(books.book_of(run_context(), user, done.book.name)),
        "book_created": done.book_made,
        "run": run_json(done.outcome.run),
    }
