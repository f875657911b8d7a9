"""Groups of cards across an account's books that may be one person, lane by lane.

A find first brings the keys up to date (duplicates/index.py: only what changed since the
last find), then the groups: the store keeps them, with the cards changed since they were
computed (a changed card, and the holders of the keys it had); only the groups those
cards reach through shared keys, or through the groups they were in, are computed again
(duplicates/grouping.py), so a find after a few changes reads a few rows. Every group is
computed again the first time, after a book was read whole (new, restored, a new phone
region), after a book went into the trash, and at every find while the account matches
names (similar names are not kept by key: see README "Duplicates").

A group's id is a short hash of its lane and its members' stable identities (book uuid and
UID), so the same group has the same id in every process and at every find, and a group
whose members changed has a new one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations
from operator import attrgetter, itemgetter

from contacthub.duplicates.collector import collector_paused
from contacthub.duplicates.grouping import (
    Cards,
    GroupData,
    Held,
    offered_groups,
    safest,
    stable_identity,
)
from contacthub.duplicates.index import FreshKeys, account_books, refresh_index
from contacthub.duplicates.lanes import LANES, MAX_HOLDERS, Lane, ReasonKind
from contacthub.duplicates.normalize import name_key
from contacthub.duplicates.refs import CardRef
from contacthub.errors import NotFound, quoted
from contacthub.store import (
    CardFacts,
    CollectionRecord,
    DuplicateSettings,
    KeptGroup,
    Store,
    Transaction,
)

__all__ = [
    "Candidate",
    "DuplicateGroup",
    "GroupPage",
    "Reason",
    "Regrouped",
    "dismiss_group",
    "find_groups",
    "find_page",
    "group_by_id",
    "regroup",
    "safest_groups",
    "stable_identity",
]


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


@dataclass(frozen=True, slots=True)
class Regrouped:
    """What bringing the groups up to date read: all of them, or `cards` cards; and when
    it computed them all, the groups (as kept: a listing need not read them back)."""

    whole: bool
    cards: int
    groups: list[KeptGroup] | None = None


@dataclass(frozen=True, slots=True)
class GroupPage:
    """Groups of a listing, and how many the whole listing holds."""

    groups: list[DuplicateGroup]
    total: int


def find_groups(store: Store, owner: str, lane: Lane | None = None) -> list[DuplicateGroup]:
    """The account's groups of possible duplicates, safest lane first (only `lane`'s when
    given); the name lane only when the account opted in."""
    return find_page(store, owner, lane).groups


def find_page(
    store: Store, owner: str, lane: Lane | None = None, limit: int | None = None, offset: int = 0
) -> GroupPage:
    """`limit` groups (None: all) from the `offset`th of the account's listing (safest lane
    first, then by the first contact's name): only the page's groups are read."""
    with collector_paused():
        return _find_page(store, owner, lane, limit, offset)


def _find_page(
    store: Store, owner: str, lane: Lane | None, limit: int | None, offset: int
) -> GroupPage:
    settings = _settings(store, owner)
    fresh = refresh_index(store, owner, settings.phone_region).fresh
    with store.write([owner]) as tx:
        books = {book.id: book for book in account_books(tx, owner)}
        computed = regroup(tx, owner, settings, fresh).groups
        if computed is None:
            order = _ordered(tx.kept_group_order(owner, lane))
        else:
            order = _ordered(
                [(g.id, g.lane, g.sort_name) for g in computed if lane in (None, g.lane)]
            )
        page = order[offset:] if limit is None else order[offset : offset + limit]
        if computed is None:
            kept = tx.kept_groups(owner, None if len(page) == len(order) else page)
        else:
            kept = {group.id: group for group in computed}
    return GroupPage(_listed(books, [kept[group] for group in page if group in kept]), len(order))


def _ordered(index: list[tuple[str, str, str]]) -> list[str]:
    """The groups' ids, safest lane first, then by the name each is listed by."""
    rank: dict[str, int] = {lane: place for place, lane in enumerate(LANES)}
    return [group for group, _, _ in sorted(index, key=lambda g: (rank[g[1]], g[2], g[0]))]


