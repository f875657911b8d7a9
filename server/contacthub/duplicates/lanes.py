"""Pairs of cards that may be one person, each in the lane of its best reason, and the
groups they make. Pure functions over keys: no store, no vCard.

- safe: the cards share an email or a phone, and their names are compatible (equal
  normalised names, one's words a subset of the other's, or one has no name);
- contact: they share an email or a phone, and their names are not compatible; or the
  shared value is one several people hold (its holders' names are not all compatible: an
  organisation's switchboard, a family's landline, info@), which never makes a pair safe;
- name: only the normalised name is equal (two words or more), or similar (Jaro-Winkler
  >= 0.92 within blocks, see `similar_name_pairs`): offered only when the account opts in.

A value more than MAX_HOLDERS cards hold matches nothing: it is an organisation's, and
its pairs would be a clique of everyone in it. A group is a connected component of one
lane's pairs, so a card may be in one group per lane.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Literal

from rapidfuzz.distance import JaroWinkler

Lane = Literal["safe", "contact", "name"]
LANES: tuple[Lane, ...] = ("safe", "contact", "name")
ReasonKind = Literal["email", "phone", "name", "similar_name"]
Card = int  # a card's number among those a find read

MAX_HOLDERS = 50
SIMILAR = 0.92
_RANK = {"safe": 0, "contact": 1, "name": 2}
_KIND_OF_KEY: dict[str, ReasonKind] = {"email": "email", "tel": "phone"}


@dataclass(frozen=True, slots=True)
class Match:
    """A reason two or more cards matched: which value, and which cards hold it."""

    kind: ReasonKind
    value: str
    cards: tuple[Card, ...]


@dataclass
class Pairs:
    """Each pair's lane and the matches behind it."""

    lane: dict[tuple[Card, Card], Lane] = field(default_factory=dict)
    matches: dict[tuple[Card, Card], list[Match]] = field(default_factory=dict)

    def add(self, a: Card, b: Card, lane: Lane, match: Match) -> None:
        pair = (a, b) if a < b else (b, a)
        known = self.lane.get(pair)
        if known is None or _RANK[lane] < _RANK[known]:
            self.lane[pair] = lane
        self.matches.setdefault(pair, []).append(match)


def words(name: str) -> frozenset[str]:
    return frozenset(name.split())


def compatible(first: str, second: str) -> bool:
    """Names that may be one person's: equal, one's words within the other's, or one empty."""
    if first == second or not first or not second:
        return True
    a, b = words(first), words(second)
    return a <= b or b <= a


def contact_pairs(
    holders: Mapping[tuple[str, str], list[Card]], names: Mapping[Card, str]
) -> Pairs:
    """The pairs that share an email or a phone (`holders`: cards per (kind, key))."""
    pairs = Pairs()
    for (kind, key), cards in holders.items():
        if len(cards) < 2 or len(cards) > MAX_HOLDERS:
            continue
        match = Match(_KIND_OF_KEY[kind], key, tuple(sorted(cards)))
        several = _held_by_several(cards, names)
        for a, b in combinations(cards, 2):
            safe = not several and compatible(names.get(a, ""), names.get(b, ""))
            pairs.add(a, b, "safe" if safe else "contact", match)
    return pairs


def _held_by_several(cards: list[Card], names: Mapping[Card, str]) -> bool:
    named = {names[card] for card in cards if names.get(card)}
    if len(named) < 2:
        return False
    return any(not compatible(a, b) for a, b in combinations(sorted(named), 2))


def safest_pairs(holders: Mapping[tuple[str, str], list[Card]], names: Mapping[Card, str]) -> Pairs:
    """The pairs automatic merging may take: the same email (one person's) and the same
    non-empty normalised name."""
    pairs = Pairs()
    for (kind, key), cards in holders.items():
        if kind != "email" or len(cards) < 2 or len(cards) > MAX_HOLDERS:
            continue
        if _held_by_several(cards, names):
            continue
        match = Match("email", key, tuple(sorted(cards)))
        for a, b in combinations(cards, 2):
            if names.get(a) and names.get(a) == names.get(b):
                pairs.add(a, b, "safe", match)
    return pairs


def name_pairs(names: Mapping[Card, str], *, similar: bool, into: Pairs) -> None:
    """Add the pairs of equal names (two words or more) and, with `similar`, of similar
    ones, to `into` in the name lane (a pair already in a safer lane stays there)."""
    by_name: dict[str, list[Card]] = defaultdict(list)
    for card, name in names.items():
        if len(name.split()) >= 2:
            by_name[name].append(card)
    for name, cards in by_name.items():
        if 2 <= len(cards) <= MAX_HOLDERS:
            match = Match("name", name, tuple(sorted(cards)))
            for a, b in combinations(cards, 2):
                into.add(a, b, "name", match)
    if not similar:
        return
    for first, second in similar_name_pairs(by_name):
        match = Match("similar_name", f"{first} ~ {second}", ())
        for a in by_name[first][:MAX_HOLDERS]:
            for b in by_name[second][:MAX_HOLDERS]:
                into.add(a, b, "name", Match(match.kind, match.value, tuple(sorted((a, b)))))


def similar_name_pairs(names: Iterable[str]) -> list[tuple[str, str]]:
    """Pairs of different normalised names with a Jaro-Winkler similarity of at least
    0.92. Names are compared within blocks of the same first two letters of their first
    and last (sorted) words, so the cost follows the blocks' sizes, not the square of the
    account's names; a typing error in a word's first two letters is not found."""
    blocks: dict[tuple[str, str], list[str]] = defaultdict(list)
    for name in names:
        parts = name.split()
        blocks[(parts[0][:2], parts[-1][:2])].append(name)
    found: list[tuple[str, str]] = []
    for block in blocks.values():
        for first, second in combinations(sorted(block), 2):
            if JaroWinkler.normalized_similarity(first, second, score_cutoff=SIMILAR):
                found.append((first, second))
    return found


def components(pairs: Iterable[tuple[Card, Card]]) -> list[list[Card]]:
    """The connected components of the pairs, each sorted, in order."""
    parent: dict[Card, Card] = {}

    def root(card: Card) -> Card:
        parent.setdefault(card, card)
        while parent[card] != card:
            parent[card] = parent[parent[card]]
            card = parent[card]
        return card

    for a, b in pairs:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    grouped: dict[Card, list[Card]] = defaultdict(list)
    for card in parent:
        grouped[root(card)].append(card)
    return sorted(sorted(cards) for cards in grouped.values())
