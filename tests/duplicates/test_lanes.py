"""The lanes on the issue's people: the same 50 people in four books are 50 safe groups;
two different people with one name at Acme are never in the safe lane; a name alone is
offered only when the account opts in; a dismissed group is not offered again; group
cards and books in the trash are never candidates."""

from __future__ import annotations

import pytest

from contacthub.duplicates.find import dismiss_group, find_groups, group_by_id, safest_groups
from contacthub.errors import NotFound
from contacthub.store import DuplicateSettings, Store
from tests.duplicates.people import (
    BOOKS,
    CSV_BOOK,
    NAMESAKE,
    OWNER,
    PEOPLE,
    PHONE,
    PHONE_BOOK,
    REGION,
    group_card,
    put,
)


def _names(group: object) -> list[str]:
    return sorted(c.fn for c in group.contacts)  # type: ignore[attr-defined]


def test_each_person_is_one_safe_group_of_their_four_cards(people: Store) -> None:
    safe = find_groups(people, OWNER, "safe")
    assert len(safe) == len(PEOPLE)
    for group in safe:
        assert sorted(c.ref.book for c in group.contacts) == sorted(BOOKS)
        assert {r.kind for r in group.reasons} == {"email", "phone"}
    jane = next(g for g in safe if "Jane Doe" in _names(g))
    phone = next(r for r in jane.reasons if r.kind == "phone")
    assert phone.value == "+37255551234"  # written three ways: one key
    assert len(phone.contacts) == 3


def test_the_namesakes_at_one_organisation_are_never_the_safe_lane(people: Store) -> None:
    for group in find_groups(people, OWNER, "safe"):
        assert NAMESAKE not in _names(group)
    (acme,) = [g for g in find_groups(people, OWNER) if NAMESAKE in _names(g)]
    assert acme.lane == "contact"
    assert [(r.kind, r.value) for r in acme.reasons] == [("phone", "+3726001000")]
    assert all(NAMESAKE not in _names(g) for g in safest_groups(people, OWNER))


def test_the_name_lane_only_when_the_account_opts_in(people: Store) -> None:
    assert find_groups(people, OWNER, "name") == []
    with people.write() as tx:
        tx.set_duplicate_settings(
            OWNER, DuplicateSettings(phone_region=REGION, match_similar_names=True)
        )
    named = {tuple(_names(g)): g for g in find_groups(people, OWNER, "name")}
    assert set(named) == {("Kati Karu", "Kati Karu"), ("Kristjan Saar", "Kristjan Saare")}
    similar = named[("Kristjan Saar", "Kristjan Saare")]
    assert [r.kind for r in similar.reasons] == ["similar_name"]


def test_without_a_region_local_numbers_match_nothing(people: Store) -> None:
    with people.write() as tx:
        tx.set_duplicate_settings(OWNER, DuplicateSettings(phone_region=None))
    jane = next(g for g in find_groups(people, OWNER, "safe") if "Jane Doe" in _names(g))
    # Only the phone's card has the number with its country code: no phone is shared, and
    # the Exchange card, which had only its local number, is in no group of Jane's.
    assert [r.kind for r in jane.reasons] == ["email"]
    assert "alice/from-exchange" not in {c.ref.book for c in jane.contacts}


def test_group_ids_are_stable_and_a_group_is_found_by_id(people: Store) -> None:
    first = find_groups(people, OWNER)
    again = find_groups(people, OWNER)
    assert [g.id for g in first] == [g.id for g in again]
    assert len({g.id for g in first}) == len(first)
    assert group_by_id(people, OWNER, first[3].id) == first[3]
    with pytest.raises(NotFound):
        group_by_id(people, OWNER, "0000000000000000")


def test_a_dismissed_group_is_not_offered_again(people: Store) -> None:
    jane = next(g for g in find_groups(people, OWNER) if "Jane Doe" in _names(g))
    dismiss_group(people, OWNER, jane.id)
    assert all("Jane Doe" not in _names(g) for g in find_groups(people, OWNER))
    assert all("Jane Doe" not in _names(g) for g in safest_groups(people, OWNER))
    with pytest.raises(NotFound):
        group_by_id(people, OWNER, jane.id)


def test_a_group_card_is_never_a_candidate(people: Store) -> None:
    jane = PEOPLE[0]
    put(people, PHONE_BOOK, "team.vcf", group_card("team", jane.name, f"EMAIL:{jane.email}"))
    groups = find_groups(people, OWNER)
    assert all(c.uid != "team" for g in groups for c in g.contacts)


def test_a_book_in_the_trash_is_never_a_candidate(people: Store) -> None:
    with people.write([CSV_BOOK], actor=PHONE) as tx:
        tx.delete_collection(CSV_BOOK)
    groups = find_groups(people, OWNER)
    assert groups
    assert all(c.ref.book != CSV_BOOK for g in groups for c in g.contacts)
    assert all(NAMESAKE not in _names(g) for g in groups)


def test_another_account_sees_none_of_them(people: Store) -> None:
    assert find_groups(people, "bob") == []
