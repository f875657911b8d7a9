"""What the API's views share: the store, request parsing, books and contact JSON."""

from __future__ import annotations

from typing import Any

import vobject
from flask import current_app, g, request, url_for

from contacthub.config import Settings
from contacthub.sources.context import RunContext
from contacthub.store import CollectionRecord, ItemRecord, Store, Transaction
from contacthub.store.paths import check_name
from contacthub.vcard.parse import is_vcard_media_type
from contacthub.web.errors import ApiError, bad_request, quoted

BOOK_TAG = "VADDRESSBOOK"


def store() -> Store:
    found: Store = current_app.extensions["contacthub"].store
    return found


def run_context() -> RunContext:
    found: RunContext = current_app.extensions["contacthub"].syncs
    return found


def settings() -> Settings:
    found: Settings = current_app.extensions["contacthub"].settings
    return found


def location(endpoint: str, **values: Any) -> str:
    """The URL of a created object, for whoever the request acted for."""
    if g.caller.user != g.caller.login:
        values["user"] = g.caller.user
    return url_for(endpoint, **values)


def json_body() -> dict[str, Any]:
    if not request.is_json:
        raise ApiError(
            415,
            "unsupported_media_type",
            "Send the request body as JSON (Content-Type: application/json).",
        )
    body = request.get_json(silent=True)
    if body is None:
        raise bad_request("The request body is not valid JSON.")
    if not isinstance(body, dict):
        raise bad_request("The request body must be a JSON object.")
    return body


def vcard_body(limit: int) -> str:
    """The body as vCard text: the right media type, at most `limit` bytes, UTF-8."""
    content_type = request.content_type or ""
    if not is_vcard_media_type(content_type):
        raise ApiError(
            415,
            "unsupported_media_type",
            f"Send the contact as text/vcard, not {content_type or 'no type'!r}.",
        )
    return utf8_text(read_body(limit))


def utf8_text(body: bytes) -> str:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise bad_request(f"The body is not UTF-8 text (byte {error.start}).") from None
    if "\x00" in text:
        raise bad_request(f"The body contains a NUL character (byte {body.index(0)}).")
    return text


def read_body(limit: int) -> bytes:
    if request.content_length is not None and request.content_length > limit:
        raise too_large(request.content_length, limit)
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise too_large(None, limit)
    return body


def too_large(size: int | None, limit: int) -> ApiError:
    has = f"has {size} bytes" if size is not None else "is larger than that"
    return ApiError(413, "too_large", f"The request body {has}; the limit is {limit} bytes.")


def int_arg(name: str, default: int, minimum: int, maximum: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(
            f"The parameter {name} must be a whole number, not {quoted(raw)}.", field=name
        ) from None
    if not minimum <= value <= maximum:
        raise bad_request(
            f"The parameter {name} must be between {minimum} and {maximum}.", field=name
        )
    return value


def user_books(tx: Transaction, user: str) -> list[CollectionRecord]:
    """The user's address books, the default book first (as CardDAV clients see them)."""
    return [book for book in tx.list_children(user) if book.tag == BOOK_TAG]


def require_book(tx: Transaction, user: str, book_id: str) -> CollectionRecord:
    try:
        check_name(book_id)
    except ValueError:
        raise book_not_found(book_id) from None
    book = tx.get_collection(f"{user}/{book_id}")
    if book is None or book.tag != BOOK_TAG:
        raise book_not_found(book_id)
    return book


def book_not_found(book_id: str) -> ApiError:
    return ApiError(404, "not_found", f"There is no address book {quoted(book_id)}.")


def _values(card: Any, name: str) -> list[str]:
    found: list[str] = []
    for prop in card.contents.get(name, []):
        value = prop.value
        parts = value if isinstance(value, list) else [value]
        found.extend(str(part) for part in parts if str(part).strip())
    return found


def contact_json(item: ItemRecord, book_id: str, *, with_vcard: bool) -> dict[str, Any]:
    """A contact as the API shows it; the fields come from the stored card as sent."""
    emails: list[str] = []
    phones: list[str] = []
    org: str | None = None
    try:
        card = vobject.readOne(item.text, validate=False)
    except Exception:  # a card stored before validation existed: show what the index has
        card = None
    if card is not None:
        emails = _values(card, "email")
        phones = _values(card, "tel")
        orgs = _values(card, "org")
        org = orgs[0] if orgs else None
    shown: dict[str, Any] = {
        "id": item.href,
        "book": book_id,
        "uid": item.uid,
        "etag": item.etag,
        "display_name": item.display_name,
        "emails": emails,
        "phones": phones,
        "org": org,
    }
    if with_vcard:
        shown["vcard"] = item.text
    return shown
