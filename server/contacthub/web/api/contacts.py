"""Contacts: list and search with paging, get, create, update (If-Match), delete.

An update must carry If-Match (428 without it): a lost update is silent, a refused one
is not. A client that means to overwrite sends `If-Match: *`. What each does is
contacthub.services.contacts, which the admin page calls too.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from contacthub.services import books, contacts
from contacthub.web.api.common import location, vcard_body
from contacthub.web.auth import current_user
from contacthub.web.context import run_context, settings
from contacthub.web.inputs import if_match, page_args
from contacthub.web.shapes import contact_json, contacts_page_json

bp = Blueprint("contacts", __name__)


def _with_etag(shown: dict[str, Any], status: int = 200) -> Response:
    response = jsonify(shown)
    response.status_code = status
    response.headers["ETag"] = shown["etag"]
    return response


@bp.get("/contacts")
def search_all() -> dict[str, Any]:
    found = contacts.search(run_context(), current_user(), *page_args())
    return contacts_page_json(found)


@bp.get("/books/<book_id>/contacts")
def list_contacts(book_id: str) -> dict[str, Any]:
    user = current_user()
    books.book_record(run_context(), user, book_id)  # no such book: 404 before the query's 400
    found = contacts.search(run_context(), user, *page_args(), book_id=book_id)
    return contacts_page_json(found)


@bp.get("/books/<book_id>/contacts/<contact_id>")
def get_contact(book_id: str, contact_id: str) -> Response:
    item = contacts.get_contact(run_context(), current_user(), book_id, contact_id)
    return _with_etag(contact_json(item, book_id, with_vcard=True))


@bp.post("/books/<book_id>/contacts")
def create_contact(book_id: str) -> Response:
    user = current_user()
    text = vcard_body(settings().max_resource_size)
    item = contacts.create_contact(run_context(), user, book_id, text, via="api")
    response = _with_etag(contact_json(item, book_id, with_vcard=True), 201)
    response.headers["Location"] = location(".get_contact", book_id=book_id, contact_id=item.href)
    return response


@bp.put("/books/<book_id>/contacts/<contact_id>")
def update_contact(book_id: str, contact_id: str) -> Response:
    user = current_user()
    text = vcard_body(settings().max_resource_size)
    item = contacts.replace_contact(
        run_context(), user, book_id, contact_id, text, if_match(), via="api"
    )
    return _with_etag(contact_json(item, book_id, with_vcard=True))


@bp.delete("/books/<book_id>/contacts/<contact_id>")
def delete_contact(book_id: str, contact_id: str) -> Response:
    contacts.remove_contact(
        run_context(), current_user(), book_id, contact_id, if_match(), via="api"
    )
    return Response(status=204)
