"""Harvest rules over header text: which addresses count, under which name, with which date."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contacthub.sources.imap.harvest import (
    Harvest,
    addresses,
    clean_name,
    decode_words,
    is_automated,
    is_bulk,
    message_date,
    normalise_address,
    parse_headers,
)

RECEIVED = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def headers(text: str) -> bytes:
    return text.strip("\n").replace("\n", "\r\n").encode() + b"\r\n\r\n"


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        ("=?UTF-8?B?Wm/DqyDDhW5nc3Ryw7Zt?=", "Zoë Ångström"),
        ("=?ISO-8859-1?Q?Fran=E7ois_L=E9vesque?=", "François Lévesque"),
        ("=?utf-8?q?J=C3=BCrgen?= Weiss", "Jürgen Weiss"),
        ("=?UTF-8?B?5bGx55Sw?= =?UTF-8?B?5aSq6YOO?=", "山田太郎"),  # adjacent words join
        ("Plain Name", "Plain Name"),
        ("=?x-unknown-charset?Q?abc?=", "=?x-unknown-charset?Q?abc?="),
        ("=?UTF-8?B?not*base64?=", "=?UTF-8?B?not*base64?="),
    ],
)
def test_decode_words(raw: str, decoded: str) -> None:
    assert decode_words(raw) == decoded


@pytest.mark.parametrize(
    ("raw", "address"),
    [
        ("Ann@Example.ORG", "ann@example.org"),
        ("<ann@example.org>", "ann@example.org"),
        ("juergen@xn--bcher-kva.example", "juergen@bücher.example"),
        ("ME@XN--BCHER-KVA.EXAMPLE", "me@bücher.example"),
        ("x@xn--a.example", "x@xn--a.example"),  # not valid IDNA: kept in ASCII
        ("user@bücher.example", "user@bücher.example"),
        ("undisclosed-recipients:", None),
        ("", None),
        ("@example.org", None),
        ("ann@", None),
        ("ann smith@example.org", None),
    ],
)
def test_normalise_address(raw: str, address: str | None) -> None:
    assert normalise_address(raw) == address


@pytest.mark.parametrize(
    "address",
    [
        "noreply@github.com",
        "no-reply@accounts.google.com",
        "no_reply@example.com",
        "do-not-reply@bank.example",
        "donotreply@example.com",
        "dont-reply@example.com",
        "github-noreply@github.com",
        "noreply-dmarc-support@google.com",
        "mailer-daemon@mx.example.org",
        "postmaster@example.org",
        "bounces+12345-abc@mail.example.com",
        "bounce-mc.us5_123@mail.example.com",
        "notifications@github.com",
        "notification@facebookmail.com",
        "notify@service.example",
        "no.reply@example.com",
    ],
)
def test_automated_addresses(address: str) -> None:
    assert is_automated(address)


@pytest.mark.parametrize(
    "address",
    [
        "nora@example.com",
        "reply.guy@example.com",
        "ann@noreply-not-local.example",
        "bob.notary@example.com",
        "daemon.smith@example.com",
    ],
)
def test_people_are_not_automated(address: str) -> None:
    assert not is_automated(address)


@pytest.mark.parametrize(
    ("extra", "bulk"),
    [
        ("List-Id: Developers <dev.lists.example.org>", True),
        ("List-Unsubscribe: <mailto:leave@lists.example.org>", True),
        ("Precedence: bulk", True),
        ("Precedence: LIST", True),
        ("Precedence: junk", True),
        ("Precedence: first-class", False),
        ("Auto-Submitted: auto-generated", True),
        ("Auto-Submitted: auto-replied", True),
        ("Auto-Submitted: no", False),
        ("X-Mailer: Thunderbird", False),
    ],
)
def test_bulk_messages(extra: str, bulk: bool) -> None:
    message = parse_headers(headers(f"From: a@example.com\n{extra}"))
    assert is_bulk(message) is bulk


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ('"Bob Stone"', "Bob Stone"),
        ("'Bob Stone'", "Bob Stone"),
        ("  Bob   Stone ", "Bob Stone"),
        ("bob@example.net", ""),
        ("'bob@example.net'", ""),
        ("bob", "bob"),  # only the local part: a name, but a weak one (see below)
        ("", ""),
        ("=?UTF-8?Q?Bob_St=C3=B6ne?=", "Bob Stöne"),
    ],
)
def test_clean_name(raw: str, name: str) -> None:
    assert clean_name(raw) == name


def test_addresses_of_folded_grouped_and_encoded_headers() -> None:
    message = parse_headers(
        headers("""
From: =?UTF-8?B?Wm/DqyDDhW5nc3Ryw7Zt?= <zoe@example.com>
To: Friends: "Stone, Bob" <bob@example.net>,
 ann@example.org;, undisclosed-recipients:;
