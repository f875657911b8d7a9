"""What belongs to the request being handled: its transaction, the card it PUTs, the
client's User-Agent, the cards it deleted, how much a REPORT's answer may hold, which
window of members a PROPFIND lists and which books it measures, whether its writes wait
for its answer's status, and whether the store's disk was full or the store too busy.

Radicale calls the storage inside `acquire_lock`; the transaction opened
there lives in a context variable until the lock is released, so every call
of one request sees one consistent state and commits (or not) as one.

Radicale answers any exception from the storage with 500; a full disk or a busy store is
noted here (`noting_store_faults`) so the guard in front of Radicale can answer 507 or 503
instead. A write the store refuses (a UID taken, an unsafe name) is noted too
(`refused_by_store`), so that the guard answers the store's sentence instead of Radicale's
"Bad Request", or its 500 where Radicale does not expect a storage error (a DELETE).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from contacthub.store import StorageFull, Store, StoreBusy, StoreError, Transaction, fault_of
from contacthub_radicale.budget import AnswerBudget
from contacthub_radicale.window import ListingWindow

_transaction: ContextVar[Transaction | None] = ContextVar("transaction", default=None)
_put: ContextVar[PutBody | None] = ContextVar("put", default=None)
_store_fault: ContextVar[StoreFaultWatch | None] = ContextVar("store_fault", default=None)
_budget: ContextVar[AnswerBudget | None] = ContextVar("budget", default=None)
_settlement: ContextVar[Settlement | None] = ContextVar("settlement", default=None)
_window: ContextVar[ListingWindow | None] = ContextVar("window", default=None)
_measured: ContextVar[BookLengths | None] = ContextVar("measured", default=None)
_agent: ContextVar[str] = ContextVar("agent", default="")
_deletions: ContextVar[list[Deletion] | None] = ContextVar("deletions", default=None)
_shared_read: ContextVar[SharedRead | None] = ContextVar("shared_read", default=None)

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
    """The request's transaction, or its shared read, or a short read of its own.

    Radicale builds some answers (PROPFIND's properties) after releasing its
    lock, so reads must work outside it too.
    """
    tx = _transaction.get()
    if tx is not None:
        yield tx
        return
    shared = _shared_read.get()
    if shared is not None and shared.serves(store):
        yield shared.transaction()
        return
    with noting_store_faults(), store.read() as own:
        yield own


class SharedRead:
    """One read transaction for every read of a request outside a write: its login's
    account check, Radicale's look for the principal at each request, the method's own
    reads. A phone's sync-collection took three, and on PostgreSQL each is a checkout, a
    BEGIN and a ROLLBACK. Opened at the first read; a write ends it first, so the reads
    after a write see it; ended with the request (`sharing_reads`)."""

    def __init__(self, store: Store, about: Sequence[str] = ()) -> None:
        self.store = store
        self.about = tuple(about)
        self.ended = False
        self._scope: ExitStack | None = None
        self._tx: Transaction | None = None

    def serves(self, store: Store) -> bool:
        return store is self.store and not self.ended

    def transaction(self) -> Transaction:
        if self._tx is None:
            scope = ExitStack()
            with noting_store_faults():
                self._tx = scope.enter_context(self.store.read())
            self._scope = scope
        return self._tx

    def close(self) -> None:
        """End the open transaction, if any: the next read opens another."""
        scope, self._scope, self._tx = self._scope, None, None
        if scope is not None:
            with noting_store_faults():
                scope.close()

    def end(self) -> None:
        self.ended = True
        self.close()


@contextmanager
def sharing_reads(store: Store, about: Sequence[str] = ()) -> Iterator[None]:
    """The reads of the request inside share one transaction (SharedRead). Whatever
    outlives the request (a streamed answer) reads on its own. `about`: the paths of the
    collections the request is about (`paths_of_request`)."""
    shared = SharedRead(store, about)
    token = _shared_read.set(shared)
    try:
        yield
    finally:
        _shared_read.reset(token)
        shared.end()


def paths_of_request() -> tuple[str, ...]:
    """The collection paths a reading request is about (its target and the target's
    parent). Radicale looks for the principal first and then for the target: the first
    lookup reads these too, and the second finds them in the shared read."""
    shared = _shared_read.get()
    return shared.about if shared is not None else ()


def shared_read() -> SharedRead | None:
    """The request's shared read, if it has one that is still open to reads."""
    shared = _shared_read.get()
    return shared if shared is not None and not shared.ended else None


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
    # The whole book was deleted: its id, in the trash of deleted books.
    deleted_book: int | None = None


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
    """Set when the request met a full disk or a busy store (the error it met), or when the
    store refused one of its writes, for the guard to answer."""

    error: StoreFault | None = None
    refusal: StoreError | None = None


def refused_by_store(error: StoreError) -> ValueError:
    """What the storage raises for a write the store refused: the ValueError Radicale
    answers as a bad request, with the refusal noted for the guard to answer in words."""
    watch = _store_fault.get()
    if watch is not None and fault_of(error) is None:
        watch.refusal = error
    return ValueError(str(error))


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
    except Exception as error:
        watch = _store_fault.get()
        fault = fault_of(error)
        if watch is not None and fault is not None:
            watch.error = fault
        raise


@contextmanager
def budgeting(budget: AnswerBudget) -> Iterator[AnswerBudget]:
    token = _budget.set(budget)
    try:
        yield budget
    finally:
        _budget.reset(token)


def answer_budget() -> AnswerBudget | None:
    """The budget of the REPORT being handled; None for any other request."""
    return _budget.get()


@contextmanager
def listing(window: ListingWindow) -> Iterator[ListingWindow]:
    token = _window.set(window)
    try:
        yield window
    finally:
        _window.reset(token)


def listing_window() -> ListingWindow | None:
    """The window of members the PROPFIND being handled lists; None: all of them."""
    return _window.get()


@dataclass
class BookLengths:
    """The books whose DAV:getcontentlength a PROPFIND asks for: their paths and ids,
    to be counted by the store instead of by joining every card into one string, which
    is how Radicale measures them."""

    base_prefix: str
    books: dict[str, int] = field(default_factory=dict)
    # The combined book of a one-book client (union.py): the ids of all its books.
    combined: dict[str, list[int]] = field(default_factory=dict)
    # Bytes a book holds beyond its cards' (the combined book's group cards).
    extra: dict[str, int] = field(default_factory=dict)


@contextmanager
def measuring_books(base_prefix: str) -> Iterator[BookLengths]:
    lengths = BookLengths(base_prefix)
    token = _measured.set(lengths)
    try:
        yield lengths
    finally:
        _measured.reset(token)


def books_to_measure() -> BookLengths | None:
    return _measured.get()


class _Undone(Exception):
    """Thrown into a kept transaction to roll it back."""


class Settlement:
    """The write transaction of a request, kept open after Radicale's lock is released
    until the request's answer is known: committed for a success, rolled back for an
    error. Radicale answers some errors after it wrote (a PROPPATCH of resourcetype
    wrote the properties, then failed building its answer: 400, and the book had lost
    its type); an answer that says a request failed must leave nothing of it behind."""

    def __init__(self) -> None:
        self._stack = ExitStack()
        self.transaction: Transaction | None = None

    def keep(self, scope: AbstractContextManager[Transaction]) -> Transaction:
        if self.transaction is None:
            self.transaction = self._stack.enter_context(scope)
        return self.transaction

    def settle(self, commit: bool) -> None:
        if commit:
            self._stack.close()
            return
        try:
            self._stack.__exit__(_Undone, _Undone(), None)
        except _Undone:
            pass


@contextmanager
def settling() -> Iterator[Settlement]:
    """Writes within are kept until `settle`; rolled back if it is not called."""
    settlement = Settlement()
    token = _settlement.set(settlement)
    try:
        yield settlement
    except BaseException:
        settlement.settle(commit=False)
        raise
    finally:
        _settlement.reset(token)
    settlement.settle(commit=False)  # a no-op once settled


def settlement() -> Settlement | None:
    return _settlement.get()
