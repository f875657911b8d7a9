"""Groups both ways in the store's write path: a group card's members show the group in
their CATEGORIES, a category puts the contact in the group card of its name; renames,
removals, runs, the book's group form, the conflict rule, all or nothing. SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from contacthub.store import Actor, StagedChange, Staging, Store, Transaction, format_token
from contacthub.store.group_cards import facts_of, new_group_card
from contacthub.store.groups import GROUP_FORM
from contacthub.store.items import index_columns
from contacthub.store.schema import items
from contacthub.vcard.parse import item_data, parse_one
from tests.support.vcards import make_card

BOOK = "alice/contacts"
IPHONE = Actor("alice", "carddav", "iOS/17.4 (21E219) dataaccessd/1.0")
THUNDERBIRD = Actor("alice", "carddav", "Thunderbird/128.0")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    with opened.write() as tx:
        tx.create_collection("alice", {})
        tx.create_collection(BOOK, {"tag": "VADDRESSBOOK"})
    yield opened
    opened.close()


def contact(uid: str, name: str, categories: str | None = None) -> str:
    extra = [f"CATEGORIES:{categories}"] if categories is not None else []
    return make_card(uid, name, emails=[f"{uid}@example.org"], extra=extra)


def put(store: Store, href: str, text: str, actor: Actor = THUNDERBIRD) -> None:
    with store.write([BOOK], actor=actor) as tx:
        tx.put_item(tx.require_collection(BOOK), href, item_data(text))


def delete(store: Store, href: str, actor: Actor = THUNDERBIRD) -> None:
    with store.write([BOOK], actor=actor) as tx:
        tx.delete_item(tx.require_collection(BOOK), href)


def text_of(store: Store, href: str) -> str:
    with store.read() as tx:
        item = tx.get_item(tx.require_collection(BOOK).id, href)
    assert item is not None
    return item.text


def categories(store: Store, href: str) -> set[str]:
    return set(facts_of(text_of(store, href)).categories)


def group_cards(store: Store) -> dict[str, frozenset[str]]:
    """name -> members of the book's group cards."""
    with store.read() as tx:
        found = [facts_of(item.text) for item in tx.iter_items(tx.require_collection(BOOK).id)]
    return {facts.name: facts.members for facts in found if facts.is_group}


def people(store: Store, *uids: str) -> None:
    for uid in uids:
        put(store, f"{uid}.vcf", contact(uid, uid.title()))


def test_a_group_card_puts_its_name_in_its_members_categories(store: Store) -> None:
    people(store, "ann", "bob", "cy")
    put(store, "work.vcf", new_group_card("work", "Work", ["ann", "bob"]), IPHONE)
    assert categories(store, "ann.vcf") == {"Work"}
    assert categories(store, "bob.vcf") == {"Work"}
    assert categories(store, "cy.vcf") == set()
    # What a Thunderbird reads is a valid card (vobject parses the derived text).
    assert parse_one(text_of(store, "ann.vcf")).categories.value == ["Work"]


def test_derived_writes_are_writes_of_their_own_by_the_same_actor(store: Store) -> None:
    people(store, "ann")
    with store.read() as tx:
        book = tx.require_collection(BOOK)
        etag = tx.get_item(book.id, "ann.vcf").etag  # type: ignore[union-attr]
        token_before = format_token(book, book.sync_seq)
    put(store, "work.vcf", new_group_card("work", "Work", ["ann"]), IPHONE)
    with store.read() as tx:
        book = tx.require_collection(BOOK)
        ann = tx.get_item(book.id, "ann.vcf")
        assert ann is not None and ann.etag != etag
        changed = list(tx.changed_since(book, token_before))
        versions = tx.versions_of_hrefs(book.id, ["ann.vcf"])
    assert set(changed) == {"work.vcf", "ann.vcf"}
    assert [(v.action, v.agent) for v in versions][-1] == ("update", IPHONE.agent)


