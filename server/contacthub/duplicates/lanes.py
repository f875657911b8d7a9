"""The groups of cards that may be one person, lane by lane. Pure functions over keys: no
store, no vCard.

A pair of cards is in the lane of its best reason:

- safe: the cards share an email or a phone, and their names are compatible (equal
  normalised names, one's words a subset of the other's, or one has no name);
- contact: they share an email or a phone, and their names are not compatible; or the
  shared value is one several people hold (its holders' names are not all compatible: an
  organisation's switchboard, a family's landline, info@), which never makes a pair safe;
- name: only the normalised name is equal (two words or more), or similar (Jaro-Winkler
  >= 0.92 within blocks, see `similar_name_pairs`): offered only when the account opts in.

A value more than MAX_HOLDERS cards hold matches nothing: it is an organisation's, and
its pairs would be a clique of everyone in it. A group is a connected component of one
lane's pairs, without the pairs already in one group of a safer lane, so a card may be in
one group per lane; a group lists every value that one of its pairs matched on.

The pairs are never listed (a first find has hundreds of thousands): a key's holders are
joined at once. Every pair of a key one person holds (`_held_by_several` false) is
compatible, so its holders are one safe group's; two holders of a key in different safe
groups are a contact pair, so a key whose holders span two safe groups joins them all in
the contact lane. Only the holders of a key with a dismissed pair among them, of a key
several people hold, and of a name are looked at pair by pair.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import combinations
from typing import Literal

from rapidfuzz.distance import JaroWinkler

Lane = Literal["safe", "contact", "name"]
LANES: tuple[Lane, ...] = ("safe", "contact", "name")
ReasonKind = Literal["email", "phone", "name", "similar_name"]
Card = int  # a card's number among those a find read

MAX_HOLDERS = 50
SIMILAR = 0.92
_KIND_OF_KEY: dict[str, ReasonKind] = {"email": "email", "tel": "phone"}

Holders = Mapping[tuple[str, str], list[Card]]  # cards per (kind, key)
Pair = tuple[Card, Card]
# A group as found: its lane, its cards (sorted), and why: kind, value, the cards holding it.
Found = tuple[Lane, list[Card], list[tuple[ReasonKind, str, list[Card]]]]


def words(name: str) -> frozenset[str]:
    return frozenset(name.split())


def compatible(first: str, second: str) -> bool:
    """Names that may be one person's: equal, one's words within the other's, or one empty."""
    if first == second or not first or not second:
        return True
    a, b = words(first), words(second)
    return a <= b or b <= a


def _held_by_several(cards: list[Card], names: Mapping[Card, str]) -> bool:
    named = {names[card] for card in cards if names.get(card)}
    if len(named) < 2:
        return False
    return any(not compatible(a, b) for a, b in combinations(sorted(named), 2))


class _Forest:
    """Union-find over the cards' numbers; a card is in a group once joined to another."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))
        self.joined = bytearray(size)

    def root(self, card: Card) -> Card:
        parent = self.parent
        while parent[card] != card:
            parent[card] = parent[parent[card]]
            card = parent[card]
        return card

    def join(self, cards: Sequence[Card]) -> None:
        parent, joined = self.parent, self.joined
        first = self.root(cards[0])
        joined[cards[0]] = 1
        for card in cards[1:]:
            joined[card] = 1
            other = self.root(card)
            if other < first:
                parent[first] = first = other
            elif other != first:
                parent[other] = first

    def join_allowed(self, cards: list[Card], away: _Dismissed) -> None:
        """Join the cards, all at once where no pair of them is dismissed, else pair by pair
        leaving the dismissed pairs out."""
        if not away.among(cards):
            self.join(cards)
            return
        for a, b in combinations(cards, 2):
            if away.allowed(a, b):
                self.join((a, b))

    def labels(self) -> list[int]:
        """Each card's group (its root), or a number no other card has (-1 - the card)."""
        joined, root = self.joined, self.root
        return [root(card) if joined[card] else -1 - card for card in range(len(joined))]


class _Dismissed:
    """The dismissed pairs, by card."""

    def __init__(self, pairs: Iterable[Pair]) -> None:
        self.partners: dict[Card, set[Card]] = defaultdict(set)
        for a, b in pairs:
            self.partners[a].add(b)
            self.partners[b].add(a)

    def among(self, cards: list[Card]) -> bool:
        partners = self.partners
        return bool(partners) and any(
            card in partners and not partners[card].isdisjoint(cards) for card in cards
        )

    def allowed(self, a: Card, b: Card) -> bool:
        return b not in self.partners.get(a, ())


