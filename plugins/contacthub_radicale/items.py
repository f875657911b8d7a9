"""Between Radicale's items and the store's records."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from radicale.item import Item

from contacthub.store import ContactIndex, ItemData, ItemRecord
from contacthub.vcard.parse import InvalidVCard, index_of_text, parse_one
from contacthub.vcard.versions import representation_etag, version_of
from contacthub_radicale import context
from contacthub_radicale.conversions import CONVERSIONS
from contacthub_radicale.vcard_version import served_version

if TYPE_CHECKING:
    from contacthub_radicale.collection import Collection


def http_date(timestamp: float) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(timestamp))


class StoredItem(Item):
    """An item read from the store: Radicale gets its text, etag and what
    filters need without parsing anything.

    Item.__init__ re-sanitizes the collection path of every item, a tenth of
    a 10,000-card PROPFIND; the store's paths are sane already, so the fields
    are set directly. tests/carddav/test_items.py checks that they are the
    same fields Item.__init__ sets, so a Radicale upgrade cannot slip past.
    """

    def __init__(self, collection: Collection, record: ItemRecord) -> None:  # noqa: D107
        self._collection_path = collection.path
        self.collection = collection
        self.href = record.href
        self.last_modified = http_date(record.modified_at)
        self._text = record.text
        self._vobject_item = None
        self._etag = record.etag
        self._uid = record.uid
        self._name = record.name
        self._component_name = record.component_name
        self._time_range = (record.time_start, record.time_end)


class ConvertedItem(StoredItem):
    """A stored card in the vCard version the request asks for: its ETag names the
    version (`representation_etag`), its text is converted when first read, so a
    listing of ETags converts nothing."""

    def __init__(self, collection: Collection, record: ItemRecord, version: str) -> None:
        super().__init__(collection, record)
        stored = version_of(record.text)
        self._stored_etag = record.etag
        self._etag = representation_etag(record.etag, stored, version)
        self._version = version if stored != version else None

    def serialize(self) -> str:
        if self._version is not None:
            assert self._text is not None
            text = CONVERSIONS.converted(self._stored_etag, self._text, self._version)
            self._text, self._version = text, None
        return super().serialize()

    @property
    def vobject_item(self):  # type: ignore[no-untyped-def]  # untyped in Radicale
        self.serialize()
        return super().vobject_item


def to_radicale(collection: Collection, record: ItemRecord) -> Item:
    version = served_version()
    if version is None or record.name != "VCARD":
        return StoredItem(collection, record)
    return ConvertedItem(collection, record, version)


def to_store(href: str, item: Item) -> ItemData:
    """What the store keeps of an uploaded item.

    A card PUT on its own keeps the client's text exactly (iOS, DAVx5 and
    Thunderbird compare it); anything else keeps Radicale's serialization.
    """
    is_card = item.name == "VCARD"
    body = context.put_body_for(href)
    if body is not None and is_card:
        if not body.validated:
            # The guard could not check it (the book did not exist before this
            # request); Radicale may have added a UID, so judge the client's text.
            try:
                parse_one(body.text)
            except InvalidVCard as error:
                raise ValueError(str(error)) from None
        text = body.text
    else:
        text = item.serialize()
    if body is not None:
        body.stored = text
    time_start, time_end = item.time_range
    return ItemData(
        text=text,
        uid=item.uid,
        name=item.name,
        component_name=item.component_name,
        time_start=time_start,
        time_end=time_end,
        index=index_of_text(text, item.vobject_item) if is_card else ContactIndex(),
    )
