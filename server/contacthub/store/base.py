"""The transaction every store operation runs in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection

if TYPE_CHECKING:
    from contacthub.store import Store


class TxBase:
    """One database transaction; the parts of the store API are mixed into it."""

    def __init__(self, store: Store, conn: Connection, *, writable: bool) -> None:
        self.store = store
        self.conn = conn
        self.writable = writable

    @property
    def is_sqlite(self) -> bool:
        return self.conn.dialect.name == "sqlite"
