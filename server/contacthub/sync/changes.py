"""Records coming in, and the change set that reconciling them produces."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from contacthub.store import ItemData

Action = Literal["add", "update", "delete", "unchanged", "skip"]


@dataclass(frozen=True)
class Problem:
    """Something wrong with one record, located for a person: line, column, reason."""

    reason: str
    line: int | None = None
    column: str | None = None
    key: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def __str__(self) -> str:
        where = ", ".join(
            part for part in (
                f"line {self.line}" if self.line is not None else "",
                f"column {self.column!r}" if self.column else "",
            ) if part
        )
        return f"{where}: {self.reason}" if where else self.reason


@dataclass(frozen=True)
class Incoming:
    """A record from a source: its key, how to build its card, and a hash of the record.

    `make_card(uid)` builds the card with the UID it gets: `uid` for a new
    contact, the linked contact's UID for an update. It runs only for adds and
    updates, and `record_hash` (of the source's record, not the card) lets an
    unchanged record be recognised without building anything.
    """

    key: str
    uid: str
    make_card: Callable[[str], ItemData]
    record_hash: str
    line: int | None = None
    summary: str = ""  # the name a preview shows


@dataclass(frozen=True)
class Change:
    action: Action
    key: str
    uid: str = ""
    href: str = ""
    card: ItemData | None = None
    record_hash: str = ""
    reason: str = ""
    line: int | None = None
    summary: str = ""

    def as_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"action": self.action, "key": self.key, "uid": self.uid,
                                 "name": self.summary}
        if self.reason:
            shown["reason"] = self.reason
        if self.line is not None:
            shown["line"] = self.line
        return shown


@dataclass
class ChangeSet:
    changes: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    refused: str = ""  # why the whole set may not be applied (the mass-deletion guard)
    tombstoned: list[str] = field(default_factory=list)  # keys whose contact the user deleted

    def of(self, action: Action) -> list[Change]:
        return [change for change in self.changes if change.action == action]

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(change.action for change in self.changes)
        return {
            "added": counted["add"],
            "updated": counted["update"],
            "deleted": counted["delete"],
            "unchanged": counted["unchanged"],
            "skipped": counted["skip"],
            "errors": len(self.problems),
        }

    @property
    def has_changes(self) -> bool:
        return any(change.action in ("add", "update", "delete") for change in self.changes)
