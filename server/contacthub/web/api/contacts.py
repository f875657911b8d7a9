"""Contacts: list and search with paging, get, create, update (If-Match), delete.

Every write goes through the store's Transaction, so ETags, the search index
and the change log stay right and CardDAV clients see API writes at their
next sync-collection REPORT.

An update must carry If-Match (428 without it): a lost update is silent, a
refused one is not. A client that means to overwrite sends `If-Match: *`.

The views parse the request and call functions of plain arguments (contacts_page,
replace_contact, remove_contact), which the admin page calls too.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.datastructures import ETags

from contacthub.store import CollectionRecord, ItemRecord, Transaction
from contacthub.store.paths import check_name
from contacthub.vcard.parse import InvalidVCard, item_data, parse_one
from contacthub.web.api.common import (
    contact_json,
    int_arg,
    location,
    require_book,
    settings,
    store,
    user_books,
    vcard_body,
)
from contacthub.web.auth import current_user
from contacthub.web.errors import ApiError, conflict, invalid, not_found, quoted, sentence

bp = Blueprint("contacts", __name__)

DEFAULT_PAGE = 50
MAX_PAGE = 200
MAX_QUERY = 200

_HAS_UID = re.compile(r"^(?:[A-Za-z0-9-]+\.)?UID[;:]", re.IGNORECASE | re.MULTILINE)
_BEGIN = re.compile(r"^BEGIN:VCARD[ \t]*\r?\n", re.IGNORECASE | re.MULTILINE)
_AT_LINE = re.compile(r"line (\d+)", re.IGNORECASE)


def page_args() -> tuple[list[str], int, int]:
    """The search words, limit and offset of the request's query (`q`, `limit`, `offset`)."""
    query = request.args.get("q", "")
    if len(query) > MAX_QUERY:
        raise ApiError(
            400,
            "bad_request",
            f"The search (q) may have at most {MAX_QUERY} characters.",
            field="q",
        )
    return (
        query.split(),
        int_arg("limit", DEFAULT_PAGE, 1, MAX_PAGE),
        int_arg("offset", 0, 0, 10**9),
    )


