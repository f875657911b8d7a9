"""What belongs to the request being handled: its transaction, the card it PUTs, the
client's User-Agent, the cards it deleted, and whether the store's disk was full or the
store too busy.

Radicale calls the storage inside `acquire_lock`; the transaction opened
there lives in a context variable until the lock is released, so every call
of one request sees one consistent state and commits (or not) as one.

Radicale answers any exception from the storage with 500; a full disk or a busy store is
noted here (`noting_store_faults`) so the guard in front of Radicale can answer 507 or 503
instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from contacthub.store import StorageFull, Store, StoreBusy, Transaction

_transaction: ContextVar[Transaction | None] = ContextVar("transaction", default=None)
_put: ContextVar[PutBody | None] = ContextVar("put", default=None)
_store_fault: ContextVar[StoreFaultWatch | None] = ContextVar("store_fault", default=None)
_agent: ContextVar[str] = ContextVar("agent", default="")
_deletions: ContextVar[list[Deletion] | None] = ContextVar("deletions", default=None)

# The store's refusals the guard answers itself: a full disk (507) and a write that
# waited too long for others (503 with Retry-After, which clients retry).
StoreFault = StorageFull | StoreBusy


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
    with noting_store_faults(), store.read() as own:
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


@contextmanager
def client(agent: str) -> Iterator[None]:
    """Around the handling of one request: the client's User-Agent, which the versions of
    the cards it writes keep."""
    token = _agent.set(agent)
    try:
        yield
    finally:
        _agent.reset(token)


def client_agent() -> str:
    """The User-Agent of the client whose request is handled ("" when none was sent)."""
    return _agent.get()


@dataclass(frozen=True)
class Deletion:
    """A card a client deleted: from which book, signed in as which account, with which
    User-Agent (the guard hands it on once the request is answered, and committed)."""

    account: str
    book: str
    agent: str


@contextmanager
def noting_deletions() -> Iterator[list[Deletion]]:
    """Around the handling of one request: the cards it deleted, as `note_deletion` saw
    them (a request that failed may have noted some that were not kept)."""
    noted: list[Deletion] = []
    token = _deletions.set(noted)
    try:
        yield noted
    finally:
        _deletions.reset(token)


def note_deletion(deletion: Deletion) -> None:
    noted = _deletions.get()
    if noted is not None:
        noted.append(deletion)


def put_body_for(href: str) -> PutBody | None:
    """The body of the PUT being handled, if it is a single item for `href`."""
    body = _put.get()
    return body if body is not None and body.href == href else None


@dataclass
class StoreFaultWatch:
    """Set when the request met a full disk or a busy store (the error it met), for the
    guard to answer."""

    error: StoreFault | None = None


@contextmanager
def watching_store_faults() -> Iterator[StoreFaultWatch]:
    """Around the handling of one request: what `noting_store_faults` saw in it."""
    watch = StoreFaultWatch()
    token = _store_fault.set(watch)
    try:
        yield watch
    finally:
        _store_fault.reset(token)


@contextmanager
def noting_store_faults() -> Iterator[None]:
    """Around the store's work for Radicale: a full disk or a busy store is noted, then
    raised on."""
    try:
        yield
    except (StorageFull, StoreBusy) as error:
        watch = _store_fault.get()
        if watch is not None:
            watch.error = error
        raise
