"""The transaction every store operation runs in."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from contacthub.store.actor import UNKNOWN, Actor
from contacthub.store.locks import HeldLocks

if TYPE_CHECKING:
    from contacthub.store import Store
    from contacthub.store.records import CollectionRecord

logger = logging.getLogger(__name__)


class TxBase:
    """One database transaction; the parts of the store API are mixed into it.

    A part that calls another part's methods inherits that part, as
    `ItemsPart(FoldersPart, ChangesPart)` does: what a file builds on is in its class
    line, and the type checker sees every call. Parts that stand alone inherit TxBase.
    """

    def __init__(
        self, store: Store, conn: Connection, *, writable: bool, actor: Actor | None = None
    ) -> None:
        self.store = store
        self.conn = conn
        self.writable = writable
        self.locks = HeldLocks()
        self.actor = actor
        # The runs' stagings this transaction publishes: a run it records is theirs.
        self.publishing: list[tuple[int, int]] = []
        # A read transaction's collections by path, None where there is none (folders.py).
        self.collections_seen: dict[str, CollectionRecord | None] = {}
        # What Store.write calls once this transaction committed (nothing if it did not).
        self.after_commit: list[Callable[[], None]] = []

    @property
    def writer(self) -> Actor:
        """Who writes in this transaction, for the versions of the cards it writes. A
        writer that named nobody is recorded as 'unknown', and logged as the bug it is."""
        if self.actor is None:
            logger.warning(
                "a card was written with no actor (Store.write(actor=...)): "
                "its version records 'unknown'",
                stack_info=True,
            )
            self.actor = UNKNOWN
        return self.actor

    @property
    def is_sqlite(self) -> bool:
        return self.conn.dialect.name == "sqlite"

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """All or nothing inside the transaction: an error undoes only what the block did,
        the row locks it took included (PostgreSQL releases them), so the store forgets
        them too."""
        held = self.locks.copy()
        try:
            with self.conn.begin_nested():
                yield
        except BaseException:
            self.locks = held
            raise

    def wrote_other_rows(self, what: str) -> None:
        """Note a write outside the collections (sources, runs, ...): see HeldLocks."""
        self.locks.wrote(what)
