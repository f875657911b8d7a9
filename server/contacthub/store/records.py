"""What the store hands out and takes in: plain records, no SQL."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ContactIndex:
    """Values extracted from a vCard for search; lists keep every instance."""

    display_name: str = ""
    fn: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    orgs: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()  # nicknames, categories, X- property values; sorted


@dataclass(frozen=True)
class ItemData:
    """An item to store: the text exactly as received, plus what was parsed from it."""

    text: str
    uid: str
    name: str  # the vobject name of the object: VCARD, VCALENDAR
    component_name: str  # the main component: VCARD, VEVENT, VTODO, ...
    time_start: int = 0
    time_end: int = 0
    index: ContactIndex = field(default_factory=ContactIndex)


@dataclass(frozen=True)
class ItemRecord:
    id: int
    collection_id: int
    href: str
    uid: str
    etag: str
    text: str
    name: str
    component_name: str
    time_start: int
    time_end: int
    modified_at: float
    display_name: str

    @classmethod
    def from_row(cls, row: Any) -> ItemRecord:
        return cls(
            id=row.id,
            collection_id=row.collection_id,
            href=row.href,
            uid=row.uid,
            etag=row.etag,
            text=row.text,
            name=row.name,
            component_name=row.component_name,
            time_start=row.time_start,
            time_end=row.time_end,
            modified_at=row.modified_at,
            display_name=row.display_name,
        )


@dataclass(frozen=True)
class CollectionRecord:
    id: int
    path: str
    uuid: str
    tag: str
    props: dict[str, str]
    sync_seq: int
    history_floor: int
    created_at: float
    modified_at: float

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def display_name(self) -> str:
        return self.props.get("D:displayname") or self.name

    @classmethod
    def from_row(cls, row: Any) -> CollectionRecord:
        return cls(
            id=row.id,
            path=row.path,
            uuid=row.uuid,
            tag=row.tag,
            props=json.loads(row.props),
            sync_seq=row.sync_seq,
            history_floor=row.history_floor,
            created_at=row.created_at,
            modified_at=row.modified_at,
        )