Cc: =?ISO-8859-1?Q?H=E9l=E8ne?= <helene@EXAMPLE.fr>
Reply-To: zoe.private@example.com
""")
    )
    assert addresses(message, ("From", "To", "Cc", "Reply-To")) == [
        ("Zoë Ångström", "zoe@example.com"),
        ("Stone, Bob", "bob@example.net"),
        ("", "ann@example.org"),
        ("Hélène", "helene@example.fr"),
        ("", "zoe.private@example.com"),
    ]


def test_raw_utf8_and_latin1_headers() -> None:
    utf8 = parse_headers('From: "Jürgen Weiß" <j@example.de>\r\n\r\n'.encode())
    latin1 = parse_headers('From: "Jürgen Weiß" <j@example.de>\r\n\r\n'.encode("latin-1"))
    for message in (utf8, latin1):
        assert addresses(message, ("From",)) == [("Jürgen Weiß", "j@example.de")]


def test_message_date() -> None:
    def date(value: str | None) -> datetime | None:
        text = "From: a@example.com" + (f"\nDate: {value}" if value is not None else "")
        return message_date(parse_headers(headers(text)), RECEIVED, now=RECEIVED)

    assert date("Mon, 04 Mar 2024 09:15:00 +0100") == datetime(2024, 3, 4, 8, 15, tzinfo=UTC)
    assert date("Mon, 04 Mar 2024 09:15:00 -0000") == datetime(2024, 3, 4, 9, 15, tzinfo=UTC)
    assert date(None) == RECEIVED
    assert date("yesterday, around noon") == RECEIVED
    assert date("Fri, 01 Jan 2100 00:00:00 +0000") == RECEIVED  # a clock far ahead


# -- Harvest ---------------------------------------------------------------------------------
def harvest_of(*messages: str, own: tuple[str, ...] = ("ann@example.org",), sent: bool = False):
    harvest = Harvest(own)
    for text in messages:
        harvest.add(headers(text), sent=sent, received=RECEIVED)
    return harvest.correspondents()


def test_own_addresses_are_skipped_in_any_case() -> None:
    found = harvest_of("From: Bob <bob@example.net>\nTo: Ann <ANN@Example.org>")
    assert set(found) == {"bob@example.net"}


def test_sent_from_addresses_are_own() -> None:
    harvest = Harvest(["ann@example.org"])
    harvest.add(headers("From: Ann <ann.alias@example.org>\nTo: Bob <bob@example.net>"), sent=True)
    harvest.add(headers("From: Carl <carl@example.com>\nTo: ann.alias@example.org"))
    assert set(harvest.correspondents()) == {"bob@example.net", "carl@example.com"}


def test_an_address_counts_once_per_message() -> None:
    found = harvest_of(
        "From: Bob <bob@example.net>\nReply-To: bob@example.net\nCc: Bob <BOB@example.net>"
    )
    assert found["bob@example.net"].messages == 1
    assert found["bob@example.net"].name == "Bob"


def test_best_name_is_the_most_frequent_real_one() -> None:
    found = harvest_of(
        "From: bob@example.net\nDate: Mon, 01 Apr 2024 10:00:00 +0000",
        'From: "Bob Stone" <bob@example.net>\nDate: Tue, 02 Apr 2024 10:00:00 +0000',
        'From: "bob@example.net" <bob@example.net>\nDate: Wed, 03 Apr 2024 10:00:00 +0000',
        'From: "Bob Stone" <bob@example.net>\nDate: Thu, 04 Apr 2024 10:00:00 +0000',
        'From: "B." <bob@example.net>\nDate: Fri, 05 Apr 2024 10:00:00 +0000',
    )
    bob = found["bob@example.net"]
    assert (bob.name, bob.messages) == ("Bob Stone", 5)
    assert bob.last_date == datetime(2024, 4, 5, 10, 0, tzinfo=UTC)


def test_a_name_other_than_the_local_part_wins() -> None:
    found = harvest_of(
        "From: bob <bob@example.net>",
        "From: BOB <bob@example.net>",
        "From: Bob Stone <bob@example.net>",
        "From: carl <carl@example.com>",
    )
    assert found["bob@example.net"].name == "Bob Stone"
    assert found["carl@example.com"].name == "carl"


def test_on_a_tie_the_most_recent_name_wins() -> None:
    found = harvest_of(
        "From: Robert Stone <bob@example.net>\nDate: Tue, 02 Apr 2024 10:00:00 +0000",
        "From: Bob Stone <bob@example.net>\nDate: Mon, 01 Apr 2024 10:00:00 +0000",
    )
    assert found["bob@example.net"].name == "Robert Stone"


def test_no_real_name() -> None:
    found = harvest_of('From: "dave@example.com" <dave@example.com>', "From: dave@example.com")
    assert found["dave@example.com"].name == ""


def test_automated_sender_skips_the_whole_message() -> None:
    found = harvest_of("From: GitHub <noreply@github.com>\nCc: Mallory <mallory@example.com>")
    assert found == {}


def test_automated_addresses_are_skipped_among_people() -> None:
    found = harvest_of(
        "From: Bob <bob@example.net>\nReply-To: no-reply@example.net\nCc: carl@example.com"
    )
    assert set(found) == {"bob@example.net", "carl@example.com"}


def test_list_and_bulk_messages_are_skipped() -> None:
    found = harvest_of(
        "From: Carol <carol@example.org>\nList-Id: <dev.lists.example.org>",
        "From: Shop <news@shop.example>\nPrecedence: bulk",
        "From: Out <out@example.org>\nAuto-Submitted: auto-replied",
    )
    assert found == {}


def test_add_says_whether_the_message_counted() -> None:
    harvest = Harvest()
    assert harvest.add(headers("From: bob@example.net"))
    assert not harvest.add(headers("From: bob@example.net\nPrecedence: list"))
    assert not harvest.add(headers("From: noreply@example.net\nTo: bob@example.net"))


def test_date_falls_back_to_the_server_date() -> None:
    found = harvest_of("From: bob@example.net")
    assert found["bob@example.net"].last_date == RECEIVED
