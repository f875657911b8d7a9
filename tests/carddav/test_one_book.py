"""Which clients see one book, the names of cards in it, and its sync token."""

from __future__ import annotations

import pytest

from contacthub.carddav.one_book import APART, ONE_BOOK, recognised_as_one_book, sees_one_book
from contacthub.store.errors import InvalidSyncToken
from contacthub_radicale.union import is_default_book
from contacthub_radicale.union_names import split_href, union_href
from contacthub_radicale.union_token import format_union_token, parse_union_token

MACS = (
    "macOS/14.2 (23C64) AddressBookCore/2487.300.5",
    "macOS/11.6 (20G165) AddressBookCore/2452.4",
    "Mac OS X/10.15.7 (19H2) AddressBook/2245",
    "Mac_OS_X/10.9.5 (13F1911) AddressBook/1579",
)
OTHERS = (
    "iOS/17.1 (21B80) dataaccessd/1.0",
    "DAVx5/4.3.13-ose (2024/01/09; dav4jvm; okhttp/4.12.0) Android/14",
    "Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.5.0",
    "vdirsyncer/0.19.2",
    "",
)


@pytest.mark.parametrize("agent", MACS)
def test_macos_address_book_is_recognised(agent: str) -> None:
    assert recognised_as_one_book(agent)


@pytest.mark.parametrize("agent", OTHERS)
def test_other_clients_are_not(agent: str) -> None:
    assert not recognised_as_one_book(agent)


def test_a_devices_setting_wins_over_the_recognition() -> None:
    assert not sees_one_book(MACS[0], APART)
    assert sees_one_book(OTHERS[1], ONE_BOOK)
    assert sees_one_book(MACS[0]) and not sees_one_book(OTHERS[1])


@pytest.mark.parametrize(
    ("book", "href", "default", "name"),
    [
        ("D", "a.vcf", True, "a.vcf"),
        ("D", "~odd.vcf", True, "~D~~odd.vcf"),
        ("B", "a.vcf", False, "~B~a.vcf"),
        ("B", "~x~y.vcf", False, "~B~~x~y.vcf"),
    ],
)
def test_names_in_the_combined_book_lead_back_to_their_book(
    book: str, href: str, default: bool, name: str
) -> None:
    assert union_href(book, href, default=default) == name
    assert split_href(name, "D") == (book, href)


def test_a_name_with_no_book_prefix_is_the_default_books() -> None:
    assert split_href("~half.vcf", "D") == ("D", "~half.vcf")
    assert split_href("plain.vcf", "D") == ("D", "plain.vcf")


def test_the_combined_token_carries_each_books_token() -> None:
    tokens = {"b1": "urn:contacthub:sync:b1:4", "b2": ""}
    token = format_union_token("d", tokens)
    assert parse_union_token(token, "d") == tokens
    with pytest.raises(InvalidSyncToken):
        parse_union_token(token, "other")
    for bad in (
        "urn:contacthub:sync:d:3",
        "urn:contacthub:onebook:d:!!",
        "urn:contacthub:onebook:d:W10",
    ):
        with pytest.raises(InvalidSyncToken):
            parse_union_token(bad, "d")


def test_only_an_accounts_default_book_is_combined() -> None:
    assert is_default_book("alice/contacts")
    assert not is_default_book("alice/other")
    assert not is_default_book("contacts")
    assert not is_default_book("alice/x/contacts")
