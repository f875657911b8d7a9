"""Automatic merging of the safest lane: contacts with the same email (held by one
person) and the same normalised full name, merged with the default choices when the
account turns `auto_merge` on. Each group is a merge of its own, marked automatic, so
each can be undone on its own.

A group two of whose contacts were in a merge that has been undone (automatic or not) is
left for review: a person took them apart once, and merging them again at the next run
would undo the undo.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from itertools import combinations

from contacthub.duplicates.find import DuplicateGroup, safest_groups
from contacthub.duplicates.merge import MergeOutcome, merge_cards
from contacthub.errors import UserError
from contacthub.store import Store

logger = logging.getLogger(__name__)

VIA = "automatic"

Identity = tuple[str, str]  # a card's book path and UID


@dataclass(frozen=True)
class Skipped:
    group: DuplicateGroup
    reason: str


@dataclass(frozen=True)
class AutoMerged:
    """What one pass of automatic merging did: the merges made and the groups left."""

    merged: list[MergeOutcome] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def merge_safest(store: Store, owner: str) -> AutoMerged:
    """Merge the owner's safest groups if the account asks for it (else nothing)."""
    with store.read() as tx:
        if not tx.duplicate_settings(owner).auto_merge:
            return AutoMerged()
    groups = safest_groups(store, owner)
    if not groups:
        return AutoMerged()
    taken_apart = _undone_pairs(store, owner)
    done = AutoMerged()
    for group in groups:
        if any(pair in taken_apart for pair in _pairs(group)):
            done.skipped.append(Skipped(group, "a merge of these contacts was undone"))
            continue
        refs = [candidate.ref for candidate in group.contacts]
        try:
            done.merged.append(merge_cards(store, owner, refs, via=VIA, automatic=True))
        except UserError as refused:  # a card changed or went meanwhile: left for review
            logger.info("automatic merge of group %s of %s left: %s", group.id, owner, refused)
            done.skipped.append(Skipped(group, str(refused)))
    return done


def _pairs(group: DuplicateGroup) -> list[frozenset[Identity]]:
    members = [(candidate.ref.book, candidate.uid) for candidate in group.contacts]
    return [frozenset(pair) for pair in combinations(members, 2)]


def _undone_pairs(store: Store, owner: str) -> set[frozenset[Identity]]:
    with store.read() as tx:
        undone = tx.undone_merges(owner)
    pairs: set[frozenset[Identity]] = set()
    for merge in undone:
        members = [(member["book"], member["uid"]) for member in merge.members]
        pairs.update(frozenset(pair) for pair in combinations(members, 2))
    return pairs
