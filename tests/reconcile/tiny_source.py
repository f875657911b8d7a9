"""A tiny source for the reconciler's tests, and ways to look at the book it fills.

Its records map a key to a name. The card a record becomes says whose it is in
its NOTE ("tiny/a": source "tiny", key "a"), so a test can tell which cards a
source brought without asking the links it is checking.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from contacthub.reconcile import Incoming, Policy, Problem, RunOutcome, run_source
from contacthub.store import ItemData, ItemRecord, Link, SourceRecord, Store
from contacthub.vcard.parse import item_data

OWNER = "alice"
BOOK = "alice/people"
BOOK_PROPS = {"tag": "VADDRESSBOOK", "D:displayname": "People"}
CLIENT = "client"  # the origin of cards a CardDAV client writes

Read = Callable[[], tuple[Iterable[Incoming], list[Problem]]]


def create_source(store: Store, name: str = "tiny", book: str = BOOK) -> SourceRecord:
    with store.write() as tx:
        tx.ensure_collection(OWNER)
        tx.ensure_collection(book, BOOK_PROPS)
        return tx.create_source(OWNER, "test", name, book, {})


def card_text(uid: str, name: str, origin: str, key: str) -> str:
    lines = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{name}", f"N:{name};;;;"]
    return "\r\n".join([*lines, f"NOTE:{origin}/{key}", "END:VCARD", ""])


def record(
    key: str,
    name: str,
    *,
    origin: str = "tiny",
    uid: str = "",
    line: int | None = None,
    built: list[str] | None = None,
) -> Incoming:
    """The record `key` naming `name`; `built` collects the keys whose card was built."""

    def make_card(card_uid: str) -> ItemData:
        if built is not None:
            built.append(key)
        return item_data(card_text(card_uid, name, origin, key))

    return Incoming(
        key=key,
        uid=uid,
        make_card=make_card,
        record_hash=hashlib.sha256(f"{key}\x1f{name}".encode()).hexdigest(),
        line=line,
        summary=name,
    )


def records(
    named: Mapping[str, str], *, origin: str = "tiny", built: list[str] | None = None
) -> list[Incoming]:
    return [record(key, name, origin=origin, built=built) for key, name in named.items()]


def reading(named: Mapping[str, str], *, origin: str = "tiny") -> Read:
    return lambda: (records(named, origin=origin), [])


def run(
    store: Store,
    source: SourceRecord,
    named: Mapping[str, str],
    policy: Policy | None = None,
) -> RunOutcome:
    """Run `source` by hand with the records `named`."""
    return run_source(store, source, reading(named, origin=source.name), policy or Policy())


# -- the book ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    href: str
    uid: str
    etag: str
    name: str
    origin: str
    key: str


def _card(item: ItemRecord) -> Card:
    fields = dict(line.split(":", 1) for line in item.text.splitlines() if ":" in line)
    origin, _, key = fields["NOTE"].partition("/")
    return Card(item.href, item.uid, item.etag, fields["FN"], origin, key)


def cards(store: Store, book: str = BOOK) -> list[Card]:
    with store.read() as tx:
        return [_card(item) for item in tx.iter_items(tx.require_collection(book).id)]


def names_from(store: Store, origin: str, book: str = BOOK) -> dict[str, str]:
    """Key -> name of the cards that `origin` brought to the book."""
    return {card.key: card.name for card in cards(store, book) if card.origin == origin}


def card_of(store: Store, origin: str, key: str, book: str = BOOK) -> Card:
    (found,) = [card for card in cards(store, book) if (card.origin, card.key) == (origin, key)]
    return found


def links(store: Store, source: SourceRecord) -> dict[str, Link]:
    with store.read() as tx:
        return tx.links_of(source.id)


@dataclass(frozen=True)
class Snapshot:
    """Everything a run may change: the book's cards and change log, and the links."""

    etags: dict[str, str]  # href -> etag
    sync_seq: int
    links: dict[str, Link]


def snapshot(store: Store, source: SourceRecord) -> Snapshot:
    with store.read() as tx:
        book = tx.require_collection(source.book_path)
        etags = {item.href: item.etag for item in tx.iter_items(book.id)}
        return Snapshot(etags, book.sync_seq, tx.links_of(source.id))


# -- what a CardDAV client does ------------------------------------------------------------


def client_puts(store: Store, uid: str, name: str, *, href: str = "", book: str = BOOK) -> Card:
    with store.write() as tx:
        collection = tx.require_collection(book)
        text = card_text(uid, name, CLIENT, uid)
        new, _ = tx.put_item(collection, href or f"{uid}.vcf", item_data(text))
    return _card(new)


def client_deletes(store: Store, href: str, *, book: str = BOOK) -> None:
    with store.write() as tx:
        tx.delete_item(tx.require_collection(book), href)
