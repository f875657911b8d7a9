"""What the store hands out and takes in: plain records, no SQL."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple


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


class ItemRecord(NamedTuple):
    """A stored item. A tuple, not a frozen dataclass: a multiget or a sync builds one
    per card, and a dataclass's __init__ cost ten times as much (2.6 µs with 12 fields)."""

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


# Characters of an item's text an ItemHead holds: a card's VERSION line is in them
# (vCard 4.0 puts it right after BEGIN:VCARD, and writers of 3.0 do).
HEAD_LENGTH = 256


class ItemHead(NamedTuple):
    """What a listing of ETags reads of an item instead of its text."""

    href: str
    etag: str
    name: str  # VCARD, VCALENDAR
    length: int  # of the text, in characters
    head: str  # the text's first HEAD_LENGTH characters


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
    # The newest visible run written ahead into the collection, and where in the change
    # log its changes appeared (store/staging.py).
    published_gen: int = 0
    published_seq: int = 0
    # Set by a restore from a backup ("" before any): see `incarnation`.
    sync_epoch: str = ""

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def incarnation(self) -> str:
        """What the collection's sync tokens and ETags are of: its uuid, and since a restore
        the restore's epoch too, so that a token or ETag issued before the restore (even
        after the backup, where the counter would reissue its numbers) is refused."""
        return f"{self.uuid}.{self.sync_epoch}" if self.sync_epoch else self.uuid

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
            published_gen=row.published_gen,
            published_seq=row.published_seq,
            sync_epoch=row.sync_epoch,
        )


@dataclass(frozen=True)
class SourceRecord:
    """The saved settings of a CSV sync, a phone's push or a mail account."""

    id: int
    owner: str
    kind: str
    name: str
    book_path: str
    settings: dict[str, Any]
    enabled: bool
    created_at: float
    updated_at: float
    next_run_at: float | None = None
    running_since: float | None = None  # when the current lease was taken
    lease_until: float | None = None  # past: the process holding it died

    def is_running(self, now: float) -> bool:
        return self.lease_until is not None and self.lease_until >= now

    @classmethod
    def from_row(cls, row: Any) -> SourceRecord:
        return cls(
            id=row.id,
            owner=row.owner,
            kind=row.kind,
            name=row.name,
            book_path=row.book_path,
            settings=json.loads(row.settings),
            enabled=row.enabled,
            created_at=row.created_at,
            updated_at=row.updated_at,
            next_run_at=row.next_run_at,
            running_since=row.leased_at if row.leased_by is not None else None,
            lease_until=row.lease_until if row.leased_by is not None else None,
        )


@dataclass(frozen=True)
class RunRecord:
    """What one run of a source did, for reports, the sync list and emails."""

    id: int
    source_id: int | None  # None: a restore or an undo, of `owner`
    started_at: float
    finished_at: float | None
    status: str
    trigger: str
    counts: dict[str, int]
    problems: list[dict[str, Any]]
    message: str
    email: str = ""
    owner: str | None = None
    kind: str = ""  # "" for a source's run; restore, undo

    @classmethod
    def from_row(cls, row: Any) -> RunRecord:
        return cls(
            id=row.id,
            source_id=row.source_id,
            started_at=row.started_at,
            finished_at=row.finished_at,
            status=row.status,
            trigger=row.trigger,
            counts=json.loads(row.counts),
            problems=json.loads(row.problems),
            message=_without_status(row.status, row.message),
            email=row.email,
            owner=row.owner,
            kind=row.kind,
        )


# Runs recorded before the status and the message were kept apart began their message
# with the status ("failed: HTTP 404 ..."); every page puts the status before it again.
_STATUS_WORDS = {"failed": "failed", "refused": "refused", "no_changes": "no changes"}


def _without_status(status: str, message: str) -> str:
    words = _STATUS_WORDS.get(status)
    if words is None or message.strip() == words:
        return "" if words else message
    return message.removeprefix(f"{words}: ")


@dataclass(frozen=True, slots=True)
class Link:
    """Which contact one of a source's records became."""

    external_key: str
    uid: str
    href: str
    record_hash: str
    deleted: bool = False
    # Re-linked by a merge: the merged card's book when not the source's own, and the
    # card the source last brought (the base of a three-way merge); None: not merged.
    collection_id: int | None = None
    merged_base: str | None = None


@dataclass(frozen=True)
class Lease:
    """The hold of one process on a source while it runs it."""

    source_id: int
    holder: str
    trigger: str
    taken_at: float
    until: float


@dataclass(frozen=True)
class Upload:
    """Data a source keeps until a person acts on it (an uploaded file, a phone's push)."""

    filename: str
    content: bytes
    sha256: str
    created_at: float


# How a device sees the account's books over CardDAV: all of them as one book (what
# macOS Contacts can sync), or each apart; an app password without one (None) sees them
# as its User-Agent is recognised (contacthub.carddav.one_book).
BookView = Literal["one-book", "apart"]
ONE_BOOK: BookView = "one-book"
APART: BookView = "apart"
BOOK_VIEWS: tuple[BookView, ...] = (ONE_BOOK, APART)


@dataclass(frozen=True)
class AppPassword:
    """A device's password of an account, as its list shows it (never the secret)."""

    id: int
    owner: str
    name: str
    created_at: float
    last_used_at: float | None
    book_view: BookView | None = None
    last_user_agent: str | None = None  # of its last recorded use

    @classmethod
    def from_row(cls, row: Any) -> AppPassword:
        return cls(
            id=row.id,
            owner=row.owner,
            name=row.name,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            book_view=row.book_view,
            last_user_agent=row.last_user_agent,
        )


@dataclass(frozen=True, slots=True)
class StagedChange:
    """One change of a run, to write ahead (store/staging.py): an add or update with its
    card, or a delete; `base_etag` is the ETag the run planned an update or delete from."""

    action: str  # add, update, delete
    key: str
    href: str
    uid: str
    record_hash: str = ""
    data: ItemData | None = None
    base_etag: str = ""
    # A change of a run of no source (a restore) that ends a source's link: its version
    # keeps (source id, key, record hash) to bring the link back with the card.
    ends_link: tuple[int, str, str] | None = None


@dataclass(frozen=True, slots=True)
class LinkOp:
    """A change to a source's link made with a run (store/staging.py): save or forget."""

    op: str  # save, forget
    source_id: int
    key: str
    uid: str = ""
    href: str = ""
    record_hash: str = ""
