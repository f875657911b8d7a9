"""The cards of a merge as they are now: where each lives, who last edited it and when."""

from __future__ import annotations

from dataclasses import dataclass

from contacthub.duplicates.refs import CardRef
from contacthub.errors import Invalid, NotFound
from contacthub.store import CollectionRecord, ItemRecord, Transaction
from contacthub.vcard.properties import Properties
from contacthub.vcard.versions import converted

# The doors of a person's edit: a card last written through them was chosen by a person,
# and its fields win over a card a run wrote later.
PERSON_DOORS = frozenset({"carddav", "api", "admin", "cli", "merge"})


@dataclass(frozen=True)
class MemberCard:
    """One card of a merge: its book, the card, when it was last written and whether a
    person wrote it, and its properties in the merged card's vCard version."""

    ref: CardRef
    book: CollectionRecord
    item: ItemRecord
    edited_at: float
    by_person: bool
    props: Properties

    @property
    def rank(self) -> tuple[bool, float]:
        """The most recently edited card first, a person's edit before any run's."""
        return (self.by_person, self.edited_at)


def load_members(tx: Transaction, owner: str, refs: list[CardRef]) -> list[MemberCard]:
    """The cards of `refs` (two or more, all the owner's), most recently edited first.
    NotFound names a card that is not there (or is another account's)."""
    unique = list(dict.fromkeys(refs))
    if len(unique) < 2:
        raise Invalid("Choose two or more contacts to merge.", field="contacts")
    found: list[tuple[CardRef, CollectionRecord, ItemRecord]] = []
    for ref in unique:
        book = tx.get_collection(ref.book) if ref.book.split("/", 1)[0] == owner else None
        item = tx.get_item(book.id, ref.href) if book is not None else None
        if book is None or item is None:
            raise NotFound(f"There is no contact {ref.href!r} in the book {ref.book!r}.")
        found.append((ref, book, item))
    version = "4.0" if any(_is_v4(item.text) for _, _, item in found) else "3.0"
    members = []
    for ref, book, item in found:
        edited_at, by_person = _last_write(tx, book, item)
        members.append(
            MemberCard(
                ref, book, item, edited_at, by_person, Properties(converted(item.text, version))
            )
        )
    return sorted(members, key=lambda member: member.rank, reverse=True)


def _is_v4(text: str) -> bool:
    return Properties(text).version == "4.0"


def _last_write(tx: Transaction, book: CollectionRecord, item: ItemRecord) -> tuple[float, bool]:
    """When the card was last written, and whether by a person (its newest version says:
    a version keeps the card before a write, with who wrote and when)."""
    written = tx.versions_of_hrefs(book.id, [item.href])
    if not written:
        return item.modified_at, False
    newest = max(written, key=lambda version: version.seq)
    return newest.at, newest.via in PERSON_DOORS
