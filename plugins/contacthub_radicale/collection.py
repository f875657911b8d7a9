"""One collection (principal, address book, calendar) as Radicale sees it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, overload

from radicale import storage
from radicale.app.report import test_filter
from radicale.item import Item

from contacthub.store import (
    CardFilter,
    CollectionRecord,
    ItemRecord,
    Store,
    StoreError,
    Transaction,
    format_token,
)
from contacthub.vcard.versions import representation_etag, version_of_head
from contacthub_radicale import context, filters
from contacthub_radicale.items import http_date, to_radicale, to_store
from contacthub_radicale.oversized import UTF8_MOST, withheld
from contacthub_radicale.vcard_version import served_version
from contacthub_radicale.window import ListingWindow

if TYPE_CHECKING:
    from contacthub_radicale.storage import Storage


def ctag(record: CollectionRecord) -> str:
    """A collection's ETag: from its counter, never from a scan of its items."""
    return f'"{record.incarnation}-{record.sync_seq}"'


class Collection(storage.BaseCollection):
    def __init__(self, storage_: Storage, record: CollectionRecord) -> None:
        self._storage = storage_
        self._record = record

    @property
    def path(self) -> str:
        return self._record.path

    @property
    def record(self) -> CollectionRecord:
        return self._record

    @property
    def store(self) -> Store:
        return self._storage.store

    # Reading

    def _reading(self) -> AbstractContextManager[Transaction]:
        return context.reading(self._storage.store)

    def get_multi(self, hrefs: Iterable[str]) -> Iterator[tuple[str, Item | None]]:
        """The cards at `hrefs` as they are read (those not found last): a reader that
        writes each out as it comes never holds them all."""
        wanted = list(dict.fromkeys(hrefs))
        budget = context.answer_budget()
        reader = budget.multiget_reader() if budget is not None else None
        missing = set(wanted)
        with self._reading() as tx:
            # Counted as they come: a multiget over the budget is refused having read
            # at most the budget.
            for record in tx.stream_items(self._record.id, wanted):
                if reader is not None:
                    reader.read(len(record.text))
                missing.discard(record.href)
                if self.shows(record):  # an oversized card is left out, as Radicale does
                    yield record.href, to_radicale(self, record)
        for href in wanted:
            if href in missing:
                yield href, None

    def etags(self, hrefs: Iterable[str]) -> dict[str, str] | None:
        """The ETags of the cards at `hrefs` that clients see, as `get_multi`'s items have
        them, read without the cards; None where only a card can tell: one so long that it
        may be over `[server] max_resource_size`, or one served in another vCard version
        whose VERSION line is not in its head."""
        version = served_version()
        limit = self._storage.max_resource_size
        found: dict[str, str] = {}
        with self._reading() as tx:
            for item in tx.item_etags(self._record.id, hrefs):
                if item.length * UTF8_MOST > limit:
                    return None
                etag = item.etag
                if version is not None and item.name == "VCARD":
                    stored = version_of_head(item.head, whole=item.length <= len(item.head))
                    if stored is None:
                        return None
                    etag = representation_etag(etag, stored, version)
                found[item.href] = etag
        return found

    def get_all(self) -> Iterator[Item]:
        with self._reading() as tx:
            for record in tx.iter_items(self._record.id):
                if self.shows(record):
                    yield to_radicale(self, record)

    def get_window(self, window: ListingWindow) -> Iterator[Item]:
        with self._reading() as tx:
            records = tx.items_between(self._record.id, window.after, window.last)
        for record in records:
            if self.shows(record):
                yield to_radicale(self, record)

    def shows(self, record: ItemRecord) -> bool:
        """Whether clients see the card: not when over `[server] max_resource_size`."""
        return not withheld(record.text, self._storage.max_resource_size, self.path, record.href)

    def get_filtered(self, filters_: Iterable[ET.Element]) -> Iterator[tuple[Item, bool]]:
        elements = list(filters_)
        budget = context.answer_budget()
        card_filter = filters.plan(elements) if self.tag == "VADDRESSBOOK" else None
        if card_filter is None and budget is None:
            yield from super().get_filtered(elements)
            return
        if card_filter is None:
            matches = self._matching(elements)
        else:  # one more than fits tells whether the answer is complete
            matches = self._matched(card_filter, budget.members + 1 if budget else None)
        for item in matches:
            if budget is not None and not budget.admit(len(item.serialize())):
                return
            yield item, True

    def _matched(self, card_filter: CardFilter, limit: int | None) -> Iterator[Item]:
        """The items the store's index finds."""
        with self._reading() as tx:
            for record in tx.match_items(self._record.id, card_filter, limit=limit):
                if self.shows(record):
                    yield to_radicale(self, record)

    def _matching(self, elements: list[ET.Element]) -> Iterator[Item]:
        """The items Radicale's own filters match, tested here so that a budget counts
        matches (Radicale would test them after they were read)."""
        for item, matched in super().get_filtered(elements):
            if matched or self._test(item, elements):
                yield item

    def _test(self, item: Item, elements: list[ET.Element]) -> bool:
        try:
            return all(test_filter(self.tag, item, element) for element in elements)
        except ValueError:
            raise
        except Exception as error:  # a filter Radicale cannot apply is the request's fault
            raise ValueError(f"cannot apply the filter to {item.href!r}: {error}") from error

    def serialize(self, vcf_to_ics: bool = False, ShareActions: dict[str, Any] = {}) -> str:  # noqa: B006, N803 - Radicale's signature
        """The whole collection as one text; during a PROPFIND, which joins a book only to
        measure it, nothing (the book is noted, and the store counts its bytes)."""
        lengths = context.books_to_measure()
        if lengths is not None and self.tag == "VADDRESSBOOK" and not vcf_to_ics:
            lengths.books[self.path] = self._record.id
            return ""
        return super().serialize(vcf_to_ics, ShareActions)

    def has_uid(self, uid: str) -> bool:
        with self._reading() as tx:
            return tx.href_of_uid(self._record.id, uid) is not None

    # Writing: each call is all-or-nothing (a savepoint), because Radicale
    # answers some errors without leaving the lock, and the lock commits.

    def upload(self, href: str, item: Item) -> tuple[Item, Item | None]:
        tx = context.transaction()
        try:
            with tx.savepoint():
                new, old = tx.put_item(self._record, href, to_store(href, item))
        except StoreError as error:
            raise context.refused_by_store(error) from error
        # The record's counters are now one behind; Radicale does not read them
        # again within this request, and the next request discovers afresh.
        return to_radicale(self, new), to_radicale(self, old) if old else None

    def delete(self, href: str | None = None) -> None:
        tx = context.transaction()
        try:
            with tx.savepoint():
                if href is None:
                    retired = tx.delete_collection(self._record.path)
                else:
                    tx.delete_item(self._record, href)
                    retired = []
        except StoreError as error:
            raise context.refused_by_store(error) from error
        if tx.actor is None:
            return
        # For the watch on clients that delete too much (carddav/mass_delete.py).
        actor = tx.actor
        if href is not None:
            context.note_deletion(context.Deletion(actor.account, self._record.path, actor.agent))
        for book in retired:
            context.note_deletion(context.Deletion(actor.account, book.path, actor.agent, book.id))

    # Properties

    @overload
    def get_meta(self, key: None = None) -> Mapping[str, str]: ...

    @overload
    def get_meta(self, key: str) -> str | None: ...

    def get_meta(self, key: str | None = None) -> Mapping[str, str] | str | None:
        if key is None:
            return dict(self._record.props)
        return self._record.props.get(key)

    def set_meta(self, props: Mapping[str, str]) -> None:
        tx = context.transaction()
        with tx.savepoint():
            self._record = tx.set_props(self._record, props)

    @property
    def last_modified(self) -> str:
        return http_date(self._record.modified_at)

    @property
    def etag(self) -> str:
        return ctag(self._record)

    def sync(self, old_token: str = "") -> tuple[str, Iterable[str]]:
        budget = context.answer_budget()
        if budget is None:  # the sync-token property of a PROPFIND
            return self._sync_all(old_token)
        with self._reading() as tx:
            page = tx.changes_page(
                self._record, old_token, members=budget.members, text_bytes=budget.card_bytes
            )
        budget.truncated = budget.truncated or not page.complete
        return page.token, page.hrefs

    def _sync_all(self, old_token: str) -> tuple[str, Iterable[str]]:
        token = format_token(self._record, self._record.sync_seq)
        if not old_token:
            # Lazy: a PROPFIND for the sync-token alone never lists the items.
            return token, self._all_hrefs()
        with self._reading() as tx:
            return token, list(tx.changed_since(self._record, old_token))

    def _all_hrefs(self) -> Iterator[str]:
        with self._reading() as tx:
            yield from tx.iter_hrefs(self._record.id)
