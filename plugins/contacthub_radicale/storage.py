"""The storage: discovery, creating and moving collections, and the per-request lock."""

from __future__ import annotations

import posixpath
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import vobject
from radicale import config, pathutils, storage, types
from radicale.item import Item
from radicale.log import logger

from contacthub.store import (
    NAME_LIMIT,
    Actor,
    CollectionRecord,
    Store,
    StoreError,
    Transaction,
    check_name,
    etag_of,
    parent_of,
)
from contacthub.store.actor import MAX_AGENT
from contacthub_radicale import context
from contacthub_radicale.collection import Collection
from contacthub_radicale.items import to_radicale, to_store
from contacthub_radicale.settings import open_store
from contacthub_radicale.union import books_to_lock, home_children, union_at

# The root "/" is no row of the store: it only lists the principals.
ROOT = CollectionRecord(
    id=0,
    path="",
    uuid="root",
    tag="",
    props={},
    sync_seq=0,
    history_floor=0,
    created_at=0.0,
    modified_at=0.0,
)
SUFFIXES = {"VADDRESSBOOK": ".vcf", "VCALENDAR": ".ics"}


class Storage(storage.BaseStorage):
    # Names are column values, not file names: any Unicode, any case, no collisions.
    _is_collision_free = True
    _supports_unicode = True
    _supports_trailing_whitespace = True
    _supports_problematic_chars = True

    def __init__(self, configuration: config.Configuration, store: Store | None = None) -> None:
        super().__init__(configuration)
        self.max_resource_size: int = configuration.get("server", "max_resource_size")
        self.store = store if store is not None else open_store(configuration)

    @types.contextmanager
    def acquire_lock(self, mode: str, user: str = "", *args: Any, **kwargs: Any) -> Iterator[None]:
        """One transaction per request instead of one lock for the whole server.

        A write first locks, in the store's order, every collection the request may
        write: the one at each path it names and that one's parent (the book of an item,
        the folder a new book goes into). SQLite has one writer at a time. The
        transaction commits when Radicale is done. The versions of the cards it writes
        keep the account and the client's User-Agent (the guard notes it).
        """
        if context.has_transaction():  # nested: the outer lock's transaction serves
            yield
            return
        shared = context.shared_read()
        if mode == "w":
            if shared is not None:  # the reads after this write see it
                shared.close()
            named = [
                pathutils.strip_path(p) for p in (kwargs.get("path"), kwargs.get("to_path")) if p
            ]
            paths = [p for path in named for p in (path, parent_of(path)) if p]
            paths += books_to_lock(self.store, named)  # through the combined book
            writer = Actor(user, "carddav", context.client_agent()[:MAX_AGENT])
            scope: AbstractContextManager[Any] = self.store.write(paths, actor=writer)
            settlement = context.settlement()
            if settlement is not None:  # committed once the answer is known to be a success
                with context.noting_store_faults():
                    tx = settlement.keep(scope)
                with context.noting_store_faults(), context.using(tx):
                    yield
                return
        elif shared is not None and shared.serves(self.store):
            with context.noting_store_faults(), context.using(shared.transaction()):
                yield
            return
        else:
            scope = self.store.read()
        with context.noting_store_faults(), scope as tx, context.using(tx):
            yield

    def discover(
        self,
        path: str,
        depth: str = "0",
        child_context_manager: Callable[[str, str | None], AbstractContextManager[None]]
        | None = None,
        user_groups: set[str] = set(),  # noqa: B006 - Radicale's signature
    ) -> Iterator[types.CollectionOrItem]:
        enter_child = child_context_manager or (lambda _path, _href: nullcontext())
        sane_path = pathutils.strip_path(path)
        with context.reading(self.store) as tx:
            # One query finds the collection, or the parent of the item at the path (and
            # what the request is about, if that is another path: see paths_of_request).
            wanted = [sane_path, parent_of(sane_path), *context.paths_of_request()]
            found = tx.get_collections([path for path in wanted if path]) if sane_path else {}
            record = ROOT if not sane_path else found.get(sane_path)
            if record is None:
                parent = found.get(parent_of(sane_path)) if "/" in sane_path else None
                if parent is not None:
                    yield from self._discover_item(tx, parent, sane_path)
                return
            collection = union_at(self, tx, record) or Collection(self, record)
            yield collection
            if depth == "0":
                return
            window = context.listing_window()
            members = collection.get_all() if window is None else collection.get_window(window)
            for item in members:
                with enter_child(sane_path, item.href):
                    yield item
            if window is not None and not window.first:
                return
            for child in home_children(tx, sane_path):
                with enter_child(child.path, None):
                    yield Collection(self, child)

    def _discover_item(
        self, tx: Transaction, parent: CollectionRecord, sane_path: str
    ) -> Iterator[Item]:
        name = posixpath.basename(sane_path)
        union = union_at(self, tx, parent)
        if union is not None:
            if (item := union.find(tx, name)) is not None:
                yield item
            return
        record = tx.get_item(parent.id, name)
        collection = Collection(self, parent)
        if record is not None and collection.shows(record):
            yield to_radicale(collection, record)

    def create_collection(
        self,
        href: str,
        items: Iterable[Item] | None = None,
        props: Mapping[str, str] | None = None,
    ) -> tuple[Collection, dict[str, Item], list[str]]:
        tx = context.transaction()
        sane_path = pathutils.strip_path(href)
        try:
            with tx.savepoint():
                if items is None or not props:
                    # MKCOL (which found nothing there under the lock), the principal and
                    # its predefined books at a first request: a concurrent first request
                    # may have made them a moment ago, and what it made stays as it is.
                    created = tx.ensure_collection(sane_path, props)
                    return Collection(self, created), {}, []
                record = tx.get_collection(sane_path)
                record = (
                    tx.set_props(record, props)
                    if record
                    else tx.create_collection(sane_path, props)
                )
                wanted = list(_with_hrefs(items, SUFFIXES.get(props.get("tag", ""), "")))
                replaced, added = tx.replace_items(
                    record, [(href, to_store(href, item)) for href, item in wanted]
                )
                collection = Collection(self, tx.require_collection(sane_path))
        except StoreError as error:
            raise context.refused_by_store(error) from error
        return (
            collection,
            {href: to_radicale(collection, old) for href, old in replaced.items()},
            added,
        )

    def move(self, item: Item, to_collection: storage.BaseCollection, to_href: str) -> None:
        assert isinstance(item.collection, Collection) and isinstance(to_collection, Collection)
        assert item.href is not None
        tx = context.transaction()
        try:
            with tx.savepoint():
                tx.move_item(item.collection.record, item.href, to_collection.record, to_href)
        except StoreError as error:
            raise context.refused_by_store(error) from error

    def verify(self) -> bool:
        """Check that every stored item parses and its ETag matches its text."""
        ok = True
        with self.store.read() as tx:
            paths = [c.path for c in tx.list_children("")]
            while paths:
                record = tx.require_collection(paths.pop())
                paths.extend(c.path for c in tx.list_children(record.path))
                for item in tx.iter_items(record.id):
                    problem = _problem_of(item.text, item.etag)
                    if problem:
                        ok = False
                        logger.error("Invalid item %r in %r: %s", item.href, record.path, problem)
        return ok


def _with_hrefs(items: Iterable[Item], suffix: str) -> Iterator[tuple[str, Item]]:
    """Names for the items of a whole-collection PUT: from the UID where it is safe and
    short enough for a client to ask for it again (a random one else)."""
    taken: set[str] = set()
    for item in items:
        href = item.uid if item.uid.lower().endswith(suffix) else item.uid + suffix
        try:
            check_name(href)
        except ValueError:
            href = ""
        if not href or href in taken or len(href) > NAME_LIMIT:
            href = uuid.uuid4().hex + suffix
        taken.add(href)
        yield href, item


def _problem_of(text: str, etag: str) -> str | None:
    if etag != etag_of(text):
        return "its ETag does not match its text"
    try:
        vobject.readOne(text)
    except Exception as error:  # any parse failure is a finding, not a crash
        return f"does not parse: {error}"
    return None
