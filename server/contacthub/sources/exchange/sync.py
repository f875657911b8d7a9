"""One run of an Exchange account, both ways: the steps that `sources.exchange.source.run` takes.

What changed here goes to Exchange (CreateItem; UpdateItem with the change key), what changed
in Exchange comes here through the reconciler, and when both sides changed a contact since the
last run, the newer change wins. Deletions never travel: a contact deleted here is tombstoned
by the reconciler, one deleted in Exchange stays here (and is no longer synced).

What a run keeps for the next one:

    links       item id → the card's UID and href; `record_hash` is the item's change key as
                last written or pulled, so Exchange reporting our own write is recognised
    items       (settings) item id → the card's ETag as last synced: a card whose ETag differs
                was changed here
    book_token  (settings) the book's sync token when the last run read it: only the cards
                changed since are looked at (our own writes among them have the ETag noted)
    retry       (settings) hrefs of cards the last run could not send: looked at again
    sync_state  (settings) Exchange's SyncFolderItems state after the last pull

The token is the one read at the start of the run, not the one after our writes: a card a
phone changes while the run talks to Exchange is then still found by the next run, and the
ETags keep our own writes from being pushed back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import vobject
from exchangelib import Account, Contact

from contacthub.reconcile import Incoming, Problem
from contacthub.sources.exchange.client import (
    ChangeKeyConflict,
    ContactGone,
    ContactRefused,
    PulledContact,
    SyncStateExpired,
    find_created,
    pull,
    push_create,
    push_update,
    uid_for,
)
from contacthub.sources.exchange.mapping import card_to_contact, contact_to_card
from contacthub.store import (
    CollectionRecord,
    InvalidSyncToken,
    ItemRecord,
    Link,
    SourceRecord,
    Store,
    Transaction,
    format_token,
)
from contacthub.vcard.parse import InvalidVCard, item_data

# Properties a pulled card brings (exchange_map); the card here keeps all others.
MAPPED = frozenset(
    {
        "version",
        "prodid",
        "rev",
        "uid",
        "fn",
        "n",
        "email",
        "tel",
        "adr",
        "org",
        "title",
        "bday",
        "note",
        "categories",
    }
)


@dataclass(frozen=True)
class LocalCard:
    """A card of the book changed here since the last run."""

    href: str
    uid: str
    etag: str
    text: str
    modified_at: float
    name: str

    @classmethod
    def of(cls, item: ItemRecord) -> LocalCard:
        return cls(
            item.href,
            item.uid,
            item.etag,
            item.text,
            item.modified_at,
            item.display_name or item.href,
        )


@dataclass(frozen=True)
class Local:
    """The book as the run found it."""

    token: str  # the book's sync token when read
    changed: list[LocalCard]  # added or changed here, not yet in Exchange
    links: dict[str, Link]  # by item id
    # Merged cards whose Exchange fields changed, each with the link of an Exchange
    # contact merged into it: a card that merged two of them goes to both.
    merged: list[tuple[LocalCard, Link]] = field(default_factory=list)


@dataclass
class Sent:
    """What the run wrote to Exchange or learnt from it, and what the report says."""

    links: dict[str, Link] = field(default_factory=dict)  # new, or with a new change key
    etags: dict[str, str] = field(default_factory=dict)  # item id → the card's ETag sent
    gone: list[str] = field(default_factory=list)  # item ids deleted in Exchange
    refused: dict[str, LocalCard] = field(default_factory=dict)  # stale change key: conflicts
    retry: set[str] = field(default_factory=set)  # hrefs of cards not sent: the next run tries
    created: int = 0
    updated: int = 0
    conflicts: int = 0
    problems: list[Problem] = field(default_factory=list)

    def note(self, link: Link, etag: str) -> None:
        self.links[link.external_key] = link
        self.etags[link.external_key] = etag

    def not_sent(self, card: LocalCard, error: Exception, key: str) -> None:
        self.problems.append(Problem(f"{card.name} was not sent to Exchange: {error}", key=key))
        self.retry.add(card.href)

    @property
    def counts(self) -> dict[str, int]:
        # Conflicts are reported as problems, but they are not errors.
        return {
            "pushed_created": self.created,
            "pushed_updated": self.updated,
            "conflicts": self.conflicts,
            "errors": len(self.problems) - self.conflicts,
        }


# -- what changed here ----------------------------------------------------------------------


def read_local(store: Store, source: SourceRecord) -> Local:
    """The cards added or changed in the book since the last run, the merged cards whose
    Exchange fields changed (in any book), and the source's links."""
    synced: dict[str, str] = source.settings.get("items") or {}
    with store.read() as tx:
        book = tx.require_collection(source.book_path)
        hrefs = _changed_hrefs(tx, book, source.settings.get("book_token"))
        hrefs += source.settings.get("retry") or []
        found = tx.get_items(book.id, hrefs)
        links = tx.links_of(source.id)
        merged = _merged_changed(tx, book, links)
    by_uid = links_by_uid(links.values())
    changed = [
        LocalCard.of(item)
        for _, item in sorted(found.items())
        if item.name == "VCARD"
        and not _merged(by_uid.get(item.uid))
        and not _synced(item, by_uid.get(item.uid), synced)
    ]
    return Local(format_token(book, book.sync_seq), changed, links, merged)