class _Reasons:
    """Each group's reasons by (kind, value): the first found stays (as a pair's would)."""

    def __init__(self) -> None:
        self.of: dict[int, dict[tuple[ReasonKind, str], list[Card]]] = defaultdict(dict)

    def add(self, group: int, kind: ReasonKind, value: str, cards: list[Card]) -> None:
        self.of[group].setdefault((kind, value), cards)

    def listed(self, group: int) -> list[tuple[ReasonKind, str, list[Card]]]:
        return [(kind, value, cards) for (kind, value), cards in sorted(self.of[group].items())]


def _buckets(cards: list[Card], labels: list[int]) -> dict[int, list[Card]]:
    """The cards by their group in a lane (those in none left out), of two cards or more."""
    found: dict[int, list[Card]] = defaultdict(list)
    for card in cards:
        if labels[card] >= 0:
            found[labels[card]].append(card)
    return {label: held for label, held in found.items() if len(held) >= 2}


def _any_pair(cards: list[Card], test: Callable[[Card, Card], bool]) -> bool:
    return any(test(a, b) for a, b in combinations(cards, 2))


class _Account:
    """The keys of a find and the pair tests the lanes need."""

    def __init__(
        self, holders: Holders, names: Mapping[Card, str], dismissed: Iterable[Pair]
    ) -> None:
        self.names = names
        self.dismissed = _Dismissed(dismissed)
        self.keys: list[tuple[ReasonKind, str, list[Card], bool]] = [
            (_KIND_OF_KEY[kind], key, cards, _held_by_several(cards, names))
            for (kind, key), cards in holders.items()
            if 2 <= len(cards) <= MAX_HOLDERS
        ]
        self._keys_of: dict[Card, list[int]] | None = None

    def keys_of(self, card: Card) -> list[int]:
        """The places in `keys` of the keys the card holds (built when first asked)."""
        if self._keys_of is None:
            self._keys_of = defaultdict(list)
            for place, (_, _, cards, _) in enumerate(self.keys):
                for held in cards:
                    self._keys_of[held].append(place)
        return self._keys_of.get(card, [])

    def safe_pair(self, a: Card, b: Card) -> bool:
        """Compatible names and a key one person holds in common."""
        if not self.dismissed.allowed(a, b):
            return False
        if not compatible(self.names.get(a, ""), self.names.get(b, "")):
            return False
        theirs = set(self.keys_of(b))
        return any(place in theirs and not self.keys[place][3] for place in self.keys_of(a))

    def share_a_key(self, a: Card, b: Card) -> bool:
        return not set(self.keys_of(a)).isdisjoint(self.keys_of(b))


def grouped(
    holders: Holders,
    names: Mapping[Card, str],
    dismissed: Iterable[Pair],
    size: int,
    *,
    name_lane: bool,
) -> list[Found]:
    """The groups of every lane (the name lane only with `name_lane`) of `size` cards;
    `holders`: the cards of each email and phone key; `names`: the cards' normalised names;
    `dismissed`: pairs never offered."""
    account = _Account(holders, names, dismissed)
    safe, safe_reasons = _safe_lane(account, size)
    contact, contact_reasons = _contact_lane(account, size, safe)
    named = (
        _name_lane(account, size, (safe, safe_reasons), (contact, contact_reasons))
        if name_lane
        else []  # (before the others are listed: it adds to their reasons)
    )
    return _found("safe", safe, safe_reasons) + _found("contact", contact, contact_reasons) + named


