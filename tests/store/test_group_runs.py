"""A run's groups are found before its publish, outside the book's lock
(store/groups.py, prepare_publish); what changed in between is read again under it, so
the publish bridges the run as it is published. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from contacthub.store import Actor, StagedChange, Staging, Store, Transaction, etag_of
from contacthub.store.groups import GroupsPart
from contacthub.vcard.parse import item_data
from tests.store.test_groups import BOOK, contact, group_cards, put
from tests.store.test_groups import store as store  # noqa: F401  (the fixture)

RUN = Actor("alice", "run")


def nothing(tx: Transaction) -> None:
    return None


def stage(staging: Staging, *cards: tuple[str, str]) -> None:
    staging.stage(
        None,
        [StagedChange("add", uid, f"{uid}.vcf", uid, data=item_data(text)) for uid, text in cards],
    )


def test_a_card_a_client_writes_after_the_read_ahead_is_bridged_as_it_is(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_ahead = GroupsPart.prepare_publish

    def then_a_client_writes(self: GroupsPart, collection_id: int, gen: int) -> object:
        found = read_ahead(self, collection_id, gen)
        # Bob's card, which the run wrote ahead with Family and Work, put by a client
        # between the read ahead and the publish: the client's write wins.
        put(store, "bob.vcf", contact("bob", "Bob", "Choir"))
        return found

    monkeypatch.setattr(GroupsPart, "prepare_publish", then_a_client_writes)
    with Staging(store, BOOK, RUN) as staging:
        stage(
            staging,
            ("ann", contact("ann", "Ann", "Family")),
            ("bob", contact("bob", "Bob", "Family,Work")),
        )
        staging.publish(nothing)
    assert group_cards(store) == {"Family": {"ann"}, "Choir": {"bob"}}


def test_a_run_that_replaces_cards_is_bridged_from_what_it_read_ahead(store: Store) -> None:
    ann, bob = contact("ann", "Ann", "Family"), contact("bob", "Bob", "Family")
    put(store, "ann.vcf", ann)
    put(store, "bob.vcf", bob)
    new_ann = item_data(contact("ann", "Ann", "Work"))
    with Staging(store, BOOK, RUN) as staging:
        staging.stage(
            None,
            [
                StagedChange(
                    "update", "ann", "ann.vcf", "ann", data=new_ann, base_etag=etag_of(ann)
                ),
                StagedChange("delete", "bob", "bob.vcf", "bob", base_etag=etag_of(bob)),
            ],
        )
        staging.publish(nothing)
    assert group_cards(store) == {"Family": frozenset(), "Work": {"ann"}}
