"""The combined book: the account's default book answering, for a client that sees one
book (one_book.py), with the cards of every book of the account.

Nothing is copied: each request reads the books themselves. A card keeps its own book;
its name in the combined book says which (union_names.py), so reads and writes of a name
go to that book. The sync token carries each book's own token (union_token.py), so a
sync-collection costs what changed in the books since, never a listing of them.

Each book but the default one is also a group card of the combined book
(union_groups.py), reported changed by a sync when its book moved since the token, and
deleted, with the book's cards, when its book was deleted (found in the trash of deleted
books; once purged from there, the token is refused and the client lists again).
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from itertools import chain
from typing import TYPE_CHECKING, Any

from radicale.item import Item

from contacthub.store import (
    DEFAULT_BOOK,
    CardFilter,
    CollectionRecord,
    ItemRecord,
    Store,
    StoreError,
    Transaction,
    format_token,
    parent_of,
)
from contacthub.store.book_trash import trash_folder
from contacthub.store.changes import parse_token
from contacthub.store.errors import InvalidSyncToken
from contacthub_radicale import context, filters
from contacthub_radicale.collection import Collection
from contacthub_radicale.items import to_radicale, to_store
from contacthub_radicale.one_book import shows_one_book
from contacthub_radicale.union_groups import SourceGroup, read_members
from contacthub_radicale.union_names import MARK, group_book, group_href, split_href, union_href
from contacthub_radicale.union_token import format_union_token, parse_union_token
from contacthub_radicale.window import ListingWindow

if TYPE_CHECKING:
    from contacthub_radicale.storage import Storage


def books_of_home(tx: Transaction, home: str) -> list[CollectionRecord]:
    """The account's address books, the default book first (the home's order)."""
    return [c for c in tx.list_children(home) if c.tag == "VADDRESSBOOK"]


class UnionBook(Collection):
    """The default book `default` seen with `books` (the default book first, then the
    account's other books)."""

    def __init__(self, storage_: Storage, books: list[CollectionRecord]) -> None:
        super().__init__(storage_, books[0])
        self.books = books
        self._by_uuid = {book.uuid: book for book in books}
        self._by_id = {book.id: book for book in books}

    # Each source book is a group card of the combined book (union_groups.py).

    def groups(self) -> list[SourceGroup]:
        return [self.group_of(book) for book in self.books[1:]]

    def group_of(self, book: CollectionRecord) -> SourceGroup:
        return SourceGroup(self, book, self._members)

    def _members(self, book: CollectionRecord) -> list[str]:
        with self._reading() as tx:
            return read_members(tx, book)

    def source_of(self, href: str) -> CollectionRecord | None:
        """The source book whose group card `href` names (None: no such card)."""
        book_uuid = group_book(href)
        book = self._by_uuid.get(book_uuid) if book_uuid else None
        return book if book is not None and book.id != self.record.id else None

    def item_of(self, book: CollectionRecord, record: ItemRecord) -> Item:
        item = to_radicale(self, record)
        item.href = union_href(book.uuid, record.href, default=book.id == self.record.id)
        return item

    def find(self, tx: Transaction, href: str) -> Item | None:
        """The card or group card named `href` in the combined book."""
        if group_book(href) is not None:
            source = self.source_of(href)
            return self.group_of(source) if source is not None else None
        book, own = self.book_of(href)
        found = tx.get_item(book.id, own) if book is not None else None
        if book is None or found is None or not self.shows(found):
            return None
        return self.item_of(book, found)

    def book_of(self, href: str) -> tuple[CollectionRecord | None, str]:
        """The book a combined-book name points into (None: no such book), and the name
        of the card there."""
        book_uuid, own = split_href(href, self.record.uuid)
        return self._by_uuid.get(book_uuid), own

    # Reading

    def get_multi(self, hrefs: Iterable[str]) -> Iterator[tuple[str, Item | None]]:
        wanted = list(dict.fromkeys(hrefs))
        per_book: dict[int, list[str]] = defaultdict(list)
        found: dict[str, Item] = {}
        for href in wanted:
            if group_book(href) is not None:
                if (source := self.source_of(href)) is not None:
                    found[href] = self.group_of(source)
                continue
            book, own = self.book_of(href)
            if book is not None:
                per_book[book.id].append(own)
        budget = context.answer_budget()
        with self._reading() as tx:
            if budget is not None:
                sizes = [s for i, o in per_book.items() for s in tx.item_sizes(i, o).values()]
                budget.check_multiget(sizes)
            for book in self.books:
                for record in tx.get_items(book.id, per_book.get(book.id, [])).values():
                    if self.shows(record):
                        item = self.item_of(book, record)
                        found[item.href or ""] = item
        for href in wanted:
            yield href, found.get(href)

    def get_all(self) -> Iterator[Item]:
        with self._reading() as tx:
            for book in self.books:
                if book.id != self.record.id:
                    yield self.group_of(book)
                for record in tx.iter_items(book.id):
                    if self.shows(record):
                        yield self.item_of(book, record)

    def get_window(self, window: ListingWindow) -> Iterator[Item]:
        """One window of a listing planned by union_windows.py: some cards of one book,
        and the group cards it lists."""
        for book_id in window.groups:
            if (source := self._by_id.get(book_id)) is not None:
                yield self.group_of(source)
        book = self._by_id.get(window.book)
        if book is None or not window.last:
            return
        with self._reading() as tx:
            records = tx.items_between(book.id, window.after, window.last)
        for record in records:
            if self.shows(record):
                yield self.item_of(book, record)

    def get_filtered(self, filters_: Iterable[Any]) -> Iterator[tuple[Item, bool]]:
        """The matching cards of every book: found by each book's index where the store
        can plan the filter, else tested by Radicale's own filters."""
        elements = list(filters_)
        budget = context.answer_budget()
        card_filter = filters.plan(elements)
        matches = (
            (item for item in self.get_all() if self._test(item, elements))
            if card_filter is None
            else chain(
                (group for group in self.groups() if self._test(group, elements)),
                self._matched_in_books(card_filter, budget.members + 1 if budget else None),
            )
        )
        for item in matches:
            if budget is not None and not budget.admit(len(item.serialize())):
                return
            yield item, True

    def _matched_in_books(self, card_filter: CardFilter, limit: int | None) -> Iterator[Item]:
        with self._reading() as tx:
            for book in self.books:
                for record in tx.match_items(book.id, card_filter, limit=limit):
                    if self.shows(record):
                        yield self.item_of(book, record)

    def has_uid(self, uid: str) -> bool:
        # A new card goes to the default book: only a clash there refuses it.
        with self._reading() as tx:
            return tx.href_of_uid(self.record.id, uid) is not None

    def serialize(self, vcf_to_ics: bool = False, ShareActions: dict[str, Any] = {}) -> str:  # noqa: B006, N803 - Radicale's signature
        """Every card of every book; during a PROPFIND, nothing (the store counts the
        books' bytes: Collection.serialize)."""
        lengths = context.books_to_measure()
        if lengths is not None and not vcf_to_ics:
            lengths.books[self.path] = self.record.id
            lengths.combined[self.path] = [book.id for book in self.books]
            lengths.extra[self.path] = sum(len(g.serialize().encode()) for g in self.groups())
            return ""
        return "".join(item.serialize() for item in self.get_all())

    # Writing: a name goes to its own book, a new name to the default book.

    def upload(self, href: str, item: Item) -> tuple[Item, Item | None]:
        refuse_group_write(href)
        book, own = self.book_of(href)
        if book is None:
            raise ValueError(f"no book of this account holds {href!r}")
        tx = context.transaction()
        try:
            with tx.savepoint():
                new, old = tx.put_item(book, own, to_store(href, item))
        except StoreError as error:
            raise context.refused_by_store(error) from error
        return self.item_of(book, new), self.item_of(book, old) if old else None

    def delete(self, href: str | None = None) -> None:
        if href is None:
            raise ValueError("the combined book is not deleted as a whole")
        refuse_group_write(href)
        book, own = self.book_of(href)
        if book is None:
            raise ValueError(f"no book of this account holds {href!r}")
        tx = context.transaction()
        try:
            with tx.savepoint():
                tx.delete_item(book, own)
        except StoreError as error:
            raise context.refused_by_store(error) from error
        if tx.actor is not None:
            actor = tx.actor
            context.note_deletion(context.Deletion(actor.account, book.path, actor.agent))

    def set_meta(self, props: Mapping[str, str]) -> None:
        raise ValueError("the properties of the combined book are those of the default book")

    # Changes

    @property
    def etag(self) -> str:
        return union_etag(self.books)

    def sync(self, old_token: str = "") -> tuple[str, Iterable[str]]:
        old = self._old_tokens(old_token)
        budget = context.answer_budget()
        if budget is None:  # the sync-token property of a PROPFIND
            with self._reading() as tx:
                gone = list(self._gone_names(tx, old))
            return self._current_token(), chain(gone, self._changed_all(old))
        members, text_bytes = budget.members, budget.card_bytes
        tokens: dict[str, str] = {}
        hrefs: list[str] = []
        complete = True
        with self._reading() as tx:
            # A deleted book's cards and group card, all at once: 404s hold no card text.
            hrefs.extend(self._gone_names(tx, old))
            members -= len(hrefs)
            for book in self.books:
                if not complete or members <= 0 or text_bytes <= 0:  # later books wait
                    tokens[book.uuid] = old.get(book.uuid, "")
                    complete = False
                    continue
                token = old.get(book.uuid, "")
                if token and is_current(book, token):  # nothing to ask the book's log
                    tokens[book.uuid] = token
                    continue
                source = book.id != self.record.id
                room = members - 1 if source and members > 1 else members  # its group card
                page = tx.changes_page(book, token, members=room, text_bytes=text_bytes)
                names = [self._name(book, h) for h in page.hrefs]
                if source and page.complete:  # the book moved: its group card may have
                    names.append(group_href(book.uuid))
                hrefs.extend(names)
                members -= len(names)
                text_bytes -= sum(tx.item_sizes(book.id, page.hrefs).values())
                tokens[book.uuid] = page.token
                complete = page.complete
        budget.truncated = budget.truncated or not complete
        return format_union_token(self.record.incarnation, tokens), hrefs

    def _name(self, book: CollectionRecord, href: str) -> str:
        return union_href(book.uuid, href, default=book.id == self.record.id)

    def _old_tokens(self, old_token: str) -> dict[str, str]:
        """Each book's token in `old_token`."""
        if not old_token:
            return {}
        return parse_union_token(old_token, self.record.incarnation)

    def _gone_names(self, tx: Transaction, old: dict[str, str]) -> Iterator[str]:
        """The names of the cards and group cards of books in `old` deleted since: those
        the book held when deleted, and those deleted after the token before it.

        Raises InvalidSyncToken for a book no longer in the trash of deleted books."""
        gone = [book_uuid for book_uuid in old if book_uuid not in self._by_uuid]
        if not gone:
            return
        owner = parent_of(self.record.path)
        trashed = {book.uuid: book for book in tx.list_children(trash_folder(owner))}
        for book_uuid in gone:
            book = trashed.get(book_uuid)
            if book is None:
                raise InvalidSyncToken("a book of the combined book was deleted since the token")
            token = old[book_uuid]
            if not token:  # the client had none of its cards yet
                continue
            held = set(tx.iter_hrefs(book.id)) | set(tx.changed_since(book, token))
            yield group_href(book.uuid)
            for href in sorted(held):
                yield union_href(book.uuid, href, default=False)

    def _current_token(self) -> str:
        tokens = {book.uuid: format_token(book, book.sync_seq) for book in self.books}
        return format_union_token(self.record.incarnation, tokens)

    def _changed_all(self, old: dict[str, str]) -> Iterator[str]:
        with self._reading() as tx:
            for book in self.books:
                token = old.get(book.uuid)
                if token and is_current(book, token):
                    continue
                changed = tx.changed_since(book, token) if token else tx.iter_hrefs(book.id)
                for href in list(changed):
                    yield self._name(book, href)
                if book.id != self.record.id:
                    yield group_href(book.uuid)


def refuse_group_write(href: str) -> None:
    """A source book's group card is made from its book, not written (the guard answers a
    client's write 403 before it comes here)."""
    if group_book(href) is not None:
        raise ValueError(f"{href!r} is the group of a source book: it cannot be written")


def union_etag(books: list[CollectionRecord]) -> str:
    """The combined book's ETag: the position of each of its books."""
    positions = "-".join(f"{book.id}.{book.sync_seq}" for book in books)
    return f'"{books[0].incarnation}-u{positions}"'


def is_current(book: CollectionRecord, token: str) -> bool:
    """Whether `token` stands at the book's latest position (every write advances it), so
    that its log holds nothing after it."""
    try:
        book_uuid, position = parse_token(token)
    except InvalidSyncToken:
        return False  # the book's log says why
    return (
        book_uuid == book.incarnation
        and position.href is None
        and position.seq == position.seen == book.sync_seq
    )


def is_default_book(path: str) -> bool:
    home, _, name = path.rpartition("/")
    return bool(home) and "/" not in home and name == DEFAULT_BOOK


def union_at(storage_: Storage, tx: Transaction, record: CollectionRecord) -> UnionBook | None:
    """The combined book, when the request is a one-book client's and `record` is an
    account's default book."""
    if not shows_one_book() or not is_default_book(record.path):
        return None
    return UnionBook(storage_, books_with(tx, record))


def books_with(tx: Transaction, default: CollectionRecord) -> list[CollectionRecord]:
    """The books of the combined book at `default`: it first, then the account's others."""
    books = books_of_home(tx, parent_of(default.path))
    return [default, *(book for book in books if book.id != default.id)]


def combined_books(tx: Transaction, path: str) -> list[CollectionRecord]:
    """The books of the combined book at `path`, for a one-book client ([]: none there)."""
    if not shows_one_book() or not is_default_book(path):
        return []
    record = tx.get_collection(path)
    if record is None or record.tag != "VADDRESSBOOK":
        return []
    return books_with(tx, record)


def home_children(tx: Transaction, home: str) -> list[CollectionRecord]:
    """What the home lists: to a one-book client, of its address books the default only."""
    children = tx.list_children(home)
    if not shows_one_book() or "/" in home:
        return children
    return [c for c in children if c.tag != "VADDRESSBOOK" or is_default_book(c.path)]


def books_to_lock(store: Store, paths: list[str]) -> list[str]:
    """The books a one-book client's write of `paths` may reach through the combined book."""
    if not shows_one_book():
        return []
    named = [(parent_of(p), posixpath.basename(p)) for p in paths if is_default_book(parent_of(p))]
    if not named or not any(name.startswith(MARK) for _, name in named):
        return []
    with store.read() as tx:
        books = {
            book.uuid: book.path
            for default, _ in named
            for book in books_of_home(tx, parent_of(default))
        }
    return [
        books[book_uuid]
        for default, name in named
        if (book_uuid := split_href(name, "")[0]) in books
    ]