def safest_groups(store: Store, owner: str) -> list[DuplicateGroup]:
    """The groups automatic merging may merge: cards with the same email (held by one
    person) and the same normalised full name."""
    with collector_paused():
        return _safest_groups(store, owner)


def _safest_groups(store: Store, owner: str) -> list[DuplicateGroup]:
    settings = _settings(store, owner)
    refresh_index(store, owner, settings.phone_region)
    with store.read() as tx:
        books = {book.id: book for book in account_books(tx, owner)}
        cards = Cards({book.id: book.uuid for book in books.values()})
        cards.add_shared(tx.card_facts(books), tx.shared_keys(owner, MAX_HOLDERS))
        dismissed = tx.dismissed_pairs(owner)
    return _sorted(_listed(books, safest(cards, dismissed)))


def group_by_id(store: Store, owner: str, group_id: str) -> DuplicateGroup:
    """The group offered now under `group_id`; NotFound when there is none (merged,
    dismissed, or its cards changed: a changed group has a new id)."""
    with collector_paused():
        found = _group_by_id(store, owner, group_id)
    if not found:
        raise NotFound(
            f"There is no group of duplicates {quoted(group_id)} now: it was merged or "
            "dismissed, or its contacts changed since (list the groups again)."
        )
    return found[0]


def _group_by_id(store: Store, owner: str, group_id: str) -> list[DuplicateGroup]:
    settings = _settings(store, owner)
    fresh = refresh_index(store, owner, settings.phone_region).fresh
    with store.write([owner]) as tx:
        books = {book.id: book for book in account_books(tx, owner)}
        regroup(tx, owner, settings, fresh)
        kept = tx.kept_groups(owner, [group_id])
    return _listed(books, list(kept.values()))


def dismiss_group(store: Store, owner: str, group_id: str) -> DuplicateGroup:
    """Never offer these cards as one person again: every pair of the group is dismissed."""
    group = group_by_id(store, owner, group_id)
    with store.write([owner]) as tx:
        cards: list[Held] = []
        identities: list[str] = []
        for candidate in group.contacts:
            book = tx.get_collection(candidate.ref.book)
            if book is None:
                raise NotFound(f"There is no address book {quoted(candidate.ref.book)}.")
            cards.append((book.id, candidate.ref.href))
            identities.append(stable_identity(book.uuid, candidate.uid))
        tx.dismiss_pairs(owner, combinations(sorted(identities), 2))
        tx.mark_dirty(owner, cards)
    return group


def regroup(
    tx: Transaction, owner: str, settings: DuplicateSettings, fresh: FreshKeys | None = None
) -> Regrouped:
    """Bring the kept groups up to date: all of them when they are not whole (or the
    account matches names), else those the cards changed since reach. `fresh`: the keys
    and cards a refresh that read every book whole just wrote, used instead of reading
    them back while the store's keys are still those."""
    name_lane = settings.match_similar_names
    books = account_books(tx, owner)
    uuids = {book.id: book.uuid for book in books}
    paths = {book.id: book.path for book in books}
    state = tx.groups_state(owner)
    dirty = tx.dirty_cards(owner)
    if state is None or state != name_lane or name_lane:
        cards = Cards(uuids)
        if fresh is not None and fresh.books == tx.indexed_books(owner) == {
            book_id: fresh.books.get(book_id) for book_id in uuids
        }:
            facts: Iterable[CardFacts] = fresh.facts
            cards.add_holders_by_key(facts, fresh.holders(), MAX_HOLDERS)
        else:
            facts = list(tx.card_facts(uuids)) if name_lane else tx.card_facts(uuids)
            cards.add_shared(facts, tx.shared_keys(owner, MAX_HOLDERS))
        if name_lane:
            cards.add_named((b, href, name_key(fn), uid, fn) for b, href, uid, fn in facts)
        groups = offered_groups(cards, tx.dismissed_pairs(owner), name_lane=name_lane)
        kept = _kept(groups, paths)
        tx.replace_groups(owner, None, kept, dirty, name_lane)
        return Regrouped(True, len(cards.refs), kept)
    if not dirty:
        return Regrouped(False, 0)
    cards, dropped = _reached(tx, owner, uuids, dirty)
    groups = offered_groups(cards, tx.dismissed_pairs(owner), name_lane=False)
    tx.replace_groups(owner, dropped, _kept(groups, paths), dirty, name_lane)
    return Regrouped(False, len(cards.refs))


