"""The matching keys of an account's cards, kept up to date from the change log.

Each book's keys were read at a position of its change log (store/duplicates.py keeps it);
a refresh reads, per book, only the cards changed since (O(changes)), and a whole book only
the first time, after it was restored from the trash (a new incarnation), when the
account's phone region changed, or when the log no longer reaches back to the position
(deletions older than the history's retention are forgotten). A book deleted into the
trash loses its keys. Nothing of this is in a card's write path: a find pays for what
changed since the last one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from contacthub.duplicates.normalize import email_key, name_key, phone_key
from contacthub.store import (
    DEFAULT_BOOK_PROPS,
    CardFacts,
    CardKey,
    CollectionRecord,
    IndexedBook,
    IndexedCard,
    InvalidSyncToken,
    Store,
    Transaction,
    format_token,
)

BOOK_TAG = DEFAULT_BOOK_PROPS["tag"]
FreshHolder = tuple[int, str, str]  # book id, href, the card's normalised name
# A longer value is no key: no person's address or name is that long, and the index's
# entries stay small.
MAX_KEY = 255


@dataclass
class FreshKeys:
    """Every key and card of the account's books, as a refresh that read every book whole
    wrote them: a first find groups them without reading them back (the keys' write and
    their read, and the cards' second read, were a third of its time). They are the
    store's only while its books' positions are still `books`."""

    books: dict[int, IndexedBook] = field(default_factory=dict)
    keys: dict[int, list[CardKey]] = field(default_factory=dict)  # by book id
    facts: list[CardFacts] = field(default_factory=list)

    def holders(self) -> dict[tuple[str, str], list[FreshHolder]]:
        """Every key's holders: what the store's `shared_keys` reads, by key (the grouping
        keeps those 2 to MAX_HOLDERS cards hold)."""
        holders: dict[tuple[str, str], list[FreshHolder]] = defaultdict(list)
        for book_id, keys in self.keys.items():
            for href, kind, key, name in keys:
                holders[(kind, key)].append((book_id, href, name))
        return holders


@dataclass
class Refresh:
    """What a refresh read: cards per book path, and the books it read whole."""

    read: dict[str, int] = field(default_factory=dict)
    whole: list[str] = field(default_factory=list)
    forgotten: int = 0  # books gone into the trash
    fresh: FreshKeys | None = None  # when it read every book whole, what it wrote

    @property
    def cards_read(self) -> int:
        return sum(self.read.values())


@dataclass(frozen=True)
class _BookRead:
    book: CollectionRecord
    read_from: IndexedBook | None
    read_at: IndexedBook
    hrefs: list[str] | None  # None: the whole book
    keys: list[CardKey]
    cards: list[IndexedCard]


def account_books(tx: Transaction, owner: str) -> list[CollectionRecord]:
    """The account's address books (not those in the trash of deleted books)."""
    return [book for book in tx.list_children(owner) if book.tag == BOOK_TAG]


def refresh_index(store: Store, owner: str, region: str | None) -> Refresh:
    """Bring the keys of the account's books up to date; each book in a transaction of its
    own (a write holds SQLite's lock only as long as its rows take to write)."""
    done = Refresh()
    with store.read() as tx:
        books = account_books(tx, owner)
        indexed = tx.indexed_books(owner)
    gone = set(indexed) - {book.id for book in books}
    if gone:
        with store.write([owner]) as tx:
            tx.forget_duplicate_keys(owner, gone)
        done.forgotten = len(gone)
    fresh: FreshKeys | None = FreshKeys() if books else None
    for book in books:
        read = _read_book(store, book.path, indexed.get(book.id), region or "")
        if read is None:
            fresh = None
            continue
        with store.write([owner]) as tx:
            written = tx.replace_duplicate_keys(
                owner, read.read_from, read.read_at, read.hrefs, read.keys
            )
        done.read[read.book.path] = len(read.cards)
        if read.hrefs is None:
            done.whole.append(read.book.path)
        if fresh is not None and written and read.hrefs is None:
            book_id = read.read_at.collection_id
            fresh.books[book_id] = read.read_at
            fresh.keys[book_id] = read.keys
            fresh.facts.extend((book_id, c.href, c.uid, c.display_name) for c in read.cards)
        else:
            fresh = None
    done.fresh = fresh
    if done.whole:
        with store.write([owner]) as tx:
            tx.count_duplicate_keys()
    return done


def _read_book(
    store: Store, path: str, read_from: IndexedBook | None, region: str
) -> _BookRead | None:
    """The keys of what changed in the book since `read_from`; None when nothing did."""
    with store.read() as tx:
        book = tx.get_collection(path)
        if book is None:
            return None
        read_at = IndexedBook(book.id, book.uuid, region, book.sync_seq)
        if read_from == read_at:
            return None
        hrefs = _changed(tx, book, read_from, region)
        cards = list(tx.indexed_cards(book.id, hrefs))
    keys = [key for card in cards for key in keys_of(card, region or None)]
    return _BookRead(book, read_from, read_at, hrefs, keys, cards)


def _changed(
    tx: Transaction, book: CollectionRecord, read_from: IndexedBook | None, region: str
) -> list[str] | None:
    """The hrefs changed since the keys were read; None: read the whole book."""
    if read_from is None or read_from.uuid != book.uuid or read_from.region != region:
        return None
    try:
        return list(tx.changed_since(book, format_token(book, read_from.position)))
    except InvalidSyncToken:
        return None


def keys_of(card: IndexedCard, region: str | None) -> list[CardKey]:
    """A card's matching keys: its emails and phones, each once, with its name."""
    found: dict[tuple[str, str], None] = {}
    for value in _values(card.emails):
        email = email_key(value)
        if email:
            found[("email", email)] = None
    for value in _values(card.phones):
        phone = phone_key(value, region)
        if phone:
            found[("tel", phone)] = None
    if not found:
        return []
    name = name_key(card.display_name)
    if len(name) > MAX_KEY:
        name = ""
    return [(card.href, kind, key, name) for kind, key in found if len(key) <= MAX_KEY]


def _values(framed: str) -> Iterable[str]:
    return (value for value in framed.split("\n") if value)
