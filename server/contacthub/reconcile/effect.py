"""What a run did to its book, in words that cannot be misread: a refused or failed run
changed nothing, and its counts are what it would have done."""

from __future__ import annotations

from collections.abc import Mapping

APPLIED = frozenset({"ok", "no_changes"})  # the statuses of runs whose changes were written
CHANGES = ("added", "updated", "deleted")  # the counts that are changes to the book
NOTHING_TO_DO = "every contact was already up to date"


def applied(status: str) -> bool:
    """Whether a run with this status wrote its changes (ok, no changes); a refused or
    failed run wrote nothing, whatever its counts say."""
    return status in APPLIED


def effect(status: str, counts: Mapping[str, int]) -> str:
    """ "Added 3 and deleted 1." for a run that was applied; "Would have added 20 and
    deleted 4; nothing was changed." for one that was not."""
    verbs = [f"{name} {counts[name]}" for name in CHANGES if counts.get(name)]
    if applied(status):
        return f"{_sentence(verbs).capitalize()}." if verbs else "Nothing needed changing."
    if not verbs:
        return "Nothing was changed."
    return f"Would have {_sentence(verbs)}; nothing was changed."


def _sentence(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]