def _name_lane(
    account: _Account,
    size: int,
    safe_lane: tuple[list[int], _Reasons],
    contact_lane: tuple[list[int], _Reasons],
) -> list[Found]:
    """The name groups: cards of one name, or of similar names, in no group together yet;
    and the names the safe and contact groups' pairs share, among their reasons."""
    away = account.dismissed
    safe, contact = safe_lane[0], contact_lane[0]
    by_name = _by_name(account.names)
    named = [(name, cards) for name, cards in by_name.items() if 2 <= len(cards) <= MAX_HOLDERS]
    similar = [
        (f"{first} ~ {second}", by_name[first][:MAX_HOLDERS], by_name[second][:MAX_HOLDERS])
        for first, second in similar_name_pairs(by_name)
    ]

    def name_pair(a: Card, b: Card) -> bool:
        return safe[a] != safe[b] and contact[a] != contact[b] and away.allowed(a, b)

    def contact_pair(a: Card, b: Card) -> bool:
        return safe[a] != safe[b] and away.allowed(a, b) and account.share_a_key(a, b)

    forest = _Forest(size)
    for _, cards in named:
        for a, b in combinations(cards, 2):
            if name_pair(a, b):
                forest.join((a, b))
    for _, firsts, seconds in similar:
        for a in firsts:
            for b in seconds:
                if name_pair(a, b):
                    forest.join((a, b))
    lane = (forest.labels(), _Reasons())
    tests = ((safe_lane, account.safe_pair), (contact_lane, contact_pair), (lane, name_pair))
    for (labels, reasons), test in tests:
        for name, cards in named:
            for group, held in _buckets(cards, labels).items():
                if _any_pair(held, test):
                    reasons.add(group, "name", name, held)
        for value, firsts, seconds in similar:
            for a in firsts:
                for b in seconds:
                    if labels[a] >= 0 and labels[a] == labels[b] and test(a, b):
                        reasons.add(labels[a], "similar_name", value, sorted((a, b)))
    return _found("name", *lane)


def _safe_lane(account: _Account, size: int) -> tuple[list[int], _Reasons]:
    """The safe groups: the holders of each key one person holds, joined."""
    away = account.dismissed
    forest = _Forest(size)
    for _, _, cards, several in account.keys:
        if several:
            continue
        forest.join_allowed(cards, away)
    labels = forest.labels()
    reasons = _Reasons()
    for kind, key, cards, several in account.keys:
        if not several and not away.among(cards):
            reasons.add(labels[cards[0]], kind, key, cards)
            continue
        test = account.safe_pair if several else away.allowed
        for group, held in _buckets(cards, labels).items():
            if _any_pair(held, test):
                reasons.add(group, kind, key, held)
    return labels, reasons


def _contact_lane(account: _Account, size: int, safe: list[int]) -> tuple[list[int], _Reasons]:
    """The contact groups: the holders of each key that are in different safe groups."""
    away = account.dismissed

    def contact_pair(a: Card, b: Card) -> bool:
        return safe[a] != safe[b] and away.allowed(a, b)

    forest = _Forest(size)
    for _, _, cards, _ in account.keys:
        if not away.among(cards):
            if len({safe[card] for card in cards}) >= 2:
                forest.join(cards)
            continue
        for a, b in combinations(cards, 2):
            if contact_pair(a, b):
                forest.join((a, b))
    labels = forest.labels()
    reasons = _Reasons()
    for kind, key, cards, _ in account.keys:
        for group, held in _buckets(cards, labels).items():
            if _any_pair(held, contact_pair):
                reasons.add(group, kind, key, held)
    return labels, reasons


def _found(lane: Lane, labels: list[int], reasons: _Reasons) -> list[Found]:
    forest_groups: dict[int, list[Card]] = defaultdict(list)
    for card, label in enumerate(labels):
        if label >= 0:
            forest_groups[label].append(card)
    return [(lane, cards, reasons.listed(label)) for label, cards in forest_groups.items()]


def _by_name(names: Mapping[Card, str]) -> dict[str, list[Card]]:
    """The cards of each name of two words or more."""
    by_name: dict[str, list[Card]] = defaultdict(list)
    for card, name in names.items():
        if len(name.split()) >= 2:
            by_name[name].append(card)
    return by_name


def safest_grouped(
    holders: Holders, names: Mapping[Card, str], dismissed: Iterable[Pair], size: int
) -> list[Found]:
    """The groups automatic merging may take: the same email (one person's) and the same
    non-empty normalised name."""
    away = _Dismissed(dismissed)
    classes: list[tuple[str, list[Card]]] = []
    for (kind, key), cards in holders.items():
        if kind != "email" or not 2 <= len(cards) <= MAX_HOLDERS:
            continue
        if _held_by_several(cards, names):
            continue
        by_name: dict[str, list[Card]] = defaultdict(list)
        for card in cards:
            if names.get(card):
                by_name[names[card]].append(card)
        classes.extend((key, named) for named in by_name.values() if len(named) >= 2)
    forest = _Forest(size)
    for _, cards in classes:
        forest.join_allowed(cards, away)
    labels = forest.labels()
    reasons = _Reasons()
    for key, cards in classes:
        for group, held in _buckets(cards, labels).items():
            if _any_pair(held, away.allowed):
                reasons.add(group, "email", key, held)
    return _found("safe", labels, reasons)


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
