"""The lanes join a key's holders at once; the groups, their ids and their reasons are those
the former pair by pair grouping found (tests/duplicates/former_grouping.py), on an account
of a few thousand generated cards: people in several books, namesakes, names a card writes
shorter or not at all, similar names, switchboards several people share, keys too many
hold, and dismissed pairs."""

from __future__ import annotations

import random

import pytest

from contacthub.duplicates import grouping
from contacthub.duplicates.grouping import Cards, GroupData
from contacthub.store import KeyHolder
from tests.duplicates import former_grouping

BOOKS = {1: "book-one", 2: "book-two", 3: "book-three"}
GIVEN = ("anna", "mart", "liis", "peeter", "kadri")
FAMILY = ("tamm", "saar", "saare", "mets", "kask", "ilves", "kuusk", "rebane")


def _account(seed: int) -> tuple[list[KeyHolder], list[tuple[int, str, str, str, str]]]:
    """The holders of each email and phone key, and every named card."""
    rng = random.Random(seed)
    holders: list[KeyHolder] = []
    named: list[tuple[int, str, str, str, str]] = []
    switchboards = [f"+3726{n:06d}" for n in range(40)]
    for person in range(1500):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        full = " ".join(sorted((given, family)))
        keys = [("email", f"{given}.{family}{person}@example.com"), ("tel", f"+3725{person:07d}")]
        for book in rng.sample(sorted(BOOKS), rng.randint(1, 3)):
            href, uid = f"p{person}-b{book}.vcf", f"p{person}-b{book}"
            name = rng.choice((full, full, full, given, "", " ".join(sorted((given, "x")))))
            held = [key for key in keys if rng.random() < 0.7]
            if rng.random() < 0.15:
                held.append(("tel", rng.choice(switchboards)))
            if rng.random() < 0.02:
                held.append(("email", "info@example.com"))  # more than 50 hold it
            for kind, key in held:
                holders.append((kind, key, book, href, name, uid, name or uid))
            if name:
                named.append((book, href, name, uid, name))
    return holders, named


def _cards(holders: list[KeyHolder], named: list[tuple[int, str, str, str, str]]) -> Cards:
    cards = Cards(dict(BOOKS))
    cards.add_holders(holders)
    cards.add_named(named)
    return cards


def _dismissed(cards: Cards, seed: int) -> set[tuple[str, str]]:
    """Pairs of cards that share a key, and a few that share none."""
    rng = random.Random(seed)
    pairs: set[tuple[str, str]] = set()
    shared = [held for held in cards.holders.values() if 2 <= len(held) <= 50]
    for held in rng.sample(shared, 150):
        a, b = rng.sample(held, 2)
        first, second = sorted((cards.stable(a), cards.stable(b)))
        pairs.add((first, second))
    for _ in range(50):
        a, b = rng.sample(range(len(cards.refs)), 2)
        first, second = sorted((cards.stable(a), cards.stable(b)))
        pairs.add((first, second))
    return pairs


def _by_id(groups: list[GroupData]) -> dict[str, GroupData]:
    return {group.id: group for group in groups}


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("name_lane", [False, True])
def test_the_groups_are_those_the_pairs_made(seed: int, name_lane: bool) -> None:
    cards = _cards(*_account(seed))
    for dismissed in (set(), _dismissed(cards, seed)):
        former = _by_id(former_grouping.offered_groups(cards, dismissed, name_lane=name_lane))
        now = _by_id(grouping.offered_groups(cards, dismissed, name_lane=name_lane))
        assert len(now) > 500
        assert {group.lane for group in now.values()} >= (
            {"safe", "contact", "name"} if name_lane else {"safe", "contact"}
        )
        assert now == former


@pytest.mark.parametrize("seed", [1, 2])
def test_the_safest_groups_are_those_the_pairs_made(seed: int) -> None:
    cards = _cards(*_account(seed))
    for dismissed in (set(), _dismissed(cards, seed)):
        former = _by_id(former_grouping.safest(cards, dismissed))
        now = _by_id(grouping.safest(cards, dismissed))
        assert len(now) > 100
        assert now == former
