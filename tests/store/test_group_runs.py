"""A run's groups are found before its publish, outside the book's lock
(store/groups.py, prepare_publish); what changed in between is read again under it, so
the publish bridges the run as it is published. And a group card written again from its
version (a restore, an undo) carries the group mark once. SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from contacthub.store import Actor, StagedChange, Staging, Store, Transaction, etag_of
from contacthub.store.group_cards import GROUP_MARK, new_group_card
from contacthub.store.groups import GroupsPart
from contacthub.store.items import row_values
from contacthub.store.versions import pack, unpack
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


def test_a_group_card_written_again_from_its_version_is_marked_once(store: Store) -> None:
    put(store, "team.vcf", new_group_card("team", "Team", ["ann"]))
    with store.read() as tx:
        item = tx.get_item(tx.require_collection(BOOK).id, "team.vcf")
        assert item is not None
        [image] = tx.item_images([item.id]).values()
    kept = unpack(pack(image))
    assert row_values(kept)["idx_extra"] == row_values(item_data(image.text))["idx_extra"]
    assert row_values(kept)["idx_extra"].count(GROUP_MARK) == 1
