"""Between Radicale's items and the store's records."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from radicale.item import Item

from contacthub.store import ContactIndex, ItemData, ItemRecord
from contacthub.vcard import InvalidVCard, index_of, parse_one

from . import context

if TYPE_CHECKING:
    from .collection import Collection


def http_date(timestamp: float) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(timestamp))


def to_radicale(collection: Collection, record: ItemRecord) -> Item:
    """An item Radicale can serve without parsing: text, etag and what filters need."""
    return Item(
        collection=collection,
        href=record.href,
        last_modified=http_date(record.modified_at),
        text=record.text,
        etag=record.etag,
        uid=record.uid,
        name=record.name,
        component_name=record.component_name,
        time_range=(record.time_start, record.time_end),
    )


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
        index=index_of(item.vobject_item) if is_card else ContactIndex(),
    )
