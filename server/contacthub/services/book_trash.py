"""The trash of deleted address books: list an account's deleted books, restore one.

What the API, the admin page and the CLI call. Deleting a book (a CardDAV client's DELETE,
the API's, the admin page's) keeps it in the store's trash until the retention ends
(store/book_trash.py); restoring brings it back with its properties and cards at the path
it had, or beside it if another book took that path, as a new incarnation that clients
sync afresh. A deleted book of another account is NotFound, as one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from contacthub.errors import Invalid, NotFound, quoted
from contacthub.services.history import Who, _Shown
from contacthub.sources.context import RunContext
from contacthub.store import Actor, DeletedBook, Transaction

MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class DeletedBookEntry(_Shown):
    """A deleted book: `id` (what restore takes), its name, the id and path it had, when
    and by whom it was deleted, how many contacts it holds, and when it will be purged."""

    id: int
    display_name: str
    book: str
    path: str
    deleted_at: float
    deleted_by: Who
    contacts: int
    purge_at: float


@dataclass(frozen=True)
class RestoredBook(_Shown):
    """A book brought back: its id now (`book`), whether that is another path than it had
    (a book took its path meanwhile), its contacts, and a sentence saying so."""

    book: str
    display_name: str
    moved: bool
    contacts: int
    message: str


def _retained_since(ctx: RunContext) -> float:
    return ctx.store.clock() - ctx.store.history_retention


def _entries(ctx: RunContext, tx: Transaction, found: list[DeletedBook]) -> list[DeletedBookEntry]:
    counts = tx.count_people([book.id for book in found])
    return [
        DeletedBookEntry(
            id=book.id,
            display_name=book.display_name,
            book=book.name,
            path=book.path,
            deleted_at=book.deleted_at,
            deleted_by=Who(book.account, book.via, book.agent),
            contacts=counts.get(book.id, 0),
            purge_at=book.deleted_at + ctx.store.history_retention,
        )
        for book in found
    ]


def deleted_books(ctx: RunContext, user: str) -> list[DeletedBookEntry]:
    """The user's books deleted within the retention, newest first."""
    with ctx.store.read() as tx:
        return _entries(ctx, tx, tx.deleted_books(user, _retained_since(ctx)))


def _not_found(book_id: int | str) -> NotFound:
    return NotFound(f"There is no deleted address book {quoted(str(book_id))}.")


def _require(tx: Transaction, ctx: RunContext, user: str, book_id: int) -> DeletedBook:
    found = None
    if 0 < book_id <= MAX_ID:
        found = tx.get_deleted_book(user, book_id, _retained_since(ctx))
    if found is None:
        raise _not_found(book_id)
    return found


def deleted_book_named(ctx: RunContext, user: str, id_or_name: str) -> DeletedBookEntry:
    """The user's deleted book whose id, or else whose display name or old id (in any
    case), is `id_or_name`, as a person names it on a command line; Invalid when several
    deleted books have that name."""
    found = deleted_books(ctx, user)
    by_id = [book for book in found if str(book.id) == id_or_name]
    wanted = id_or_name.casefold()
    named = by_id or [
        book for book in found if wanted in (book.display_name.casefold(), book.book.casefold())
    ]
    if not named:
        raise _not_found(id_or_name)
    if len(named) > 1:
        ids = ", ".join(str(book.id) for book in named)
        raise Invalid(
            f"Several deleted address books are named {quoted(id_or_name)}; give the id of "
            f"one: {ids}.",
            field="book",
        )
    return named[0]


def restore_deleted_book(ctx: RunContext, user: str, book_id: int) -> RestoredBook:
    """Bring the deleted book back with its properties and cards."""
    with ctx.store.read() as tx:
        deleted = _require(tx, ctx, user, book_id)
    lock = sorted({deleted.trash_path, user})
    with ctx.store.write(lock, actor=Actor(user, "restore")) as tx:
        deleted = _require(tx, ctx, user, book_id)
        book = tx.restore_deleted_book(deleted)
        contacts = tx.count_people([book.id]).get(book.id, 0)
    moved = book.path != deleted.path
    said = f"{quoted(deleted.display_name)} is back with {contacts} contact" + (
        "s" if contacts != 1 else ""
    )
    if moved:
        said += (
            f", as {quoted(book.name)}: another address book took {quoted(deleted.name)} "
            "since it was deleted"
        )
    return RestoredBook(book.name, book.display_name, moved, contacts, said + ".")