def test_members_removed_and_the_card_renamed_and_deleted(store: Store) -> None:
    people(store, "ann", "bob")
    put(store, "work.vcf", new_group_card("work", "Work", ["ann", "bob"]), IPHONE)
    put(store, "work.vcf", new_group_card("work", "Work", ["ann"]), IPHONE)
    assert (categories(store, "ann.vcf"), categories(store, "bob.vcf")) == ({"Work"}, set())
    put(store, "work.vcf", new_group_card("work", "Office", ["ann"]), IPHONE)
    assert categories(store, "ann.vcf") == {"Office"}
    delete(store, "work.vcf", IPHONE)
    assert categories(store, "ann.vcf") == set()


def test_a_new_category_makes_a_group_card_and_later_ones_join_it(store: Store) -> None:
    put(store, "ann.vcf", contact("ann", "Ann", "Work,Friends"))
    put(store, "bob.vcf", contact("bob", "Bob", "Work"))
    assert group_cards(store) == {"Work": {"ann", "bob"}, "Friends": {"ann"}}
    put(store, "bob.vcf", contact("bob", "Bob"))
    assert group_cards(store)["Work"] == {"ann"}


def test_a_group_whose_last_member_leaves_keeps_its_card(store: Store) -> None:
    put(store, "ann.vcf", contact("ann", "Ann", "Book club"))
    delete(store, "ann.vcf")
    assert group_cards(store) == {"Book club": frozenset()}
    put(store, "bob.vcf", contact("bob", "Bob", "Book club"))
    assert group_cards(store) == {"Book club": {"bob"}}


def test_a_derived_write_derives_nothing_further(store: Store) -> None:
    put(store, "ann.vcf", contact("ann", "Ann", "Work"))
    [(href, card)] = [
        (item.href, item.text)
        for item in _items(store)
        if facts_of(item.text).is_group  # the card made for the category
    ]
    with store.read() as tx:
        book = tx.require_collection(BOOK)
        seq = book.sync_seq
    # The iPhone writes back the card it was given: nothing changes anywhere.
    put(store, href, card, IPHONE)
    with store.read() as tx:
        assert tx.require_collection(BOOK).sync_seq == seq
    assert text_of(store, "ann.vcf") == contact("ann", "Ann", "Work")


def _items(store: Store) -> list:  # type: ignore[type-arg]
    with store.read() as tx:
        return list(tx.iter_items(tx.require_collection(BOOK).id))


def test_a_book_whose_group_form_is_categories_makes_no_group_cards(store: Store) -> None:
    with store.write([BOOK], actor=THUNDERBIRD) as tx:
        tx.set_props(tx.require_collection(BOOK), {"tag": "VADDRESSBOOK", GROUP_FORM: "categories"})
    put(store, "ann.vcf", contact("ann", "Ann", "Work"))
    assert group_cards(store) == {}
    # A group card a phone made is still kept in step.
    put(store, "team.vcf", new_group_card("team", "Team", ["ann"]), IPHONE)
    put(store, "ann.vcf", contact("ann", "Ann", "Work"))
    assert group_cards(store) == {"Team": frozenset()}


def test_derived_writes_roll_back_with_the_write(store: Store) -> None:
    people(store, "ann")
    with pytest.raises(RuntimeError), store.write([BOOK], actor=IPHONE) as tx:
        tx.put_item(
            tx.require_collection(BOOK),
            "work.vcf",
            item_data(new_group_card("work", "Work", ["ann"])),
        )
        raise RuntimeError("the request failed after the write")
    assert categories(store, "ann.vcf") == set()
    assert group_cards(store) == {}


def test_the_group_card_wins_when_one_write_changes_both_forms(store: Store) -> None:
    people(store, "ann")
    put(store, "work.vcf", new_group_card("work", "Work", ["ann"]), IPHONE)
    # One write (as a whole book replaced) drops ann from the card but keeps her category.
    with store.write([BOOK], actor=IPHONE) as tx:
        tx.replace_items(
            tx.require_collection(BOOK),
            [
                ("ann.vcf", item_data(contact("ann", "Ann", "Work"))),
                ("work.vcf", item_data(new_group_card("work", "Work", []))),
            ],
        )
    assert group_cards(store) == {"Work": frozenset()}
    assert categories(store, "ann.vcf") == set()


