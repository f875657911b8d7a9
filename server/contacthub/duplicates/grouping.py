"""The groups of the cards that share keys, computed from the holders the store returns
(duplicates/lanes.py joins them, lane by lane), and what is kept of a group.

Cards are numbered as they are read (ints: the lanes' union-find is a list); a group is
kept as rows (its members' book id, href, UID and name, and its reasons), the form a find
lists.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from contacthub.duplicates.lanes import Card, Lane, ReasonKind, grouped, safest_grouped
from contacthub.store import CardFacts, KeptGroup, KeptReason, KeyHolder, Member, SharedKey

ID_LENGTH = 16  # hex digits of the group's id

Held = tuple[int, str]  # book id, href


@dataclass(frozen=True, slots=True)
class GroupData:
    """A group as computed: its members and why they matched."""

    id: str
    lane: Lane
    members: list[Member]
    reasons: list[KeptReason]  # kind, value, the members that hold it

    def kept(self, paths: dict[int, str]) -> KeptGroup:
        """The group as the store keeps it, with the name it is listed by: its first
        contact's (by book path, then href; `paths`: the books' paths by id), case-folded."""
        first = min(self.members, key=lambda member: (paths.get(member[0], ""), member[1]))
        return KeptGroup(self.id, self.lane, first[3].casefold(), self.members, self.reasons)


@dataclass
class Cards:
    """The cards a find read, numbered: their place, names, UIDs and display names, and the
    holders of each shared key."""

    books: dict[int, str]  # book id -> book uuid: the live books of the account
    refs: list[Held] = field(default_factory=list)
    number: dict[Held, Card] = field(default_factory=dict)
    names: dict[Card, str] = field(default_factory=dict)
    uids: list[str] = field(default_factory=list)
    fns: list[str] = field(default_factory=list)
    holders: dict[tuple[str, str], list[Card]] = field(default_factory=lambda: defaultdict(list))

    def card(self, book_id: int, href: str, name: str, uid: str, fn: str) -> Card | None:
        if book_id not in self.books:
            return None
        ref = (book_id, href)
        found = self.number.get(ref)
        if found is None:
            found = self.number[ref] = len(self.refs)
            self.refs.append(ref)
            self.uids.append(uid)
            self.fns.append(fn)
            if name:
                self.names[found] = name
        return found

    def add_holders(self, rows: Iterable[KeyHolder]) -> None:
        for kind, key, book_id, href, name, uid, fn in rows:
            card = self.card(book_id, href, name, uid, fn)
            if card is not None:
                held = self.holders[(kind, key)]
                if card not in held:  # a key's holders are a few (MAX_HOLDERS at most)
                    held.append(card)

    def add_shared(self, facts: Iterable[CardFacts], holders: Iterable[SharedKey]) -> None:
        """The holders of the shared keys (`holders`) that `facts` has (the cards of the
        live books that are there), with their facts."""
        known = {(book_id, href): (uid, fn) for book_id, href, uid, fn in facts}
        by_key = self.holders
        for kind, key, book_id, href, name in holders:
            card = self._known_card(book_id, href, name, known)
            if card is not None:
                by_key[(kind, key)].append(card)  # (a card holds a key once: the keys' own key)

    def add_holders_by_key(
        self,
        facts: Iterable[CardFacts],
        holders: Mapping[tuple[str, str], list[tuple[int, str, str]]],
        most: int,
    ) -> None:
        """As `add_shared`, from every key's holders (book id, href, name) as a refresh
        just wrote them: the keys 2 to `most` cards hold, the same cards numbered in the
        same order, without a row per holder."""
        known = {(book_id, href): (uid, fn) for book_id, href, uid, fn in facts}
        by_key = self.holders
        for kind_key, held in holders.items():
            if not 2 <= len(held) <= most:
                continue
            cards = [self._known_card(book_id, href, name, known) for book_id, href, name in held]
            if any(card is not None for card in cards):
                by_key[kind_key].extend(card for card in cards if card is not None)

    def _known_card(
        self, book_id: int, href: str, name: str, known: Mapping[Held, tuple[str, str]]
    ) -> Card | None:
        """The card's number, numbered now if `known` has its facts (None: it has not)."""
        found = self.number.get((book_id, href))
        if found is not None:
            return found
        fact = known.get((book_id, href))
        return None if fact is None else self.card(book_id, href, name, *fact)

    def add_named(self, rows: Iterable[tuple[int, str, str, str, str]]) -> None:
        """The cards with a name (book id, href, normalised name, UID, display name)."""
        for book_id, href, name, uid, fn in rows:
            if name:
                self.card(book_id, href, name, uid, fn)

    def stable(self, card: Card) -> str:
        book_id, _ = self.refs[card]
        return stable_identity(self.books[book_id], self.uids[card])


def stable_identity(book_uuid: str, uid: str) -> str:
    return f"{book_uuid}/{uid}"


def group_id(lane: Lane, identities: Iterable[str]) -> str:
    text = "\n".join([lane, *sorted(identities)])
    return hashlib.sha256(text.encode()).hexdigest()[:ID_LENGTH]


def offered_groups(
    cards: Cards, dismissed: set[tuple[str, str]], *, name_lane: bool
) -> list[GroupData]:
    """The groups of every lane (the name lane only with `name_lane`)."""
    found = grouped(
        cards.holders,
        cards.names,
        _dismissed_cards(cards, dismissed),
        len(cards.refs),
        name_lane=name_lane,
    )
    return [_group(cards, *group) for group in found]


def safest(cards: Cards, dismissed: set[tuple[str, str]]) -> list[GroupData]:
    """The groups automatic merging may merge (lanes.safest_grouped)."""
    found = safest_grouped(
        cards.holders, cards.names, _dismissed_cards(cards, dismissed), len(cards.refs)
    )
    return [_group(cards, *group) for group in found]


def _dismissed_cards(cards: Cards, dismissed: set[tuple[str, str]]) -> list[tuple[Card, Card]]:
    """The dismissed pairs (of stable identities) as pairs of the cards read."""
    if not dismissed:
        return []
    wanted = {identity for pair in dismissed for identity in pair}
    numbered: dict[str, list[Card]] = defaultdict(list)
    for card in range(len(cards.refs)):
        identity = cards.stable(card)
        if identity in wanted:
            numbered[identity].append(card)
    return [
        (a, b)
        for first, second in dismissed
        for a in numbered.get(first, ())
        for b in numbered.get(second, ())
        if a != b
    ]


def _group(
    cards: Cards, lane: Lane, members: list[Card], reasons: list[tuple[ReasonKind, str, list[Card]]]
) -> GroupData:
    return GroupData(
        group_id(lane, (cards.stable(card) for card in members)),
        lane,
        [(*cards.refs[card], cards.uids[card], cards.fns[card]) for card in members],
        [(kind, value, sorted(cards.refs[card] for card in held)) for kind, value, held in reasons],
    )
