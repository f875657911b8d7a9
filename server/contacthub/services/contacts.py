"""Contacts: search with paging, get, create, replace and delete.

Every write goes through the store's Transaction, so ETags, the search index and the
change log stay right and CardDAV clients see these writes at their next
sync-collection REPORT.

A replacement must name the version it replaces (IfMatch): a lost update is silent,
a refused one is not. Whoever means to overwrite says so (IfMatch.ANY).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from contacthub.errors import Conflict, Invalid, NotFound, UserError, quoted, sentence
from contacthub.services.books import require_book, user_books
from contacthub.sources.context import RunContext
from contacthub.store import (
    Actor,
    CollectionRecord,
    ItemData,
    ItemRecord,
    Transaction,
    check_name,
)
from contacthub.vcard.names import free_href
from contacthub.vcard.parse import InvalidVCard, item_data, parse_one

_HAS_UID = re.compile(r"^(?:[A-Za-z0-9-]+\.)?UID[;:]", re.IGNORECASE | re.MULTILINE)
_BEGIN = re.compile(r"^BEGIN:VCARD[ \t]*\r?\n", re.IGNORECASE | re.MULTILINE)
_AT_LINE = re.compile(r"line (\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class IfMatch:
    """The versions (ETags, without quotes) a change may replace; `any` for whatever is
    there (HTTP's `If-Match: *`)."""

    etags: frozenset[str] = frozenset()
    any: bool = False

    def allows(self, etag: str) -> bool:
        return self.any or etag.strip('"') in self.etags


class IfMatchRequired(UserError):
    status = 428
    code = "precondition_required"

    def __init__(self) -> None:
        super().__init__(
            "Send If-Match with the contact's ETag (or * to overwrite it "
            "whatever it holds), so that changes made elsewhere are not lost."
        )


class ChangedElsewhere(UserError):
    """The contact is no longer the version the change was made to; `headers` carry the
    current ETag."""

    status = 412
    code = "precondition_failed"

    def __init__(self, etag: str) -> None:
        super().__init__(
            "The contact has changed since you read it; read it again and "
            "apply your change to the new version."
        )
        self.headers = {"ETag": etag}


@dataclass(frozen=True)
class ContactsPage:
    """A page of contacts (each with the id of its book), and how many match in all."""

    contacts: list[tuple[ItemRecord, str]]
    total: int
    limit: int
    offset: int


def search(
    ctx: RunContext,
    user: str,
    words: list[str],
    limit: int,
    offset: int,
    *,
    book_id: str | None = None,
) -> ContactsPage:
    """The contacts that have every word, ordered by name: of one book, or of all the
    user's books."""
    with ctx.store.read() as tx:
        books = [require_book(tx, user, book_id)] if book_id is not None else user_books(tx, user)
        names = {book.id: book.name for book in books}
        found, total = tx.search_contacts(list(names), words, limit=limit, offset=offset)
    return ContactsPage([(item, names[item.collection_id]) for item in found], total, limit, offset)


def require_contact(tx: Transaction, book: CollectionRecord, contact_id: str) -> ItemRecord:
    try:
        check_name(contact_id)
    except ValueError:
        raise _contact_not_found(contact_id) from None
    item = tx.get_item(book.id, contact_id)
    if item is None:
        raise _contact_not_found(contact_id)
    return item


def _contact_not_found(contact_id: str) -> NotFound:
    return NotFound(f"There is no contact {quoted(contact_id)} in this address book.")


def get_contact(ctx: RunContext, user: str, book_id: str, contact_id: str) -> ItemRecord:
    with ctx.store.read() as tx:
        return require_contact(tx, require_book(tx, user, book_id), contact_id)


def card_data(text: str, uid: str) -> ItemData:
    """The store's item for `text`, with UID `uid` added when the card has none."""
    if not _HAS_UID.search(text):
        newline = "\r\n" if "\r\n" in text else "\n"
        text = _BEGIN.sub(lambda begin: f"{begin.group(0)}UID:{uid}{newline}", text, count=1)
    try:
        return item_data(text, parse_one(text))
    except InvalidVCard as error:
        message = str(error)
        at_line = _AT_LINE.search(message)
        raise Invalid(
            sentence(message), field="vcard", line=int(at_line.group(1)) if at_line else None
        ) from None


def create_contact(ctx: RunContext, user: str, book_id: str, text: str, *, via: str) -> ItemRecord:
    """A new contact from vCard text; a UID is made up when the card has none. `via` is
    the door the person came through (api, admin, cli): its version keeps it."""
    data = card_data(text, str(uuid.uuid4()))
    with ctx.store.write([f"{user}/{book_id}"], actor=Actor(user, via)) as tx:
        book = require_book(tx, user, book_id)
        existing = tx.href_of_uid(book.id, data.uid)
        if existing is not None:
            raise Conflict(
                "uid_conflict",
                f"A contact with UID {data.uid!r} is already in "
                f"this address book (id {existing!r}).",
            )
        href = free_href(data.uid, lambda name: tx.get_item(book.id, name) is not None)
        item, _ = tx.put_item(book, href, data, if_none_match=True)
    return item


def _check_if_match(item: ItemRecord, wanted: IfMatch | None, required: bool) -> None:
    if wanted is None:
        if required:
            raise IfMatchRequired()
        return
    if not wanted.allows(item.etag):
        raise ChangedElsewhere(item.etag)


def replace_contact(
    ctx: RunContext,
    user: str,
    book_id: str,
    contact_id: str,
    text: str,
    if_match: IfMatch | None,
    *,
    via: str,
) -> ItemRecord:
    """Store `text` as the contact's new version, keeping its UID, if its ETag is still one
    `if_match` allows (ChangedElsewhere if not, IfMatchRequired without one)."""
    with ctx.store.write([f"{user}/{book_id}"], actor=Actor(user, via)) as tx:
        book = require_book(tx, user, book_id)
        old = require_contact(tx, book, contact_id)
        _check_if_match(old, if_match, required=True)
        data = card_data(text, old.uid)
        if data.uid != old.uid:
            raise Conflict(
                "uid_changed",
                f"A contact's UID cannot change: this one is "
                f"{old.uid!r}, the card sent has {data.uid!r}.",
            )
        item, _ = tx.put_item(book, old.href, data, if_match=old.etag)
    return item


def remove_contact(
    ctx: RunContext,
    user: str,
    book_id: str,
    contact_id: str,
    if_match: IfMatch | None,
    *,
    via: str,
) -> ItemRecord:
    """Delete the contact (if its ETag is one `if_match` allows, when given); returns it
    (it stays in the book's trash for the history's retention)."""
    with ctx.store.write([f"{user}/{book_id}"], actor=Actor(user, via)) as tx:
        book = require_book(tx, user, book_id)
        old = require_contact(tx, book, contact_id)
        _check_if_match(old, if_match, required=False)
        tx.delete_item(book, old.href, if_match=old.etag)
    return old
