"""The grouping as it was before the lanes joined a key's holders at once (commit 96543c5:
a dict entry and a list of matches per pair), kept only to check the new one against it
(test_grouping_differential.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations

from contacthub.duplicates.grouping import Cards, GroupData, Held, group_id
from contacthub.duplicates.lanes import (
    LANES,
    MAX_HOLDERS,
    Card,
    Lane,
    ReasonKind,
    compatible,
    similar_name_pairs,
)

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


def offered_groups(
    cards: Cards, dismissed: set[tuple[str, str]], *, name_lane: bool
) -> list[GroupData]:
    """The groups of every lane (the name lane only with `name_lane`)."""
    pairs = contact_pairs(cards.holders, cards.names)
    if name_lane:
        name_pairs(cards.names, similar=True, into=pairs)
    return _groups(cards, _undismissed(cards, pairs, dismissed))


def safest(cards: Cards, dismissed: set[tuple[str, str]]) -> list[GroupData]:
    """The groups automatic merging may merge (lanes.safest_pairs)."""
    return _groups(cards, _undismissed(cards, safest_pairs(cards.holders, cards.names), dismissed))


def _undismissed(cards: Cards, pairs: Pairs, dismissed: set[tuple[str, str]]) -> Pairs:
    if not dismissed:
        return pairs
    kept = Pairs()
    for pair, lane in pairs.lane.items():
        first, second = sorted((cards.stable(pair[0]), cards.stable(pair[1])))
        if (first, second) in dismissed:
            continue
        kept.lane[pair] = lane
        kept.matches[pair] = pairs.matches[pair]
    return kept


def _groups(cards: Cards, pairs: Pairs) -> list[GroupData]:
    found: list[GroupData] = []
    # The safer lanes' groups, by card: a pair of cards one of them holds already is not
    # offered again in a weaker lane.
    joined: dict[Card, set[tuple[Lane, int]]] = defaultdict(set)
    for lane in LANES:
        in_lane = [
            pair
            for pair, its_lane in pairs.lane.items()
            if its_lane == lane and not (joined.get(pair[0], set()) & joined.get(pair[1], set()))
        ]
        groups = components(in_lane)
        group_of: dict[Card, int] = {}
        for index, members in enumerate(groups):
            for card in members:
                joined[card].add((lane, index))
                group_of[card] = index
        matches: list[list[Match]] = [[] for _ in groups]
        for pair in in_lane:
            matches[group_of[pair[0]]].extend(pairs.matches[pair])
        found.extend(
            _group(cards, lane, members, its) for members, its in zip(groups, matches, strict=True)
        )
    return found


def _group(cards: Cards, lane: Lane, members: list[Card], matches: list[Match]) -> GroupData:
    inside = set(members)
    reasons: dict[tuple[str, str], list[Held]] = {}
    for match in matches:
        if (match.kind, match.value) not in reasons:
            held = sorted(cards.refs[card] for card in match.cards if card in inside)
            reasons[(match.kind, match.value)] = held
    return GroupData(
        group_id(lane, (cards.stable(card) for card in members)),
        lane,
        [(*cards.refs[card], cards.uids[card], cards.fns[card]) for card in members],
        [(kind, value, held) for (kind, value), held in sorted(reasons.items())],
    )
