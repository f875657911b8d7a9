"""A member card's CATEGORIES changed in one pass over its text (store/group_cards.py):
the same text, byte for byte, as reading the card line by line gives; and what a card
says about groups read from its UID and CATEGORIES lines alone, as reading every line."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contacthub.store.group_cards import (
    GroupFacts,
    _with_categories_by_lines,
    facts_by_lines,
    facts_of,
    with_categories,
)

CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ann\r\nFN:Ann Lee\r\n{lines}END:VCARD\r\n"


def card(*lines: str, eol: str = "\r\n") -> str:
    return CARD.format(lines="".join(line + "\r\n" for line in lines)).replace("\r\n", eol)


CASES = [
    card(),
    card("CATEGORIES:Friends,Choir"),
    card("CATEGORIES:Friends", "EMAIL:ann@example.org", "categories:Choir"),
    card("item1.CATEGORIES;CHARSET=utf-8:Friends\\,old,Choir"),
    card("CATEGORIES:" + ",".join(f"Group number {n}" for n in range(12)).replace(",", ",\r\n ")),
    card("NOTE:a long note folded where a continuation reads\r\n x.CATEGORIES:Not a line"),
    card("CATEGORIES:Friends", "X-CATEGORIES:Other", "NOTE:CATEGORIES:Friends"),
    card("CATEGORIES:Friends", eol="\n"),
    card("CATEGORIES:Friends", eol="\r"),
    "BEGIN:VCARD\r\nUID:ann\r\nFN:Ann\r\nCATEGORIES:Friends",
    "BEGIN:VCARD\r\nUID:ann\r\nFN:Ann",
]
CHANGES = [
    ((), ()),
    (("Team",), ()),
    ((), ("Friends",)),
    (("Team",), ("Friends", "Choir")),
    (("Friends, old", "Ünïcödé group with a rather long name to fold it " * 2), ("Friends,old",)),
]


@pytest.mark.parametrize("text", CASES)
@pytest.mark.parametrize(("add", "remove"), CHANGES)
def test_one_pass_edits_as_reading_line_by_line(
    text: str, add: tuple[str, ...], remove: tuple[str, ...]
) -> None:
    assert with_categories(text, add, remove) == _with_categories_by_lines(text, add, remove)


def test_a_rename_changes_the_category_and_nothing_else() -> None:
    before = card("EMAIL:ann@example.org", "CATEGORIES:Friends,Team", "TEL:+1 555 0100")
    edited = with_categories(before, ["Team 2"], {"Team"})
    assert edited.text == card(
        "EMAIL:ann@example.org", "CATEGORIES:Friends,Team 2", "TEL:+1 555 0100"
    )
    assert facts_of(edited.text).categories == {"Friends", "Team 2"}
    assert (edited.gone, edited.came) == (("friends", "team"), ("friends", "team 2"))


LINE = st.sampled_from(
    [
        "CATEGORIES:Friends",
        "CATEGORIES:Team,Choir",
        "item2.CATEGORIES:Team",
        "Categories ;X=1:Friends\\,Choir",
        "EMAIL:ann@example.org",
        "NOTE:one\r\n two.CATEGORIES:x",
        "CATEGORIES:Team,\r\n Friends",
        "X-A:b",
        "END:VCARD",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(LINE, max_size=6),
    eol=st.sampled_from(["\r\n", "\n"]),
    add=st.lists(st.sampled_from(["Team", "Friends", "New"]), max_size=2),
    remove=st.sets(st.sampled_from(["Team", "Friends", "Choir"]), max_size=2),
)
def test_any_card_of_these_lines_is_edited_alike(
    lines: list[str], eol: str, add: list[str], remove: set[str]
) -> None:
    text = card(*lines, eol=eol)
    assert with_categories(text, add, remove) == _with_categories_by_lines(text, add, remove)


FACT_LINE = st.sampled_from(
    [
        "UID:ann",
        "uid;VALUE=text:bob\\,jr",
        "item1.UID: cy ",
        "UID:",
        "NOTE:one\r\n UID:not-this",
        "FN:Ann Lee",
        "CATEGORIES:Team,Choir",
        "Categories ;X=1:Friends\\,Choir",
        'X-A;P="a:b":UID:x',
        "X-ADDRESSBOOKSERVER-KIND:group",
        "KIND:individual",
        "X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:ann",
        "MEMBER:urn:uuid:bob",
    ]
)


@settings(max_examples=400, deadline=None)
@given(lines=st.lists(FACT_LINE, max_size=7), eol=st.sampled_from(["\r\n", "\n", "\r"]))
def test_a_cards_group_facts_are_read_alike_from_its_few_lines_or_all(
    lines: list[str], eol: str
) -> None:
    text = "BEGIN:VCARD\r\nVERSION:3.0\r\n" + "".join(f"{line}\r\n" for line in lines)
    text = (text + "END:VCARD\r\n").replace("\r\n", eol)
    assert facts_of(text) == facts_by_lines(text)


def test_a_contacts_uid_and_categories_are_read_and_a_groups_name_and_members() -> None:
    contact = card("CATEGORIES:Friends,Choir", "categories:Team")
    assert facts_of(contact) == GroupFacts(
        "ann", categories=frozenset({"Friends", "Choir", "Team"})
    )
    group = card("X-ADDRESSBOOKSERVER-KIND:group", "X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:bob")
    assert facts_of(group) == GroupFacts("ann", "Ann Lee", True, frozenset({"bob"}))
