"""The transaction every store operation runs in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from sqlalchemy import Connection

from contacthub.store.locks import HeldLocks

if TYPE_CHECKING:
    from contacthub.store import Store


class TxBase:
    """One database transaction; the parts of the store API are mixed into it.

    A part that calls another part's methods inherits that part, as
    `ItemsPart(FoldersPart, ChangesPart)` does: what a file builds on is in its class
    line, and the type checker sees every call. Parts that stand alone inherit TxBase.
    """

    def __init__(self, store: Store, conn: Connection, *, writable: bool) -> None:
        self.store = store
        self.conn = conn
        self.writable = writable
        self.locks = HeldLocks()

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
