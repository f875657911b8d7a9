"""Address books: list with counts and where their contacts come from, create, rename,
delete into the trash of deleted books (never the default book)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from contacthub.errors import Conflict, Invalid, NotFound, quoted
from contacthub.sources.context import RunContext
from contacthub.store import DEFAULT_BOOK, Actor, CollectionRecord, Transaction, check_name

BOOK_TAG = "VADDRESSBOOK"


@dataclass(frozen=True)
class Book:
    """An address book with its number of contacts and the sources that fill it (kind and
    name, the one that made the book first; none for a book that only CardDAV clients and
    people write). Several phones may push into "From iOS"."""

    record: CollectionRecord
    contacts: int
    sources: tuple[tuple[str, str], ...] = ()

    @property
    def source(self) -> tuple[str, str] | None:
        """The source that made the book: a later one never takes its place."""
        return self.sources[0] if self.sources else None

    @property
    def source_names(self) -> list[str]:
        """The names of every source of the first one's kind (the phones of "From iOS")."""
        first = self.source
        return [name for kind, name in self.sources if first is not None and kind == first[0]]

    @property
    def id(self) -> str:
        return self.record.name

    @property
    def is_default(self) -> bool:
        return self.record.name == DEFAULT_BOOK


def user_books(tx: Transaction, user: str) -> list[CollectionRecord]:
    """The user's address books, the default book first (as CardDAV clients see them)."""
    return [book for book in tx.list_children(user) if book.tag == BOOK_TAG]


def require_book(tx: Transaction, user: str, book_id: str) -> CollectionRecord:
    """The user's address book `book_id`; NotFound for no such book, or anybody else's."""
    try:
        check_name(book_id)
    except ValueError:
        raise book_not_found(book_id) from None
    book = tx.get_collection(f"{user}/{book_id}")
    if book is None or book.tag != BOOK_TAG:
        raise book_not_found(book_id)
    return book


def book_record(ctx: RunContext, user: str, book_id: str) -> CollectionRecord:
    with ctx.store.read() as tx:
        return require_book(tx, user, book_id)


def book_not_found(book_id: str) -> NotFound:
    return NotFound(f"There is no address book {quoted(book_id)}.")


def book_named(ctx: RunContext, user: str, id_or_name: str) -> CollectionRecord:
    """The user's address book whose id, or else whose display name (in any case), is
    `id_or_name`, as a person names it on a command line; Invalid when several books have
    that name."""
    with ctx.store.read() as tx:
        books = user_books(tx, user)
    by_id = [book for book in books if book.name == id_or_name]
    wanted = id_or_name.casefold()
    found = by_id or [book for book in books if book.display_name.casefold() == wanted]
    if not found:
        raise book_not_found(id_or_name)
    if len(found) > 1:
        ids = ", ".join(quoted(book.name) for book in found)
        raise Invalid(
            f"Several address books are named {quoted(id_or_name)}; give the id of one: {ids}.",
            field="book",
        )
    return found[0]


def described(tx: Transaction, user: str, books: list[CollectionRecord]) -> list[Book]:
    counts = tx.count_people([book.id for book in books])
    sources: dict[str, list[tuple[str, str]]] = {}
    for source in tx.list_sources(owner=user):  # in the order they were made
        sources.setdefault(source.book_path, []).append((source.kind, source.name))
    return [Book(book, counts.get(book.id, 0), tuple(sources.get(book.path, ()))) for book in books]


def books_of(ctx: RunContext, user: str) -> list[Book]:
    with ctx.store.read() as tx:
        return described(tx, user, user_books(tx, user))


def book_of(ctx: RunContext, user: str, book_id: str) -> Book:
    with ctx.store.read() as tx:
        return described(tx, user, [require_book(tx, user, book_id)])[0]


def check_display_name(value: str) -> str:
    """The name of a body BookInput took, trimmed: not blank, no control characters."""
    name = value.strip()
    if not name:
        raise Invalid("Give the address book a name (display_name).", field="display_name")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise Invalid("The name may not contain control characters.", field="display_name")
    return name


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


def create_book(ctx: RunContext, user: str, display_name: str) -> Book:
    display_name = check_display_name(display_name)
    with ctx.store.write([user]) as tx:
        tx.ensure_collection(user)
        book = tx.create_collection(
            f"{user}/{_new_id(tx, user, display_name)}",
            {"tag": BOOK_TAG, "D:displayname": display_name},
        )
        return described(tx, user, [book])[0]


def rename_book(ctx: RunContext, user: str, book_id: str, display_name: str) -> Book:
    display_name = check_display_name(display_name)
    with ctx.store.write([f"{user}/{book_id}"]) as tx:
        book = require_book(tx, user, book_id)
        book = tx.set_props(book, {**book.props, "D:displayname": display_name})
        return described(tx, user, [book])[0]


def delete_book(ctx: RunContext, user: str, book_id: str, *, via: str) -> None:
    """Move the book to the trash of deleted books (services/book_trash.py restores it);
    `via` is the door asked through (api, admin)."""
    with ctx.store.write([f"{user}/{book_id}"], actor=Actor(user, via)) as tx:
        book = require_book(tx, user, book_id)
        if book.name == DEFAULT_BOOK:
            raise Conflict(
                "default_book",
                "The default address book cannot be deleted: phones save new contacts there.",
            )
        tx.delete_collection(book.path)