def _merged(link: Link | None) -> bool:
    return link is not None and link.merged_base is not None


def _merged_changed(
    tx: Transaction, book: CollectionRecord, links: dict[str, Link]
) -> list[tuple[LocalCard, Link]]:
    """The cards a merge re-linked the source to (duplicates/merge.py), in whichever book
    they live, whose Exchange fields differ from what Exchange holds (the link's base: what
    it brought or was sent last), with each such link: a merge of two Exchange contacts
    leaves two links to one card, and an edit of it goes to both. Compared by content, not
    ETag: a pull's update of the card (written after the run) is no change to send back.
    They are few: one per merge."""
    changed = []
    cards: dict[tuple[int, str], LocalCard | None] = {}
    for link in links.values():
        if link.deleted or link.merged_base is None:
            continue
        collection_id = link.collection_id if link.collection_id is not None else book.id
        at = (collection_id, link.uid)
        if at not in cards:
            href = tx.href_of_uid(collection_id, link.uid)
            item = tx.get_item(collection_id, href) if href is not None else None
            cards[at] = LocalCard.of(item) if item is not None else None
        card = cards[at]
        if card is not None and exchange_fields(card.text) != exchange_fields(link.merged_base):
            changed.append((card, link))
    return changed


def exchange_fields(text: str) -> dict[str, Any] | None:
    """What Exchange would hold of the card (the mapping's field values; None for a card
    it cannot take): two cards that differ only where Exchange has no field, or in how
    they write the same value, hold the same."""
    try:
        return card_to_contact(text)
    except InvalidVCard:
        return None


def _changed_hrefs(tx: Transaction, book: CollectionRecord, token: str | None) -> list[str]:
    if token:
        try:
            return list(tx.changed_since(book, token))
        except InvalidSyncToken:
            pass  # history pruned: look at every card (the ETags tell the changed ones)
    return list(tx.iter_hrefs(book.id))


def _synced(item: ItemRecord, link: Link | None, synced: dict[str, str]) -> bool:
    return link is not None and synced.get(link.external_key) == item.etag


def links_by_uid(links: Iterable[Link]) -> dict[str, Link]:
    """The link of each UID; a live one before a tombstone of the same UID."""
    by_uid: dict[str, Link] = {}
    for link in sorted(links, key=lambda link: not link.deleted):
        by_uid[link.uid] = link
    return by_uid


# -- to Exchange ----------------------------------------------------------------------------


def push_local(mailbox: Account, local: Local, sent: Sent) -> None:
    """Create the new cards in Exchange and update the changed ones; a card deleted in
    Exchange or here (a tombstone) is not sent. Raises ExchangeError when Exchange fails."""
    by_uid = links_by_uid(local.links.values())
    # A card an earlier run created, though it never heard back (the connection dropped):
    # its contact is updated, not made again.
    made = find_created(mailbox, [card.uid for card in local.changed if card.uid not in by_uid])
    for card in local.changed:
        link = by_uid.get(card.uid)
        if card.uid in made:
            item_id, changekey = made[card.uid]
            _update(mailbox, card, Link(item_id, card.uid, card.href, changekey), sent)
        elif link is None:
            _create(mailbox, card, sent)
        elif not link.deleted:
            _update(mailbox, card, link, sent)
    for card, link in local.merged:
        _update(mailbox, card, link, sent)


