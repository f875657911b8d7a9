"""anyof / allof over the index, as an addressbook-query combines its filters."""

from __future__ import annotations

import pytest

from contacthub.store import CardFilter, FilterGroup, PropertyPresence, Store, TextMatch
from contacthub.vcard.parse import item_data

CARDS = {
    "ann": "EMAIL:ann@example.org\r\nTEL:+1 555 0100",
    "bob": "EMAIL:bob@example.org",
    "cyd": "TEL:+44 20 0199",
}


@pytest.mark.parametrize(
    ("card_filter", "expected"),
    [
        (FilterGroup((PropertyPresence("EMAIL"), PropertyPresence("TEL"))), {"ann", "bob", "cyd"}),
        (FilterGroup((PropertyPresence("EMAIL"), PropertyPresence("TEL")), all_of=True), {"ann"}),
        (
            FilterGroup(
                (FilterGroup((TextMatch("EMAIL", "bob"),)), PropertyPresence("TEL", defined=False)),
                all_of=True,
            ),
            {"bob"},
        ),
        (FilterGroup(()), set()),  # an empty anyof matches nothing, as in Radicale
        (FilterGroup((), all_of=True), {"ann", "bob", "cyd"}),
    ],
)
def test_groups_combine_their_filters(
    store: Store, card_filter: CardFilter, expected: set[str]
) -> None:
    with store.write() as tx:
        book = tx.ensure_default_book("alice")
        for uid, lines in CARDS.items():
            text = (
                f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{uid}\r\n{lines}\r\nEND:VCARD\r\n"
            )
            tx.put_item(book, f"{uid}.vcf", item_data(text))
    with store.read() as tx:
        assert {item.uid for item in tx.match_items(book.id, card_filter)} == expected


LINES = {
    "lines": "FN:First line\\nSecond line\r\nORG:Upper\\nLower;Dept",
    "second": "FN:Second line\r\nORG:Lower",
}


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        (TextMatch("FN", "second line", "equals"), {"second"}),
        (TextMatch("FN", "second", "starts-with"), {"second"}),
        (TextMatch("FN", "first line", "ends-with"), set()),
        (TextMatch("FN", "second line", "equals", negate=True), {"lines"}),
        (TextMatch("ORG", "lower", "equals"), {"second"}),
        (TextMatch("ORG", "upper", "starts-with"), {"lines"}),
        (TextMatch("FN", "line", "contains"), {"lines", "second"}),
    ],
)
def test_a_value_with_a_line_break_is_one_value(
    store: Store, match: TextMatch, expected: set[str]
) -> None:
    """RFC 6352 10.5.4: a text-match tests each value whole; "First line\\nSecond line"
    neither equals "second line" nor starts with "second" (the index frames values
    with line breaks)."""
    with store.write() as tx:
        book = tx.ensure_default_book("alice")
        for uid, lines in LINES.items():
            text = f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\n{lines}\r\nEND:VCARD\r\n"
            tx.put_item(book, f"{uid}.vcf", item_data(text))
    with store.read() as tx:
        assert {item.uid for item in tx.match_items(book.id, match)} == expected
