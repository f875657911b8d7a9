"""Tombstones: a contact the user deleted from the book is not brought back by its source."""

from __future__ import annotations

from contacthub.reconcile import Policy
from contacthub.store import SourceRecord, Store
from tests.reconcile.tiny_source import (
    card_of,
    cards,
    client_deletes,
    client_puts,
    links,
    names_from,
    run,
)

PEOPLE = {"a": "Ann", "b": "Bob", "c": "Cy"}


def test_a_deleted_contact_is_not_re_added_and_its_link_is_kept_as_deleted(
    store: Store, source: SourceRecord
) -> None:
    run(store, source, PEOPLE)
    bob = card_of(store, "tiny", "b")
    client_deletes(store, bob.href)

    outcome = run(store, source, PEOPLE)
    assert outcome.changes.tombstoned == ["b"]
    assert [(c.key, c.reason) for c in outcome.changes.of("skip")] == [
        ("b", "deleted on the server")
    ]
    assert names_from(store, "tiny") == {"a": "Ann", "c": "Cy"}
    tombstone = links(store, source)["b"]
    assert tombstone.deleted and tombstone.uid == bob.uid


def test_an_edited_record_of_a_deleted_contact_stays_out(
    store: Store, source: SourceRecord
) -> None:
    run(store, source, PEOPLE)
    client_deletes(store, card_of(store, "tiny", "b").href)
    run(store, source, PEOPLE)
    outcome = run(store, source, {**PEOPLE, "b": "Robert"}, Policy(update_existing=True))
    assert outcome.status == "no_changes" and outcome.changes.tombstoned == []
    assert names_from(store, "tiny") == {"a": "Ann", "c": "Cy"}


def test_a_deletion_is_remembered_though_the_record_left_the_source_for_a_while(
    store: Store, source: SourceRecord
) -> None:
    run(store, source, PEOPLE)
    client_deletes(store, card_of(store, "tiny", "b").href)
    without_bob = {"a": "Ann", "c": "Cy"}
    outcome = run(store, source, without_bob, Policy(delete_missing=True))
    assert outcome.changes.tombstoned == ["b"] and outcome.changes.of("delete") == []
    assert links(store, source)["b"].deleted

    back = run(store, source, PEOPLE, Policy(delete_missing=True))
    assert back.status == "no_changes"
    assert names_from(store, "tiny") == without_bob


def test_a_contact_the_source_deleted_comes_back_when_its_record_does(
    store: Store, source: SourceRecord
) -> None:
    run(store, source, PEOPLE)
    run(store, source, {"a": "Ann", "c": "Cy"}, Policy(delete_missing=True))
    assert "b" not in links(store, source)  # not a tombstone: the user deleted nothing
    assert run(store, source, PEOPLE).changes.counts["added"] == 1
    assert names_from(store, "tiny") == PEOPLE


def test_a_card_the_user_restores_after_the_tombstone_is_no_longer_the_sources(
    store: Store, source: SourceRecord
) -> None:
    run(store, source, PEOPLE)
    bob = card_of(store, "tiny", "b")
    client_deletes(store, bob.href)
    run(store, source, PEOPLE)
    restored = client_puts(store, bob.uid, "Bob, from a backup")

    everything = Policy(update_existing=True, delete_missing=True, override_mass_deletion=True)
    outcome = run(store, source, {"a": "Ann", "c": "Cy"}, everything)
    assert outcome.changes.of("delete") == []
    outcome = run(store, source, {**PEOPLE, "b": "Robert"}, everything)
    assert outcome.status == "no_changes"
    assert [card for card in cards(store) if card.uid == bob.uid] == [restored]
