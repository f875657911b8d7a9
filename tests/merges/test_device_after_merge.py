"""A phone's push into "From iOS" (sources/device.py) feeds a person who is then merged
with the card a CardDAV client keeps in Contacts; the next pushes update the merged card
in the fields the push brought and bring no copy back. Both stores."""

from __future__ import annotations

from contacthub.duplicates.merge import merge_cards
from contacthub.duplicates.refs import CardRef
from contacthub.sources.device import apply_push, device_source, receive_push
from contacthub.store import Store
from tests.merges.people import CONTACTS, OWNER, items, phone_puts, values

IOS_BOOK = f"{OWNER}/from-ios"


def pushed(name: str, phone: str) -> str:
    return (
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ios-jane\r\nFN:{name}\r\nN:Doe;Jane;;;\r\n"
        f"EMAIL:jane@example.org\r\nTEL;type=CELL:{phone}\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ios-bob\r\nFN:Bob Stone\r\nEND:VCARD\r\n"
    )


def push(store: Store, body: str) -> dict[str, int]:
    receive_push(store, OWNER, "iPhone", body.encode())
    with store.read() as tx:
        source = device_source(tx, OWNER, "iPhone")
    outcome = apply_push(store, source)
    assert outcome.run is not None
    return dict(outcome.run.counts)


def test_the_next_push_updates_the_merged_card_and_brings_no_copy(store: Store) -> None:
    assert push(store, pushed("Jane Doe", "+372 5555 0000"))["added"] == 2
    (jane,) = [item for item in items(store, IOS_BOOK) if item.uid == "ios-jane"]
    phone_puts(store)  # "Jane Doe (phone)" with 55551234 and a birthday, in Contacts
    done = merge_cards(
        store,
        OWNER,
        [CardRef(IOS_BOOK, jane.href), CardRef(CONTACTS, "phone-jane.vcf")],
        via="admin",
    )
    assert done.merged == CardRef(CONTACTS, "phone-jane.vcf")

    counts = push(store, pushed("Jane Doe-Smith", "+372 5555 9999"))
    same = push(store, pushed("Jane Doe-Smith", "+372 5555 9999"))

    assert (counts["added"], counts["updated"]) == (0, 1)
    assert (same["added"], same["updated"]) == (0, 0)
    assert [item.uid for item in items(store, IOS_BOOK)] == ["ios-bob"]
    (merged,) = items(store, CONTACTS)
    # The push's own phone changed; the phone book's number, the name and birthday chosen stay.
    assert sorted(values(merged.text, "TEL")) == ["+372 5555 9999", "55551234"]
    assert values(merged.text, "FN") == ["Jane Doe (phone)"]
    assert values(merged.text, "BDAY") == ["1990-04-01"]