def _create(mailbox: Account, card: LocalCard, sent: Sent) -> None:
    try:
        item_id, changekey = push_create(mailbox, card.text)
    except (InvalidVCard, ContactRefused) as error:
        sent.not_sent(card, error, card.href)
        return
    # The card keeps its UID: the link says which item it is.
    sent.note(Link(item_id, card.uid, card.href, changekey), card.etag)
    sent.created += 1


def _update(mailbox: Account, card: LocalCard, link: Link, sent: Sent) -> None:
    try:
        changekey = push_update(mailbox, link.external_key, link.record_hash, card.text)
    except (InvalidVCard, ContactRefused) as error:
        sent.not_sent(card, error, link.external_key)
        return
    except ChangeKeyConflict:
        sent.refused[link.external_key] = card  # changed in Exchange too: decided after pull
        return
    except ContactGone:
        sent.gone.append(link.external_key)
        sent.problems.append(
            Problem(
                f"{card.name} is no longer in Exchange (deleted there): "
                "it stays here and is no longer synced",
                key=link.external_key,
            )
        )
        return
    sent.note(_sent_link(link, card, changekey), card.etag)
    sent.updated += 1


def _sent_link(link: Link, card: LocalCard, changekey: str) -> Link:
    """The link once the card went to Exchange; a merged card's base becomes what Exchange
    now holds of it: the card as its fields keep it (three emails of five, say), so the next
    pull, which brings those fields back, removes nothing Exchange had no room for."""
    if link.merged_base is not None:
        return replace(link, record_hash=changekey, merged_base=as_exchange_holds(card))
    return replace(link, href=card.href, record_hash=changekey)


def as_exchange_holds(card: LocalCard) -> str:
    return contact_to_card(Contact(**card_to_contact(card.text)), card.uid)


def note_sent(tx: Transaction, source: SourceRecord, sent: Sent) -> None:
    """Save the links and ETags of what was sent (again: it is idempotent)."""
    if not (sent.links or sent.gone):
        return
    # A merged card's link is written whole: its book and base are part of it.
    tx.save_links(source.id, [link for link in sent.links.values() if not _merged(link)])
    tx.put_links(source.id, [link for link in sent.links.values() if _merged(link)])
    tx.mark_links_deleted(source.id, sent.gone)
    current = tx.require_source(source.id)
    items = {**(current.settings.get("items") or {}), **sent.etags}
    tx.update_source(current, settings={**current.settings, "items": items})


# -- from Exchange --------------------------------------------------------------------------


def pull_changes(mailbox: Account, sync_state: str | None) -> tuple[list[PulledContact], str]:
    """What changed in Exchange since the state; the whole folder when Exchange no longer
    knows the state (what is already here is recognised by its change key)."""
    try:
        return pull(mailbox, sync_state)
    except SyncStateExpired:
        return pull(mailbox, None)


# Seconds: the resolution of Exchange's LastModifiedTime.
EXCHANGE_CLOCK_STEP = 1.0


def incoming(
    mailbox: Account,
    store: Store,
    source: SourceRecord,
    local: Local,
    sent: Sent,
    pulled: list[PulledContact],
) -> list[Incoming]:
    """The reconciler's records for the contacts changed in Exchange (not by this hub),
    conflicts decided: the newer side wins."""
    links = {**local.links, **sent.links}
    fresh = [contact for contact in pulled if _changed_there(contact, links)]
    texts = _texts_here(store, source, [links[c.item_id] for c in fresh if c.item_id in links])
    records = []
    for contact in fresh:
        link = links.get(contact.item_id)
        card = sent.refused.pop(contact.item_id, None)
        if card is not None and link is not None and _kept_here(mailbox, contact, link, card, sent):
            continue
        records.append(_record(contact, link, _text_here(link, texts)))
    # Refused for a change in Exchange the pull did not bring (deleted there meanwhile?).
    sent.retry.update(card.href for card in sent.refused.values())
    return records


def _changed_there(contact: PulledContact, links: dict[str, Link]) -> bool:
    link = links.get(contact.item_id)
    return link is None or link.record_hash != contact.changekey


def _texts_here(store: Store, source: SourceRecord, links: list[Link]) -> dict[str, str]:
    """UID → text of the linked cards in the book."""
    with store.read() as tx:
        book = tx.require_collection(source.book_path)
        found = tx.get_items(book.id, [link.href for link in links])
    return {item.uid: item.text for item in found.values()}


