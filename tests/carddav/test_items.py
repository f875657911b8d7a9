"""Items handed to Radicale carry exactly what Radicale's own Item would."""

from __future__ import annotations

from radicale.item import Item

from contacthub.store import CollectionRecord, ItemRecord
from contacthub_radicale.collection import Collection
from contacthub_radicale.items import StoredItem

CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nFN:Ann\r\nEND:VCARD\r\n"


def test_stored_item_sets_the_fields_radicale_item_sets() -> None:
    book = CollectionRecord(
        id=1,
        path="ann/contacts",
        uuid="x",
        tag="VADDRESSBOOK",
        props={},
        sync_seq=0,
        history_floor=0,
        created_at=0.0,
        modified_at=0.0,
    )
    record = ItemRecord(
        id=1,
        collection_id=1,
        href="u1.vcf",
        uid="u1",
        etag='"e"',
        text=CARD,
        name="VCARD",
        component_name="",
        time_start=0,
        time_end=1,
        modified_at=0.0,
        display_name="Ann",
    )
    collection = Collection(storage_=None, record=book)  # type: ignore[arg-type]
    ours = StoredItem(collection, record)
    theirs = Item(
        collection=collection,
        href="u1.vcf",
        text=CARD,
        etag='"e"',
        uid="u1",
        name="VCARD",
        component_name="",
        time_range=(0, 1),
        last_modified=ours.last_modified,
    )
    assert vars(ours).keys() == vars(theirs).keys()
    assert {k: v for k, v in vars(ours).items() if k != "collection"} == {
        k: v for k, v in vars(theirs).items() if k != "collection"
    }
    assert ours.serialize() == CARD and ours.uid == "u1" and ours.vobject_item.fn.value == "Ann"