def test_a_published_run_makes_group_cards_of_its_categories(store: Store) -> None:
    run = Actor("alice", "run")
    with Staging(store, BOOK, run) as staging:
        staging.stage(
            None,
            [
                StagedChange("add", uid, f"{uid}.vcf", uid, data=item_data(text))
                for uid, text in (
                    ("ann", contact("ann", "Ann", "Family")),
                    ("bob", contact("bob", "Bob", "Family,Work")),
                )
            ],
        )
        assert group_cards(store) == {}  # written ahead: not yet

        def nothing(tx: Transaction) -> None:
            return None

        staging.publish(nothing)
        assert group_cards(store) == {"Family": {"ann", "bob"}, "Work": {"bob"}}
    assert group_cards(store) == {"Family": {"ann", "bob"}, "Work": {"bob"}}


def test_a_four_oh_group_card_is_read_and_kept_in_its_form(store: Store) -> None:
    people(store, "ann", "bob")
    card = (
        "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:g4\r\nFN:Crew\r\nKIND:group\r\n"
        "MEMBER:urn:uuid:ann\r\nEND:VCARD\r\n"
    )
    put(store, "g4.vcf", card, IPHONE)
    assert categories(store, "ann.vcf") == {"Crew"}
    put(store, "bob.vcf", contact("bob", "Bob", "Crew"))
    assert "MEMBER:urn:uuid:bob\r\n" in text_of(store, "g4.vcf")
    assert "X-ADDRESSBOOKSERVER" not in text_of(store, "g4.vcf")


def listed(store: Store) -> tuple[dict[str, int], int, set[str]]:
    """The book's groups (name -> members), its count of people, the names search finds."""
    with store.read() as tx:
        book = tx.require_collection(BOOK).id
        groups = {group.name: group.members for group in tx.list_groups(book)}
        counted = tx.count_people([book]).get(book, 0)
        found, _ = tx.search_contacts([book], [], limit=100, offset=0)
    return groups, counted, {item.display_name for item in found}


def test_group_cards_are_listed_as_groups_whichever_way_they_came(store: Store) -> None:
    people(store, "ann", "bob")
    put(store, "ann.vcf", contact("ann", "Ann", "Friends"))
    put(store, "bob.vcf", contact("bob", "Bob", "Friends"))
    card = (
        "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:g4\r\nFN:Crew\r\nKIND:group\r\n"
        "MEMBER:urn:uuid:ann\r\nEND:VCARD\r\n"
    )
    put(store, "g4.vcf", card, IPHONE)
    put(store, "bob.vcf", contact("bob", "Bob", "Friends,Crew"))
    assert listed(store) == ({"Crew": 2, "Friends": 2}, 2, {"Ann", "Bob"})
    put(store, "g4.vcf", card.replace("FN:Crew", "FN:Crew 2"), IPHONE)
    assert listed(store) == ({"Crew 2": 1, "Friends": 2}, 2, {"Ann", "Bob"})
    assert categories(store, "bob.vcf") == {"Friends"}


def test_a_group_name_with_a_line_break_is_indexed_in_its_members_as_one_value(
    store: Store,
) -> None:
    people(store, "ann")
    put(store, "work.vcf", new_group_card("work", "Work\nand play", ["ann"]), IPHONE)

    with store.read() as tx:
        book = tx.require_collection(BOOK)
        row = tx.conn.execute(
            select(items.c.text, items.c.idx_extra).where(
                items.c.collection_id == book.id, items.c.href == "ann.vcf"
            )
        ).one()
    assert categories(store, "ann.vcf") == {"Work\nand play"}
    assert row.idx_extra == index_columns(item_data(row.text))["idx_extra"]  # as written anew