def _text_here(link: Link | None, texts: dict[str, str]) -> str | None:
    """What the pulled card keeps of the card here. For a merged card, the link's base: the
    reconciler merges it three-way into the merged card, so only Exchange's fields change
    (the base's other properties are in base and pulled card alike)."""
    if link is None:
        return None
    return link.merged_base if link.merged_base is not None else texts.get(link.uid)


def _kept_here(
    mailbox: Account, contact: PulledContact, link: Link, card: LocalCard, sent: Sent
) -> bool:
    """Decide a conflict: True when the card here was newer and went to Exchange."""
    changed_there = contact.last_modified or 0.0
    sent.conflicts += 1
    # Exchange's LastModifiedTime is in whole seconds (cut, not rounded): its change was
    # at or after it and before the next second. Only a change here from that next second
    # on is surely the newer; within the second the order is unknown, and Exchange's
    # version stands (a person editing in Outlook just after an undo here gets their edit).
    if card.modified_at >= changed_there + EXCHANGE_CLOCK_STEP:
        try:
            changekey = push_update(mailbox, contact.item_id, contact.changekey, card.text)
        except (ChangeKeyConflict, ContactGone):
            pass  # changed (or deleted) in Exchange again meanwhile: the version pulled stands
        else:
            sent.note(_sent_link(link, card, changekey), card.etag)
            sent.updated += 1
            sent.problems.append(_conflict(card, contact, "this hub's", card.modified_at))
            return True
    sent.problems.append(_conflict(card, contact, "the Exchange", changed_there))
    return False


def _conflict(card: LocalCard, contact: PulledContact, kept: str, at: float) -> Problem:
    when = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return Problem(
        f"conflict: {card.name} was changed here and in Exchange since the last "
        f"run; kept {kept} version, changed at {when}",
        key=contact.item_id,
    )


def _record(contact: PulledContact, link: Link | None, text_here: str | None) -> Incoming:
    def make_card(uid: str) -> Any:
        return item_data(merged_card(contact.card, uid, text_here))

    return Incoming(
        key=contact.item_id,
        uid=link.uid if link is not None else uid_for(contact.item_id),
        make_card=make_card,
        record_hash=contact.changekey,
    )


def merged_card(pulled: str, uid: str, text_here: str | None) -> str:
    """The pulled card with the hub's UID, keeping what the card here has that Exchange
    does not hold (photo, nickname, URLs...): an edit in Outlook must not erase them."""
    card = vobject.readOne(pulled)
    card.uid.value = uid
    old = _parsed(text_here)
    if old is not None:
        mapped_groups = {
            prop.group for name in MAPPED for prop in old.contents.get(name, []) if prop.group
        }
        for name, props in old.contents.items():
            for prop in props:
                if name not in MAPPED and (not prop.group or prop.group not in mapped_groups):
                    card.add(prop)
    return str(card.serialize())


def _parsed(text: str | None) -> Any:
    if not text:
        return None
    try:
        return vobject.readOne(text, validate=False)
    except Exception:  # a card vobject cannot read: the pulled card alone
        return None


# -- the state for the next run -------------------------------------------------------------


def state_saver(
    source: SourceRecord, local: Local, sent: Sent, records: list[Incoming], sync_state: str
) -> Callable[[Transaction], None]:
    """What run_source calls in the changes' transaction: the links and ETags of what was
    sent and pulled, Exchange's sync state and the book's token, together."""

    def save(tx: Transaction) -> None:
        note_sent(tx, source, sent)
        current = tx.require_source(source.id)
        links = tx.links_of(source.id)
        items: dict[str, str] = dict(current.settings.get("items") or {})
        items.update(_written_etags(tx, source, links, records))
        live = {key: etag for key, etag in items.items() if key in links and not links[key].deleted}
        tx.update_source(
            current,
            settings={
                **current.settings,
                "items": live,
                "sync_state": sync_state,
                "book_token": local.token,
                "retry": sorted(sent.retry),
            },
        )

    return save


def _written_etags(
    tx: Transaction, source: SourceRecord, links: dict[str, Link], records: list[Incoming]
) -> dict[str, str]:
    """Item id → ETag of the cards the reconciler just wrote from the records."""
    written = {
        record.key: links[record.key]
        for record in records
        if record.key in links
        and not links[record.key].deleted
        and links[record.key].record_hash == record.record_hash
    }
    book = tx.require_collection(source.book_path)
    found = tx.get_items(book.id, [link.href for link in written.values()])
    return {
        key: found[link.href].etag
        for key, link in written.items()
        if link.href in found and found[link.href].uid == link.uid
    }
