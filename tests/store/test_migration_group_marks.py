"""Revision 0014: group cards stored before the groups bridge are marked as groups, so
lists, counts and search of people leave them out; nothing else of a card changes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from contacthub.store import Actor, Store
from contacthub.store.engine import make_engine
from contacthub.store.group_cards import GROUP_MARK, new_group_card
from contacthub.store.items import row_values
from contacthub.store.migrate import current_revision, upgrade
from contacthub.store.schema import collections, items
from contacthub.vcard.parse import item_data
from tests.support.vcards import make_card

BOOK = "alice/contacts"
IPHONE = Actor("alice", "carddav", "iOS/17.4 (21E219) dataaccessd/1.0")
# More group cards than one page of the migration's look-up (1,000) and one batch of
# its reads (200), so that its paging is what marks them all.
GROUPS = 2_345
FOUR_OH_GROUP = (
    "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:family\r\nFN:Family\r\nKIND:group\r\n"
    "MEMBER:urn:uuid:ann\r\nEND:VCARD\r\n"
)
# Says "kind" and "group" without being a group card.
NOT_A_GROUP = make_card(
    "cy", "Cy Kind", emails=["cy@example.org"], extra=["NOTE:a kind man\\, in our group"]
)


@pytest.fixture
def engine(empty_store_url: str) -> Iterator[Engine]:
    made = make_engine(empty_store_url)
    upgrade(made, "0013")
    # The live Store, which writes and counts the cards below, reads a column a later
    # revision (0017) adds; it is taken away again before the store is brought to head.
    with made.begin() as conn:
        conn.execute(sa.text("ALTER TABLE collections ADD COLUMN sync_epoch VARCHAR(32)"))
        conn.execute(sa.text("UPDATE collections SET sync_epoch = ''"))
    yield made
    made.dispose()


def _drop_later_columns(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE collections DROP COLUMN sync_epoch"))


def _store_cards_as_0011_did(engine: Engine) -> None:
    """Contacts and group cards, the group cards without the mark, as a store that held
    them before the bridge has them; one more group card in a deleted book's trash."""
    store = Store(engine, history_retention=60)
    with store.write(actor=IPHONE) as tx:
        tx.create_collection("alice", {})
        book = tx.create_collection(BOOK, {"tag": "VADDRESSBOOK"})
        old = tx.create_collection("alice/old", {"tag": "VADDRESSBOOK"})
        cards = [
            make_card("ann", "Ann Smith", emails=["ann@example.org"], extra=["CATEGORIES:Work"]),
            make_card("bob", "Bob Jones", emails=["bob@example.org"]),
            NOT_A_GROUP,
            FOUR_OH_GROUP,
            new_group_card("g0", "Group 0", ["ann", "bob"]),
            *(new_group_card(f"g{n}", f"Group {n}", []) for n in range(1, GROUPS)),
        ]
        tx.add_items(book, [(f"{n}.vcf", item_data(text)) for n, text in enumerate(cards)])
        tx.add_items(old, [("gone.vcf", item_data(new_group_card("gone", "Gone", [])))])
    with store.write(actor=IPHONE) as tx:
        tx.delete_collection("alice/old")
    prefix = f"\n{GROUP_MARK}"
    with engine.begin() as conn:
        rows = conn.execute(
            sa.select(items.c.id, items.c.idx_extra).where(items.c.idx_extra.startswith(prefix))
        ).all()
        conn.execute(
            items.update()
            .where(items.c.id == sa.bindparam("item_id"))
            .values(idx_extra=sa.bindparam("unmarked")),
            [
                {"item_id": row.id, "unmarked": _unmarked(row.idx_extra[len(prefix) :])}
                for row in rows
            ],
        )


def _unmarked(rest: str) -> str:
    return "" if rest == "\n" else rest


def _rows(engine: Engine) -> list[sa.Row[tuple[int, str, str, str, str]]]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.select(
                    items.c.id, items.c.href, items.c.text, items.c.etag, items.c.idx_extra
                ).order_by(items.c.id)
            )
        )


def _people(engine: Engine) -> int:
    store = Store(engine, history_retention=60)
    with store.read() as tx:
        book = tx.require_collection(BOOK)
        return tx.count_people([book.id])[book.id]


def test_group_cards_stored_before_the_bridge_are_marked_and_nothing_else_changes(
    engine: Engine,
) -> None:
    _store_cards_as_0011_did(engine)
    # Before: every group card (those above, Family, and Work made by Ann's category)
    # counted as a person.
    assert _people(engine) == 3 + GROUPS + 2
    before = _rows(engine)
    with engine.connect() as conn:
        seqs = dict(conn.execute(sa.select(collections.c.path, collections.c.sync_seq)).all())

    upgrade(engine, "0014")

    assert current_revision(engine) == "0014"
    after = _rows(engine)
    # Each row's index is what the live code writes for its text: marked when (and only
    # when) it is a group card, in the trash too; texts and ETags untouched.
    assert [row.idx_extra for row in after] == [
        row_values(item_data(row.text))["idx_extra"] for row in after
    ]
    assert [(row.id, row.text, row.etag) for row in after] == [
        (row.id, row.text, row.etag) for row in before
    ]
    assert sum(row.idx_extra.startswith(f"\n{GROUP_MARK}\n") for row in after) == GROUPS + 3
    assert _people(engine) == 3
    _drop_later_columns(engine)
    upgrade(engine)  # the store as the code now reads it
    store = Store(engine, history_retention=60)
    with store.read() as tx:
        book = tx.require_collection(BOOK)
        # Ann and Bob are in "Group 0"; the 2,345 group cards named "Group N" are not people.
        found, total = tx.search_contacts([book.id], ["group"], limit=10, offset=0)
        assert sorted(item.href for item in found) == ["0.vcf", "1.vcf"] and total == 2
        found, _ = tx.search_contacts([book.id], ["kind"], limit=10, offset=0)
        assert [item.href for item in found] == ["2.vcf"]
        assert len(tx.list_groups(book.id)) == GROUPS + 2
    # Marking is no write a client syncs: no change-log position moved.
    with engine.connect() as conn:
        assert dict(conn.execute(sa.select(collections.c.path, collections.c.sync_seq)).all()) == (
            seqs
        )


def test_a_store_upgraded_again_is_left_as_it_is(engine: Engine) -> None:
    _store_cards_as_0011_did(engine)
    _drop_later_columns(engine)
    upgrade(engine)
    marked = _rows(engine)
    upgrade(engine, "0013")
    upgrade(engine)
    assert _rows(engine) == marked
