"""The keys follow adds, edits, deletions and a book's deletion without reading every card
again: each refresh reads only the cards changed since the last one (counted)."""

from __future__ import annotations

from contacthub.duplicates.find import Regrouped, find_groups, regroup
from contacthub.duplicates.index import refresh_index
from contacthub.store import DuplicateSettings, KeptGroup, Member, Store
from tests.duplicates.people import (
    BOOKS,
    CSV_BOOK,
    EXCHANGE_BOOK,
    OWNER,
    PEOPLE,
    PHONE,
    PHONE_BOOK,
    REGION,
    card,
    cards_of,
    delete,
    put,
)


def _with(store: Store, uid: str) -> set[str]:
    """The UIDs grouped with `uid`'s card, in any lane."""
    return {
        c.uid
        for g in find_groups(store, OWNER)
        if uid in {c.uid for c in g.contacts}
        for c in g.contacts
    } - {uid}


def test_the_first_refresh_reads_every_book_then_nothing_until_a_change(people: Store) -> None:
    first = refresh_index(people, OWNER, REGION)
    assert sorted(first.whole) == sorted(BOOKS)
    assert first.cards_read == 4 * len(PEOPLE) + 7
    again = refresh_index(people, OWNER, REGION)
    assert again.read == {} and again.whole == []


def test_an_added_card_is_read_alone_and_matched(people: Store) -> None:
    refresh_index(people, OWNER, REGION)
    jane = PEOPLE[0]
    put(people, CSV_BOOK, "new.vcf", card("new-jane", "Jane Doe", "TEL:+372 5555-1234"))
    refresh = refresh_index(people, OWNER, REGION)
    assert refresh.read == {CSV_BOOK: 1} and refresh.whole == []
    assert "new-jane" in _with(people, jane.uid(PHONE_BOOK))


def test_an_edit_moves_the_card_out_of_its_group(people: Store) -> None:
    refresh_index(people, OWNER, REGION)
    jane = PEOPLE[0]
    edited = card(jane.uid(EXCHANGE_BOOK), "Jane Doe", "TEL:+372 5123 4567")
    put(people, EXCHANGE_BOOK, f"{jane.uid(EXCHANGE_BOOK)}.vcf", edited)
    refresh = refresh_index(people, OWNER, REGION)
    assert refresh.read == {EXCHANGE_BOOK: 1}
    assert jane.uid(EXCHANGE_BOOK) not in _with(people, jane.uid(PHONE_BOOK))
    put(people, EXCHANGE_BOOK, f"{jane.uid(EXCHANGE_BOOK)}.vcf", cards_of(jane)[EXCHANGE_BOOK])
    assert jane.uid(EXCHANGE_BOOK) in _with(people, jane.uid(PHONE_BOOK))


def test_a_deleted_card_leaves_its_group_without_a_full_read(people: Store) -> None:
    refresh_index(people, OWNER, REGION)
    jane = PEOPLE[0]
    delete(people, CSV_BOOK, f"{jane.uid(CSV_BOOK)}.vcf")
    refresh = refresh_index(people, OWNER, REGION)
    assert refresh.read == {CSV_BOOK: 0} and refresh.whole == []
    assert jane.uid(CSV_BOOK) not in _with(people, jane.uid(PHONE_BOOK))


def test_a_book_deleted_into_the_trash_loses_its_keys_and_comes_back_whole(
    people: Store,
) -> None:
    refresh_index(people, OWNER, REGION)
    with people.write([CSV_BOOK], actor=PHONE) as tx:
        tx.delete_collection(CSV_BOOK)
    refresh = refresh_index(people, OWNER, REGION)
    assert refresh.forgotten == 1 and refresh.read == {}
    with people.read() as tx:
        (deleted,) = tx.deleted_books(OWNER, 0)
    with people.write(sorted({deleted.trash_path, OWNER}), actor=PHONE) as tx:
        tx.restore_deleted_book(deleted)
    refresh = refresh_index(people, OWNER, REGION)
    assert refresh.whole == [CSV_BOOK]  # a new incarnation: read again
    jane = PEOPLE[0]
    assert jane.uid(CSV_BOOK) in _with(people, jane.uid(PHONE_BOOK))


def test_a_new_region_reads_the_books_again(people: Store) -> None:
    refresh_index(people, OWNER, REGION)
    refresh = refresh_index(people, OWNER, "FI")
    assert sorted(refresh.whole) == sorted(BOOKS)


def test_a_change_regroups_only_the_cards_it_reaches(people: Store) -> None:
    find_groups(people, OWNER)  # every group computed once
    with people.write([OWNER]) as tx:
        assert regroup(tx, OWNER, _settings(people)) == Regrouped(False, 0)
    jane = PEOPLE[0]
    edited = card(jane.uid(EXCHANGE_BOOK), "Jane Doe", "TEL:+372 5123 4567")
    put(people, EXCHANGE_BOOK, f"{jane.uid(EXCHANGE_BOOK)}.vcf", edited)
    refresh_index(people, OWNER, REGION)
    with people.write([OWNER]) as tx:
        regrouped = regroup(tx, OWNER, _settings(people))
    # Jane's other three cards, which still share her email and number (the edited card
    # shares nothing now), not the account's 200-odd.
    assert regrouped == Regrouped(False, 3)
    assert jane.uid(EXCHANGE_BOOK) not in _with(people, jane.uid(PHONE_BOOK))


def _settings(store: Store) -> DuplicateSettings:
    with store.read() as tx:
        return tx.duplicate_settings(OWNER)


def test_a_first_find_groups_what_it_read_as_a_find_reading_the_keys_back_does(
    people: Store,
) -> None:
    settings = _settings(people)
    fresh = refresh_index(people, OWNER, REGION).fresh
    assert fresh is not None and set(fresh.keys) == set(fresh.books)
    with people.write([OWNER]) as tx:
        from_memory = regroup(tx, OWNER, settings, fresh).groups
        tx.forget_groups(OWNER)
        read_back = regroup(tx, OWNER, settings).groups
    assert from_memory is not None and read_back is not None
    assert _as_sets(from_memory) == _as_sets(read_back)
    assert len(from_memory) >= len(PEOPLE)


def _as_sets(groups: list[KeptGroup]) -> dict[str, tuple[str, str, list[Member], list[object]]]:
    """The groups by id, members and reasons in order (the order cards were read in is not
    the groups')."""
    return {g.id: (g.lane, g.sort_name, sorted(g.members), sorted(g.reasons)) for g in groups}


def test_keys_another_find_moved_on_are_read_back_not_taken_from_memory(people: Store) -> None:
    settings = _settings(people)
    stale = refresh_index(people, OWNER, REGION).fresh
    jane = PEOPLE[0]
    edited = card(jane.uid(EXCHANGE_BOOK), "Jane Doe", "TEL:+372 5123 4567")
    put(people, EXCHANGE_BOOK, f"{jane.uid(EXCHANGE_BOOK)}.vcf", edited)
    assert refresh_index(people, OWNER, REGION).fresh is None  # (only a card read)
    with people.write([OWNER]) as tx:
        tx.forget_groups(OWNER)
        regroup(tx, OWNER, settings, stale)
    assert jane.uid(EXCHANGE_BOOK) not in _with(people, jane.uid(PHONE_BOOK))
