"""What a merge leaves around the merged card: a group card that listed a removed card
lists the merged one (the groups bridge carries the union of the categories), and the
removed cards are not in their books' trash (undoing the merge is the way back). Both
stores."""

from __future__ import annotations

from contacthub.duplicates.merge import merge_cards, undo_merge
from contacthub.duplicates.refs import CardRef
from contacthub.store import Store
from contacthub.store.group_cards import facts_of
from contacthub.vcard.parse import item_data
from tests.merges.people import CONTACTS, CSV_BOOK, OWNER, PHONE, items

FAMILY = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.4//EN\r\n"
    "UID:group-family\r\nN:Family;;;;\r\nFN:Family\r\nX-ADDRESSBOOKSERVER-KIND:group\r\n"
    "X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:jane-old\r\nEND:VCARD\r\n"
)


def card(uid: str, name: str, *lines: str) -> str:
    return "\r\n".join(
        ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{name}", *lines, "END:VCARD", ""]
    )


def phone_puts(store: Store, book: str, href: str, text: str) -> None:
    with store.write([book], actor=PHONE) as tx:
        tx.put_item(tx.require_collection(book), href, item_data(text))


def members(store: Store) -> set[str]:
    with store.read() as tx:
        book = tx.require_collection(CONTACTS)
        group = tx.get_item(book.id, "family.vcf")
    assert group is not None
    return set(facts_of(group.text).members)


def trash(store: Store, book: str) -> list[str]:
    with store.read() as tx:
        return [v.uid for v in tx.deleted_since(tx.require_collection(book).id, 0)]


def test_the_group_lists_the_merged_card_and_the_trash_does_not_list_the_removed_ones(
    store: Store,
) -> None:
    phone_puts(store, CONTACTS, "jane-old.vcf", card("jane-old", "Jane Doe", "EMAIL:j@x.org"))
    phone_puts(store, CONTACTS, "family.vcf", FAMILY)  # tags jane-old with Family
    phone_puts(store, CSV_BOOK, "jane-work.vcf", card("jane-work", "J. Doe", "ORG:ACME"))
    phone_puts(store, CONTACTS, "jane.vcf", card("jane", "Jane", "TEL:+372 5555 1234"))
    assert members(store) == {"jane-old"}

    done = merge_cards(
        store,
        OWNER,
        [
            CardRef(CONTACTS, "jane-old.vcf"),
            CardRef(CSV_BOOK, "jane-work.vcf"),
            CardRef(CONTACTS, "jane.vcf"),
        ],
        via="admin",
    )

    assert done.merged == CardRef(CONTACTS, "jane.vcf")  # the card edited last, in Contacts
    assert members(store) == {"jane"}
    assert trash(store, CONTACTS) == [] and trash(store, CSV_BOOK) == []
    assert sorted(item.uid for item in items(store, CONTACTS)) == ["group-family", "jane"]

    undo_merge(store, OWNER, done.merge.id, via="admin")
    assert members(store) == {"jane-old"}
    # A card a person deletes after the undo is in the trash as any.
    with store.write([CSV_BOOK], actor=PHONE) as tx:
        tx.delete_item(tx.require_collection(CSV_BOOK), "jane-work.vcf")
    assert trash(store, CSV_BOOK) == ["jane-work"]
