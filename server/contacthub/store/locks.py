"""The locks a write transaction holds, and the one order it may take them in.

The order (the store's docstring says why): first collection rows, in path order, each
before the first write to it; then any other row. A transaction that asks for a lock out
of this order gets LockOrderError at once, on SQLite as on PostgreSQL, so a writer that
would deadlock under load fails the first test that runs it instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace


class LockOrderError(RuntimeError):
    """A writer asked for a lock out of the store's order: a bug in that writer (declare the
    collection in `Store.write(paths)`, or write it before any other row)."""


@dataclass
class HeldLocks:
    """Which collection rows this transaction holds (path -> id), the highest path it has
    asked to lock so far, and the first other row it wrote, if any."""

    collections: dict[str, int] = field(default_factory=dict)
    highest: str | None = None
    other_rows: str | None = None

    def to_lock(self, paths: Iterable[str]) -> list[str]:
        """The paths of `paths` not held yet, in path order; LockOrderError if taking them
        now would break the order."""
        wanted = sorted(set(paths) - self.collections.keys())
        if not wanted:
            return []
        if self.other_rows is not None:
            raise LockOrderError(
                f"collection {wanted[0]!r} locked after {self.other_rows} were written: "
                "a transaction locks the collections it writes before any other row"
            )
        if self.highest is not None and wanted[0] < self.highest:
            raise LockOrderError(
                f"collection {wanted[0]!r} locked after {self.highest!r}: collections are "
                "locked in path order; name every collection in Store.write(paths)"
            )
        self.highest = wanted[-1]
        return wanted

    def took(self, path: str, collection_id: int) -> None:
        self.collections[path] = collection_id

    def check_held(self, collection_id: int) -> None:
        if collection_id not in self.collections.values():
            raise LockOrderError(
                f"collection {collection_id} written without its lock: lock_collections first"
            )

    def wrote(self, what: str) -> None:
        """Rows outside the collections were written: no collection may be locked after."""
        if self.other_rows is None:
            self.other_rows = what

    def copy(self) -> HeldLocks:
        return replace(self, collections=dict(self.collections))
