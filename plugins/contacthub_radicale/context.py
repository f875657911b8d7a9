"""What belongs to the request being handled: its transaction, the card it PUTs, and
whether the store's disk was full.

Radicale calls the storage inside `acquire_lock`; the transaction opened
there lives in a context variable until the lock is released, so every call
of one request sees one consistent state and commits (or not) as one.

Radicale answers any exception from the storage with 500; a full disk is noted here
(`noting_storage_full`) so the guard in front of Radicale can answer 507 instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from contacthub.store import StorageFull, Store, Transaction

_transaction: ContextVar[Transaction | None] = ContextVar("transaction", default=None)
_put: ContextVar[PutBody | None] = ContextVar("put", default=None)
_storage_full: ContextVar[StorageFullWatch | None] = ContextVar("storage_full", default=None)


@dataclass
class PutBody:
    """The text a PUT of one item sent, whether the guard checked it as a card, the
    card it parsed (for Radicale, so the text is parsed once: reading.py), and the text
    the store kept (None until stored)."""

    href: str
    text: str
    validated: bool
    card: Any | None = None  # a vobject Component
    stored: str | None = None


def transaction() -> Transaction:
    """The request's transaction; writes happen only inside Radicale's write lock."""
    tx = _transaction.get()
    if tx is None:
        raise RuntimeError("storage written outside acquire_lock")
    return tx


@contextmanager
def reading(store: Store) -> Iterator[Transaction]:
    """The request's transaction, or a short read of its own.

    Radicale builds some answers (PROPFIND's properties) after releasing its
    lock, so reads must work outside it too.
    """
    tx = _transaction.get()
    if tx is not None:
        yield tx
        return
    with noting_storage_full(), store.read() as own:
        yield own


def has_transaction() -> bool:
    return _transaction.get() is not None


@contextmanager
def using(tx: Transaction) -> Iterator[None]:
    token = _transaction.set(tx)
    try:
        yield
    finally:
        _transaction.reset(token)


@contextmanager
def putting(body: PutBody) -> Iterator[PutBody]:
    token = _put.set(body)
    try:
        yield body
    finally:
        _put.reset(token)


def current_put() -> PutBody | None:
    """The body of the PUT of one item being handled, if any."""
    return _put.get()


def put_body_for(href: str) -> PutBody | None:
    """The body of the PUT being handled, if it is a single item for `href`."""
    body = _put.get()
    return body if body is not None and body.href == href else None


@dataclass
class StorageFullWatch:
    """Set when the request met a full disk (the error it met), for the guard to answer."""

    error: StorageFull | None = None


@contextmanager
def watching_storage_full() -> Iterator[StorageFullWatch]:
    """Around the handling of one request: what `noting_storage_full` saw in it."""
    watch = StorageFullWatch()
    token = _storage_full.set(watch)
    try:
        yield watch
    finally:
        _storage_full.reset(token)


@contextmanager
def noting_storage_full() -> Iterator[None]:
    """Around the store's work for Radicale: a full disk is noted, then raised on."""
    try:
        yield
    except StorageFull as error:
        watch = _storage_full.get()
        if watch is not None:
            watch.error = error
        raise
