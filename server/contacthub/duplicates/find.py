"""Groups of cards across an account's books that may be one person, lane by lane.

A find first brings the keys up to date (duplicates/index.py: only what changed since the
last find), then asks the store which emails and phones several cards hold, and sorts
their pairs into lanes (duplicates/lanes.py). A group's id is a short hash of its lane and
its members' stable identities (book uuid and UID), so the same group has the same id in
every process and at every find, and a group whose members changed has a new one; nothing
about groups is stored but the pairs a person dismissed.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations

from contacthub.duplicates.index import account_books, refresh_index
from contacthub.duplicates.lanes import (
    LANES,
    Card,
    Lane,
    Match,
    Pairs,
    ReasonKind,
    components,
    contact_pairs,
    name_pairs,
    safest_pairs,
)
from contacthub.duplicates.refs import CardRef
from contacthub.errors import NotFound, quoted
from contacthub.store import CardIdentity, CollectionRecord, DuplicateSettings, Store

ID_LENGTH = 16  # hex digits of the group's id


@dataclass(frozen=True, slots=True)
class Reason:
    """Why cards of a group matched: the value (an email, an E.164 phone, a normalised
    name, or two similar names "a ~ b") and the cards that hold it."""

    kind: ReasonKind
    value: str
    contacts: list[CardRef]


@dataclass(frozen=True, slots=True)
class Candidate:
    ref: CardRef
    uid: str
    fn: str
    book_name: str


@dataclass(frozen=True, slots=True)
class DuplicateGroup:
    id: str
    lane: Lane
    reasons: list[Reason]
    contacts: list[Candidate]


@dataclass(frozen=True)
class _Account:
    """What a find read of the account, in one snapshot."""

    books: dict[int, CollectionRecord]
    holders: dict[tuple[str, str], list[Card]]
    names: dict[Card, str]
    identities: dict[Card, CardIdentity]
    dismissed: set[tuple[str, str]]


def find_groups(store: Store, owner: str, lane: Lane | None = None) -> list[DuplicateGroup]:
    """The account's groups of possible duplicates, safest lane first (only `lane`'s when
    given); the name lane only when the account opted in."""
    settings = _settings(store, owner)
    account = _read_account(store, owner, settings)
    pairs = contact_pairs(account.holders, account.names)
    if settings.match_similar_names:
        name_pairs(account.names, similar=True, into=pairs)
    groups = _groups(account, _undismissed(account, pairs))
    return [group for group in groups if lane is None or group.lane == lane]


def safest_groups(store: Store, owner: str) -> list[DuplicateGroup]:
    """The groups automatic merging may merge: cards with the same email (held by one
    person) and the same normalised full name."""
    settings = _settings(store, owner)
    account = _read_account(store, owner, settings)
    return _groups(account, _undismissed(account, safest_pairs(account.holders, account.names)))


def group_by_id(store: Store, owner: str, group_id: str) -> DuplicateGroup:
    """The group offered now under `group_id`; NotFound when there is none (merged,
    dismissed, or its cards changed: a changed group has a new id)."""
    for group in find_groups(store, owner):
        if group.id == group_id:
            return group
    raise NotFound(
        f"There is no group of duplicates {quoted(group_id)} now: it was merged or "
        "dismissed, or its contacts changed since (list the groups again)."
    )


def dismiss_group(store: Store, owner: str, group_id: str) -> DuplicateGroup:
    """Never offer these cards as one person again: every pair of the group is dismissed."""
    group = group_by_id(store, owner, group_id)
    identities = sorted(_identity_of(store, candidate) for candidate in group.contacts)
    with store.write() as tx:
        tx.dismiss_pairs(owner, combinations(identities, 2))
    return group


def stable_identity(book_uuid: str, uid: str) -> str:
    return f"{book_uuid}/{uid}"


def group_id(lane: Lane, identities: Iterable[str]) -> str:
    text = "\n".join([lane, *sorted(identities)])
    return hashlib.sha256(text.encode()).hexdigest()[:ID_LENGTH]


def _settings(store: Store, owner: str) -> DuplicateSettings:
    with store.read() as tx:
        return tx.duplicate_settings(owner)


def _read_account(store: Store, owner: str, settings: DuplicateSettings) -> _Account:
    refresh_index(store, owner, settings.phone_region)
    with store.read() as tx:
        books = {book.id: book for book in account_books(tx, owner)}
        holders: dict[tuple[str, str], list[Card]] = defaultdict(list)
        for held in tx.shared_keys(owner, ("email", "tel")):
            if held.collection_id in books:
                holders[(held.kind, held.key)].append((held.collection_id, held.href))
        names = {
            (held.collection_id, held.href): held.key
            for held in tx.keys_of_kind(owner, "name")
            if held.collection_id in books
        }
        wanted = {card for cards in holders.values() for card in cards}
        if settings.match_similar_names:
            wanted |= set(names)
        identities = tx.card_identities(wanted)
        dismissed = tx.dismissed_pairs(owner)
    return _Account(books, holders, names, identities, dismissed)


def _undismissed(account: _Account, pairs: Pairs) -> Pairs:
    """The pairs of cards that are there, without those a person dismissed."""
    kept = Pairs()
    for pair, lane in pairs.lane.items():
        a, b = (account.identities.get(card) for card in pair)
        if a is None or b is None:
            continue
        first, second = sorted((_stable(account, a), _stable(account, b)))
        if (first, second) in account.dismissed:
            continue
        kept.lane[pair] = lane
        kept.matches[pair] = pairs.matches[pair]
    return kept


def _stable(account: _Account, identity: CardIdentity) -> str:
    return stable_identity(account.books[identity.collection_id].uuid, identity.uid)


def _groups(account: _Account, pairs: Pairs) -> list[DuplicateGroup]:
    found: list[DuplicateGroup] = []
    # The safer lanes' groups, by card: a pair of cards one of them holds already is not
    # offered again in a weaker lane.
    joined: dict[Card, set[tuple[Lane, int]]] = defaultdict(set)
    for lane in LANES:
        in_lane = [
            pair
            for pair, its_lane in pairs.lane.items()
            if its_lane == lane and not _joined(joined, *pair)
        ]
        groups = components(in_lane)
        for index, cards in enumerate(groups):
            for card in cards:
                joined[card].add((lane, index))
        group_of = {card: index for index, cards in enumerate(groups) for card in cards}
        matches: list[list[Match]] = [[] for _ in groups]
        for pair in in_lane:
            matches[group_of[pair[0]]].extend(pairs.matches[pair])
        found.extend(
            _group(account, lane, cards, its) for cards, its in zip(groups, matches, strict=True)
        )
    order = {lane: rank for rank, lane in enumerate(LANES)}
    return sorted(found, key=lambda g: (order[g.lane], g.contacts[0].fn.casefold(), g.id))


def _joined(joined: dict[Card, set[tuple[Lane, int]]], a: Card, b: Card) -> bool:
    return bool(joined.get(a, set()) & joined.get(b, set()))


def _group(
    account: _Account, lane: Lane, cards: list[Card], matches: list[Match]
) -> DuplicateGroup:
    identities = [account.identities[card] for card in cards]
    candidates = sorted(
        (
            Candidate(
                CardRef(account.books[i.collection_id].path, i.href),
                i.uid,
                i.display_name,
                account.books[i.collection_id].display_name,
            )
            for i in identities
        ),
        key=lambda c: c.ref,
    )
    ref_of = {card: CardRef(account.books[card[0]].path, card[1]) for card in cards}
    reasons: dict[tuple[str, str], Reason] = {}
    for match in matches:
        if (match.kind, match.value) in reasons:
            continue
        held = sorted(ref_of[card] for card in match.cards if card in ref_of)
        reasons[(match.kind, match.value)] = Reason(match.kind, match.value, held)
    return DuplicateGroup(
        group_id(lane, (_stable(account, i) for i in identities)),
        lane,
        sorted(reasons.values(), key=lambda r: (r.kind, r.value)),
        candidates,
    )


def _identity_of(store: Store, candidate: Candidate) -> str:
    with store.read() as tx:
        book = tx.get_collection(candidate.ref.book)
    if book is None:
        raise NotFound(f"There is no address book {quoted(candidate.ref.book)}.")
    return stable_identity(book.uuid, candidate.uid)