def _reached(
    tx: Transaction, owner: str, uuids: dict[int, str], dirty: list[Held]
) -> tuple[Cards, list[str]]:
    """The cards the changed ones reach through shared keys and kept groups (every
    holder of their keys, every member of their groups, and so on), with the holders of
    their keys; and the kept groups they were in."""
    cards = Cards(uuids)
    seen: set[Held] = set(dirty)
    asked: set[tuple[str, str]] = set()
    dropped: set[str] = set()
    frontier = list(dirty)
    while frontier:
        reached: set[Held] = set()
        for group, members in tx.groups_of(owner, frontier).items():
            dropped.add(group)
            reached.update(members)
        keys = [key for key in tx.contact_keys_of(frontier) if key not in asked]
        asked.update(keys)
        holders = tx.shared_keys_of(owner, MAX_HOLDERS, keys)
        cards.add_holders(holders)
        reached.update((row[2], row[3]) for row in holders)
        frontier = sorted(reached - seen)
        seen.update(frontier)
    return cards, sorted(dropped)


def _kept(groups: list[GroupData], paths: dict[int, str]) -> list[KeptGroup]:
    return [group.kept(paths) for group in groups]


def _settings(store: Store, owner: str) -> DuplicateSettings:
    with store.read() as tx:
        return tx.duplicate_settings(owner)


def _listed(
    books: dict[int, CollectionRecord], groups: Sequence[GroupData | KeptGroup]
) -> list[DuplicateGroup]:
    """The groups as listed, in the order given (a group with a card of a book that is
    gone is left out)."""
    refs: dict[Held, CardRef] = {}

    def ref(card: Held) -> CardRef:
        found = refs.get(card)
        if found is None:
            found = refs[card] = CardRef(books[card[0]].path, card[1])
        return found

    return [
        _group(books, group, ref)
        for group in groups
        if all(member[0] in books for member in group.members)
    ]


def _sorted(groups: list[DuplicateGroup]) -> list[DuplicateGroup]:
    order = {lane: rank for rank, lane in enumerate(LANES)}
    return sorted(groups, key=lambda g: (order[g.lane], g.contacts[0].fn.casefold(), g.id))


def _group(
    books: dict[int, CollectionRecord],
    group: GroupData | KeptGroup,
    ref: Callable[[Held], CardRef],
) -> DuplicateGroup:
    names = {b: books[b].display_name for b in {member[0] for member in group.members}}
    candidates = [
        Candidate(ref((b, href)), uid, fn, names[b]) for b, href, uid, fn in group.members
    ]
    candidates.sort(key=_candidate_order)
    reasons = [
        Reason(kind, value, sorted([ref(card) for card in held], key=_ref_order))  # type: ignore[arg-type]
        for kind, value, held in sorted(group.reasons, key=_reason_order)
    ]
    return DuplicateGroup(group.id, group.lane, reasons, candidates)  # type: ignore[arg-type]


_ref_order: Callable[[CardRef], tuple[str, str]] = attrgetter("book", "href")
_candidate_order: Callable[[Candidate], tuple[str, str]] = attrgetter("ref.book", "ref.href")
_reason_order = itemgetter(0, 1)
