"""What both web packages read from a request: numbers and true/false in the query, a
search's paging, an uploaded file, If-Match."""

from __future__ import annotations

from flask import request
from werkzeug.datastructures import ETags

from contacthub.errors import BadRequest, Invalid, quoted
from contacthub.services.contacts import IfMatch
from contacthub.services.imports import clean_filename
from contacthub.web.errors import ApiError

DEFAULT_PAGE = 50
MAX_PAGE = 200
MAX_QUERY = 200


def int_arg(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(
            f"The parameter {name} must be a whole number, not {quoted(raw)}.", field=name
        ) from None
    if not minimum <= value <= maximum:
        raise BadRequest(
            f"The parameter {name} must be between {minimum} and {maximum}.", field=name
        )
    return value


BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def bool_arg(name: str, default: bool) -> bool:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        return BOOLEANS[raw.strip().lower()]
    except KeyError:
        raise BadRequest(
            f"The parameter {name} is true or false, not {quoted(raw)}.", field=name
        ) from None


def page_args() -> tuple[list[str], int, int]:
    """The search words, limit and offset of the request's query (`q`, `limit`, `offset`)."""
    query = request.args.get("q", "")
    if len(query) > MAX_QUERY:
        raise BadRequest(f"The search (q) may have at most {MAX_QUERY} characters.", field="q")
    return (query.split(), *limit_offset())


def limit_offset(default: int = DEFAULT_PAGE, most: int = MAX_PAGE) -> tuple[int, int]:
    """The page a list's request asks for (`limit`, `offset`)."""
    return int_arg("limit", default, 1, most), int_arg("offset", 0, 0, 10**9)


def uploaded_file() -> tuple[str, bytes]:
    """The multipart part "file": its name and content (413 above the server's limit)."""
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise ApiError(
            415,
            "unsupported_media_type",
            'Send the file as multipart/form-data, in a part named "file".',
        )
    upload = request.files.get("file")
    if upload is None:
        raise BadRequest('Send the CSV file in a part named "file".', field="file")
    content = upload.read()
    if not content:
        raise Invalid("The file is empty: there is nothing to import.", field="file")
    return clean_filename(upload.filename), content


def if_match_of(etags: ETags) -> IfMatch:
    return IfMatch(frozenset(etags.as_set()), any=etags.star_tag)


def if_match() -> IfMatch | None:
    """The request's If-Match, or None when it has none."""
    return if_match_of(request.if_match) if "If-Match" in request.headers else None
