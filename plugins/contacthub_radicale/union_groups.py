"""Each source book as a group of the combined book (README: "One book for the Mac").

Every book of the account but the default one is shown to a one-book client as an Apple
group card: FN the book's display name ("From CSV (staff.csv)"), one
`X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:<UID>` per contact of the book (its own group cards
left out), UID `contacthub-book-<book uuid>`, named `~<book uuid>.vcf`
(union_names.py). Nothing is stored: the card is made when its text is read.

Its ETag is the book's position (`sync_seq`, which every write to the book and every
change of its properties moves), so a listing of ETags or a sync-collection reads no
member; only a GET, a multiget or a query that tests it reads the book's UIDs. The card
is not written through the combined book (carddav/guard.py refuses with 403): its
members are the book's contacts, changed where the book is.
"""

from __future__ import annotations

from collections.abc import Callable

from radicale import storage
from radicale.item import Item

from contacthub.store import CollectionRecord, Transaction
from contacthub.store.group_cards import new_group_card
from contacthub.vcard.versions import V3, converted, representation_etag
from contacthub_radicale.items import http_date
from contacthub_radicale.union_names import group_href
from contacthub_radicale.vcard_version import served_version

UID_PREFIX = "contacthub-book-"

Members = Callable[[CollectionRecord], list[str]]


def group_uid(book: CollectionRecord) -> str:
    return f"{UID_PREFIX}{book.uuid}"


def group_name(book: CollectionRecord) -> str:
    return str(book.props.get("D:displayname") or book.path.rsplit("/", 1)[-1])


def group_etag(book: CollectionRecord) -> str:
    """The stored-form (3.0) ETag of the book's group card: the book's position."""
    return f'"{book.incarnation}-g{book.sync_seq}"'


def group_text(book: CollectionRecord, members: list[str]) -> str:
    return new_group_card(group_uid(book), group_name(book), members)


def read_members(tx: Transaction, book: CollectionRecord) -> list[str]:
    return tx.people_uids(book.id)


class SourceGroup(Item):
    """The group card of `book`, its text made (from `members`) when first read, in the
    vCard version the request asks for."""

    def __init__(  # noqa: D107
        self, collection: storage.BaseCollection, book: CollectionRecord, members: Members
    ) -> None:
        version = served_version() or V3
        self._collection_path = collection.path
        self.collection = collection
        self.href = group_href(book.uuid)
        self.last_modified = http_date(book.modified_at)
        self._book = book
        self._members = members
        self._version = version
        self._text = None
        self._vobject_item = None
        self._etag = representation_etag(group_etag(book), V3, version)
        self._uid = group_uid(book)
        self._name = "VCARD"
        self._component_name = ""
        self._time_range = (0, 0)

    @property
    def book(self) -> CollectionRecord:
        return self._book

    def serialize(self) -> str:
        if self._text is None:
            text = group_text(self._book, self._members(self._book))
            self._text = text if self._version == V3 else converted(text, self._version)
        return self._text

    @property
    def vobject_item(self):  # type: ignore[no-untyped-def]  # untyped in Radicale
        self.serialize()
        return super().vobject_item
