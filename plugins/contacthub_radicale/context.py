"""What belongs to the request being handled: its transaction and the card it PUTs.

Radicale calls the storage inside `acquire_lock`; the transaction opened
there lives in a context variable until the lock is released, so every call
of one request sees one consistent state and commits (or not) as one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from contacthub.store import Store, StoreBusy, Transaction

_transaction: ContextVar[Transaction | None] = ContextVar("transaction", default=None)
_put: ContextVar[PutBody | None] = ContextVar("put", default=None)
_busy: ContextVar[BusySeen | None] = ContextVar("busy", default=None)


@dataclass
class BusySeen:
    """Whether the store refused the request's write as busy (Radicale answers any
    storage error 500; the guard answers this one 503 with Retry-After)."""

    error: StoreBusy | None = None


@contextmanager
def watching_busy() -> Iterator[BusySeen]:
    seen = BusySeen()
    token = _busy.set(seen)
    try:
        yield seen
    finally:
        _busy.reset(token)


def note_busy(error: StoreBusy) -> None:
    seen = _busy.get()
    if seen is not None:
        seen.error = error


@dataclass
class PutBody:
    """The text a PUT of one item sent, whether the guard checked it as a card,
    and the text the store kept (None until stored)."""

    href: str
    text: str
    validated: bool
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
    with store.read() as own:
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


def put_body_for(href: str) -> PutBody | None:
    """The body of the PUT being handled, if it is a single item for `href`."""
    body = _put.get()
    return body if body is not None and body.href == href else None
