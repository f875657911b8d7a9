"""What the history's tests do to a book: a phone, the API and the admin page write cards,
each as itself; what the book holds, and how it held it at a time."""

from __future__ import annotations

from contacthub.store import Actor, Store, format_token
from contacthub.vcard.parse import item_data
from tests.reconcile.tiny_source import BOOK, card_text

PHONE = Actor("alice", "carddav", "DAVx5/4.4.2-ose (2024/05/01; dav4jvm; okhttp/4.12.0)")
API = Actor("alice", "api")
ADMIN = Actor("alice", "admin")


class Clock:
    """The store's clock, turned by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def turn(self, seconds: float = 10.0) -> float:
        """Move on; returns a moment between the old time and the new."""
        between = self.now + seconds / 2
        self.now += seconds
        return between


def text(uid: str, name: str) -> str:
    return card_text(uid, name, "client", uid)


def put(
    store: Store, uid: str, name: str, *, by: Actor = PHONE, href: str = "", book: str = BOOK
) -> None:
    with store.write([book], actor=by) as tx:
        tx.put_item(tx.require_collection(book), href or f"{uid}.vcf", item_data(text(uid, name)))


def delete(store: Store, href: str, *, by: Actor = PHONE, book: str = BOOK) -> None:
    with store.write([book], actor=by) as tx:
        tx.delete_item(tx.require_collection(book), href)


def held(store: Store, book: str = BOOK) -> dict[str, str]:
    """href -> text of every card of the book."""
    with store.read() as tx:
        return {item.href: item.text for item in tx.iter_items(tx.require_collection(book).id)}


def token(store: Store, book: str = BOOK) -> str:
    with store.read() as tx:
        collection = tx.require_collection(book)
        return format_token(collection, collection.sync_seq)


def changed_since(store: Store, since: str, book: str = BOOK) -> set[str]:
    with store.read() as tx:
        return set(tx.changed_since(tx.require_collection(book), since))
