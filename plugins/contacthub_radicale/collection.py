"""One collection (principal, address book, calendar) as Radicale sees it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, overload

from radicale import storage
from radicale.item import Item

from contacthub.store import CollectionRecord, StoreError, Transaction, format_token
from contacthub_radicale import context, filters
from contacthub_radicale.items import http_date, to_radicale, to_store

if TYPE_CHECKING:
    from contacthub_radicale.storage import Storage


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

    # Reading

    def _reading(self) -> AbstractContextManager[Transaction]:
        return context.reading(self._storage.store)

    def get_multi(self, hrefs: Iterable[str]) -> Iterator[tuple[str, Item | None]]:
        wanted = list(dict.fromkeys(hrefs))
        with self._reading() as tx:
            found = tx.get_items(self._record.id, wanted)
        for href in wanted:
            record = found.get(href)
            yield href, to_radicale(self, record) if record else None

    def get_all(self) -> Iterator[Item]:
        with self._reading() as tx:
            for record in tx.iter_items(self._record.id):
                yield to_radicale(self, record)

    def get_filtered(self, filters_: Iterable[ET.Element]) -> Iterator[tuple[Item, bool]]:
        elements = list(filters_)
        card_filter = filters.plan(elements) if self.tag == "VADDRESSBOOK" else None
        if card_filter is None:
            yield from super().get_filtered(elements)
            return
        with self._reading() as tx:
            for record in tx.match_items(self._record.id, card_filter):
                yield to_radicale(self, record), True

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
            raise ValueError(str(error)) from error
        # The record's counters are now one behind; Radicale does not read them
        # again within this request, and the next request discovers afresh.
        return to_radicale(self, new), to_radicale(self, old) if old else None

    def delete(self, href: str | None = None) -> None:
        tx = context.transaction()
        try:
            with tx.savepoint():
                if href is None:
                    tx.delete_collection(self._record.path)
                else:
                    tx.delete_item(self._record, href)
        except StoreError as error:
            raise ValueError(str(error)) from error
        if href is not None and tx.actor is not None:
            # For the watch on clients that delete too much (carddav/mass_delete.py).
            context.note_deletion(
                context.Deletion(tx.actor.account, self._record.path, tx.actor.agent)
            )

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
        """The ctag: from the collection's counter, never from a scan of its items."""
        return f'"{self._record.uuid}-{self._record.sync_seq}"'

    def sync(self, old_token: str = "") -> tuple[str, Iterable[str]]:
        token = format_token(self._record, self._record.sync_seq)
        if not old_token:
            # Lazy: a PROPFIND for the sync-token alone never lists the items.
            return token, self._all_hrefs()
        with self._reading() as tx:
            return token, list(tx.changed_since(self._record, old_token))

    def _all_hrefs(self) -> Iterator[str]:
        with self._reading() as tx:
            yield from tx.iter_hrefs(self._record.id)
