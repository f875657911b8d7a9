"""Records coming in, and the change set that reconciling them produces."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from contacthub.errors import Conflict
from contacthub.store import ItemData

Action = Literal["add", "update", "delete", "unchanged", "skip"]


class SourceChangedMeanwhile(Conflict):
    """Another run of the same source got in between this run's read and its plan."""

    def __init__(self) -> None:
        super().__init__("source_changed", "the sync changed while it was read; run it again")


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with one record, located for a person: line, column, reason."""

    reason: str
    line: int | None = None
    column: str | None = None
    key: str | None = None

    def as_dict(self) -> dict[str, Any]:
        found = {"reason": self.reason, "line": self.line, "column": self.column, "key": self.key}
        return {k: v for k, v in found.items() if v is not None}

    def __str__(self) -> str:
        where = ", ".join(
            part
            for part in (
                f"line {self.line}" if self.line is not None else "",
                f"column {self.column!r}" if self.column else "",
            )
            if part
        )
        return f"{where}: {self.reason}" if where else self.reason


@dataclass(frozen=True, slots=True)
class Incoming:
    """A record from a source: its key, how to build its card, and a hash of the record.

    `make_card(uid)` builds the card with the UID it gets: `uid` for a new
    contact, the linked contact's UID for an update. It runs only for adds and
    updates, and `record_hash` (of the source's record, not the card) lets an
    unchanged record be recognised without building anything.
    """

    key: str
    uid: str  # the UID a new contact gets; "" lets the reconciler make one
    # None when the source knows the record is unchanged since it was last applied.
    make_card: Callable[[str], ItemData] | None
    record_hash: str
    line: int | None = None
    summary: str = ""  # the name a preview shows


@dataclass(frozen=True, slots=True)
class Change:
    """One action of a change set. The card of an add or update is built only
    when the change is applied (`make_card(uid)`), so a preview builds none and
    a large import holds only a batch of cards at a time."""

    action: Action
    key: str
    uid: str = ""
    href: str = ""
    make_card: Callable[[str], ItemData] | None = None
    record_hash: str = ""
    reason: str = ""
    line: int | None = None
    summary: str = ""
    etag: str = ""  # of the card an update or delete was planned from

    def card(self) -> ItemData:
        if self.make_card is None:
            # The source judged the record unchanged from links that changed since:
            # another run of the same source got in between.
            raise SourceChangedMeanwhile()
        return self.make_card(self.uid)

    def as_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {
            "action": self.action,
            "key": self.key,
            "uid": self.uid,
            "name": self.summary,
        }
        if self.reason:
            shown["reason"] = self.reason
        if self.line is not None:
            shown["line"] = self.line
        return shown


@dataclass(frozen=True, slots=True)
class MergedChange:
    """A change to a merged card (duplicates/merge.py), wherever it lives: an update
    merged three-way from the link's base, a deletion, or ("forget") only the link, when
    other sources still feed the card. Written after the run's book is published."""

    action: Literal["update", "delete", "forget"]
    change: Change
    collection_id: int
    base: str  # the card the source brought last


# The reason of a record skipped because a person deleted its contact here: never brought back.
DELETED_HERE = "deleted on the server"


@dataclass
class ChangeSet:
    changes: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    refused: str = ""  # why the whole set may not be applied (the mass-deletion guard)
    tombstoned: list[str] = field(default_factory=list)  # keys whose contact the user deleted
    merged: list[MergedChange] = field(default_factory=list)

    def of(self, action: Action) -> list[Change]:
        return [change for change in self.changes if change.action == action]

    @property
    def counts(self) -> dict[str, int]:
        counted = Counter(change.action for change in self.changes)
        counted.update(m.action for m in self.merged if m.action != "forget")
        return {
            "added": counted["add"],
            "updated": counted["update"],
            "deleted": counted["delete"],
            "unchanged": counted["unchanged"],
            "skipped": counted["skip"],
            "errors": len(self.problems),
        }

    @property
    def stays_deleted(self) -> list[Change]:
        """The records of this set whose contact a person deleted here: each is skipped, as
        on every later run (`tombstoned` holds only the deletions this set records)."""
        return [c for c in self.changes if c.action == "skip" and c.reason == DELETED_HERE]

    def left_out(self, keys: set[str], reason: str) -> None:
        """The changes of `keys` were not made after all: they are skips for `reason`."""
        if keys:
            self.changes = [
                _skip(change, reason) if change.key in keys else change for change in self.changes
            ]
            self.merged = [m for m in self.merged if m.change.key not in keys]

    @property
    def has_changes(self) -> bool:
        return bool(self.merged) or any(
            change.action in ("add", "update", "delete") for change in self.changes
        )


def _skip(change: Change, reason: str) -> Change:
    return Change(
        "skip", change.key, change.uid, reason=reason, line=change.line, summary=change.summary
    )