def contacts_page(
    tx: Transaction, books: list[CollectionRecord], words: list[str], limit: int, offset: int
) -> dict[str, Any]:
    """A page of the books' contacts that have every word, ordered by name, and the total."""
    names = {book.id: book.name for book in books}
    found, total = tx.search_contacts(list(names), words, limit=limit, offset=offset)
    return {
        "contacts": [
            contact_json(item, names[item.collection_id], with_vcard=False) for item in found
        ],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@bp.get("/contacts")
def search_all() -> dict[str, Any]:
    user = current_user()
    with store().read() as tx:
        return contacts_page(tx, user_books(tx, user), *page_args())


@bp.get("/books/<book_id>/contacts")
def list_contacts(book_id: str) -> dict[str, Any]:
    user = current_user()
    with store().read() as tx:
        return contacts_page(tx, [require_book(tx, user, book_id)], *page_args())


def require_contact(tx: Transaction, book: CollectionRecord, contact_id: str) -> ItemRecord:
    try:
        check_name(contact_id)
    except ValueError:
        raise _contact_not_found(contact_id) from None
    item = tx.get_item(book.id, contact_id)
    if item is None:
        raise _contact_not_found(contact_id)
    return item


def _contact_not_found(contact_id: str) -> ApiError:
    return not_found(f"There is no contact {quoted(contact_id)} in this address book.")


def _with_etag(shown: dict[str, Any], status: int = 200) -> Response:
    response = jsonify(shown)
    response.status_code = status
    response.headers["ETag"] = shown["etag"]
    return response


@bp.get("/books/<book_id>/contacts/<contact_id>")
def get_contact(book_id: str, contact_id: str) -> Response:
    user = current_user()
    with store().read() as tx:
        item = require_contact(tx, require_book(tx, user, book_id), contact_id)
    return _with_etag(contact_json(item, book_id, with_vcard=True))


def _card(text: str, uid: str) -> Any:
    """The store's item for `text`, with UID `uid` added when the card has none."""
    if not _HAS_UID.search(text):
        newline = "\r\n" if "\r\n" in text else "\n"
        text = _BEGIN.sub(lambda begin: f"{begin.group(0)}UID:{uid}{newline}", text, count=1)
    try:
        return item_data(text, parse_one(text))
    except InvalidVCard as error:
        message = str(error)
        at_line = _AT_LINE.search(message)
        raise invalid(
            sentence(message), field="vcard", line=int(at_line.group(1)) if at_line else None
        ) from None


def _free_href(tx: Transaction, book: CollectionRecord, uid: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9@_.-]", "-", uid).strip(".-")[:200]
    href = f"{safe}.vcf" if safe else ""
    if not href or tx.get_item(book.id, href) is not None:
        href = f"{uuid.uuid4().hex}.vcf"
    return href


@bp.post("/books/<book_id>/contacts")
def create_contact(book_id: str) -> Response:
    user = current_user()
    text = vcard_body(settings().max_resource_size)
    data = _card(text, str(uuid.uuid4()))
    with store().write([f"{user}/{book_id}"]) as tx:
        book = require_book(tx, user, book_id)
        existing = tx.href_of_uid(book.id, data.uid)
        if existing is not None:
            raise conflict(
                "uid_conflict",
                f"A contact with UID {data.uid!r} is already in "
                f"this address book (id {existing!r}).",
            )
        item, _ = tx.put_item(book, _free_href(tx, book, data.uid), data, if_none_match=True)
    response = _with_etag(contact_json(item, book_id, with_vcard=True), 201)
    response.headers["Location"] = location(".get_contact", book_id=book_id, contact_id=item.href)
    return response


def _if_match() -> ETags | None:
    """The request's If-Match, or None when it has none."""
    return request.if_match if "If-Match" in request.headers else None


def _check_if_match(item: ItemRecord, wanted: ETags | None, required: bool) -> None:
    if wanted is None:
        if required:
            raise ApiError(
                428,
                "precondition_required",
                "Send If-Match with the contact's ETag (or * to overwrite it "
                "whatever it holds), so that changes made elsewhere are not lost.",
            )
        return
    if not (wanted.star_tag or wanted.contains(item.etag.strip('"'))):
        raise ApiError(
            412,
            "precondition_failed",
            "The contact has changed since you read it; read it again and "
            "apply your change to the new version.",
            headers={"ETag": item.etag},
        )


def replace_contact(
    user: str, book_id: str, contact_id: str, text: str, if_match: ETags | None
) -> ItemRecord:
    """Store `text` as the contact's new version, keeping its UID, if its ETag is still one
    `if_match` names (412 if not, 428 without one)."""
    with store().write([f"{user}/{book_id}"]) as tx:
        book = require_book(tx, user, book_id)
        old = require_contact(tx, book, contact_id)
        _check_if_match(old, if_match, required=True)
        data = _card(text, old.uid)
        if data.uid != old.uid:
            raise conflict(
                "uid_changed",
                f"A contact's UID cannot change: this one is "
                f"{old.uid!r}, the card sent has {data.uid!r}.",
            )
        item, _ = tx.put_item(book, old.href, data, if_match=old.etag)
    return item


def remove_contact(user: str, book_id: str, contact_id: str, if_match: ETags | None) -> ItemRecord:
    """Delete the contact (if its ETag is one `if_match` names, when given); returns it."""
    with store().write([f"{user}/{book_id}"]) as tx:
        book = require_book(tx, user, book_id)
        old = require_contact(tx, book, contact_id)
        _check_if_match(old, if_match, required=False)
        tx.delete_item(book, old.href, if_match=old.etag)
    return old


@bp.put("/books/<book_id>/contacts/<contact_id>")
def update_contact(book_id: str, contact_id: str) -> Response:
    user = current_user()
    text = vcard_body(settings().max_resource_size)
    item = replace_contact(user, book_id, contact_id, text, _if_match())
    return _with_etag(contact_json(item, book_id, with_vcard=True))


@bp.delete("/books/<book_id>/contacts/<contact_id>")
def delete_contact(book_id: str, contact_id: str) -> Response:
    remove_contact(current_user(), book_id, contact_id, _if_match())
    return Response(status=204)
