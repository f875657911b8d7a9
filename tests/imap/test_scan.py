"""Scanning a seeded Dovecot mailbox: the harvest, incremental runs, a UIDVALIDITY change."""

from __future__ import annotations

import imaplib
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from contacthub.sources.imap.connection import (
    ImapAccount,
    ImapError,
    connect,
    find_sent_folder,
    logout,
)
from contacthub.sources.imap.harvest import Correspondent
from contacthub.sources.imap.scan import parse_fetch, parse_internaldate, scan, scan_account
from tests.imap.messages import EXPECTED, INBOX_COUNT, SENT_COUNT, message, sent
from tests.support.dovecot import SENT_FOLDER, DovecotServer
from tests.support.mail_fixtures import LOOPBACK_POLICY

FOLDERS = ["INBOX", SENT_FOLDER]


@pytest.fixture
def client(seeded: ImapAccount) -> Iterator[imaplib.IMAP4]:
    client = connect(seeded, timeout=10, policy=LOOPBACK_POLICY)
    yield client
    logout(client)


def summary(found: dict[str, Correspondent]) -> dict[str, tuple[str, int, str]]:
    return {
        address: (c.name, c.messages, c.last_date.date().isoformat() if c.last_date else "")
        for address, c in found.items()
    }


def scan_all(client: imaplib.IMAP4, account: ImapAccount, state: dict, **options: object):
    return scan(
        client,
        FOLDERS,
        state,
        own_addresses=[account.username],
        sent_folders=[SENT_FOLDER],
        **options,  # type: ignore[arg-type]
    )


def test_sent_folder_found_by_special_use(dovecot: DovecotServer, account: ImapAccount) -> None:
    with dovecot.client(account.username) as admin:
        assert admin.create('"Sent"')[0] == "OK"  # a usual name, but not marked \Sent
        assert admin.create('"Sent Items"')[0] == "OK"
    client = connect(account, timeout=10, policy=LOOPBACK_POLICY)
    try:
        assert find_sent_folder(client) == SENT_FOLDER
        # Without SPECIAL-USE in the capabilities, a plain LIST still carries \Sent here.
        client.capabilities = tuple(c for c in client.capabilities if c != "SPECIAL-USE")
        assert find_sent_folder(client) == SENT_FOLDER
    finally:
        logout(client)


def test_full_scan_harvests_the_mailbox(client: imaplib.IMAP4, seeded: ImapAccount) -> None:
    result = scan_all(client, seeded, {})
    assert summary(result.correspondents) == EXPECTED
    assert result.messages_scanned == INBOX_COUNT + SENT_COUNT
    assert list(result.state) == FOLDERS
    assert result.state["INBOX"]["last_uid"] == INBOX_COUNT
    assert result.state[SENT_FOLDER]["last_uid"] == SENT_COUNT
    assert all(entry["uidvalidity"] > 0 for entry in result.state.values())


def test_batches_give_the_same_result(client: imaplib.IMAP4, seeded: ImapAccount) -> None:
    whole = scan_all(client, seeded, {})
    batched = scan_all(client, seeded, {}, batch_size=3)
    assert batched == whole


def test_scan_account_finds_inbox_and_sent(seeded: ImapAccount) -> None:
    result = scan_account(seeded, {}, timeout=10, policy=LOOPBACK_POLICY)
    assert summary(result.correspondents) == EXPECTED
    assert list(result.state) == FOLDERS


def test_incremental_scans(
    dovecot: DovecotServer, client: imaplib.IMAP4, seeded: ImapAccount
) -> None:
    first = scan_all(client, seeded, {})

    again = scan_all(client, seeded, first.state)
    assert (again.messages_scanned, again.correspondents) == (0, {})
    assert again.state == first.state

    with dovecot.client(seeded.username) as admin:
        dovecot.append(
            admin,
            "INBOX",
            message(f"""\
From: =?UTF-8?Q?Bj=C3=B6rn?= <bjorn@example.se>
To: {seeded.username}
Cc: Bob Stone <bob@example.net>
Subject: Hej
Date: Fri, 15 Mar 2024 10:00:00 +0100"""),
        )
    third = scan_all(client, seeded, again.state)
    assert third.messages_scanned == 1
    assert summary(third.correspondents) == {
        "bjorn@example.se": ("Björn", 1, "2024-03-15"),
        "bob@example.net": ("Bob Stone", 1, "2024-03-15"),
    }
    assert third.state["INBOX"]["last_uid"] == INBOX_COUNT + 1
    assert third.state[SENT_FOLDER] == first.state[SENT_FOLDER]


def test_uidvalidity_change_rescans_that_folder(
    dovecot: DovecotServer, client: imaplib.IMAP4, seeded: ImapAccount
) -> None:
    first = scan_all(client, seeded, {})
    with dovecot.client(seeded.username) as admin:
        dovecot.recreate(admin, SENT_FOLDER)
        for raw in sent(seeded.username):
            dovecot.append(admin, SENT_FOLDER, raw)

    second = scan_all(client, seeded, first.state)
    assert second.state[SENT_FOLDER]["uidvalidity"] != first.state[SENT_FOLDER]["uidvalidity"]
    assert second.state[SENT_FOLDER]["last_uid"] == SENT_COUNT
    assert second.state["INBOX"] == first.state["INBOX"]
    assert second.messages_scanned == SENT_COUNT  # the Sent folder again, INBOX not
    # Addresses already known come back once each, under the same names, nothing new.
    assert set(second.correspondents) == {
        "bob@example.net",
        "zoe@example.com",
        "helene@example.fr",
        "frank@example.com",
    }
    for address, correspondent in second.correspondents.items():
        assert correspondent.email == address
        assert correspondent.name == first.correspondents[address].name
        assert correspondent.messages == 1


def test_scanning_marks_nothing_read(dovecot: DovecotServer, account: ImapAccount) -> None:
    with dovecot.client(account.username) as admin:
        typ, _ = admin.append("INBOX", None, None, message("From: Bob <bob@example.net>"))
        assert typ == "OK"
    client = connect(account, timeout=10, policy=LOOPBACK_POLICY)
    try:
        assert scan(client, ["INBOX"], {}).messages_scanned == 1
    finally:
        logout(client)
    with dovecot.client(account.username) as admin:
        admin.select("INBOX", readonly=True)
        typ, data = admin.fetch("1", "(FLAGS)")
        assert b"\\Seen" not in data[0]


def test_an_empty_folder(client: imaplib.IMAP4, seeded: ImapAccount) -> None:
    result = scan(client, ["Drafts"], {})
    assert (result.messages_scanned, result.correspondents) == (0, {})
    assert result.state["Drafts"]["last_uid"] == 0


def test_a_missing_folder(client: imaplib.IMAP4) -> None:
    with pytest.raises(ImapError) as caught:
        scan(client, ["INBOX", "Sent Items"], {})
    assert "cannot open folder 'Sent Items'" in str(caught.value)
    assert "check the folder name" in str(caught.value)


def test_parse_fetch_with_uid_before_or_after_the_literal() -> None:
    data = [
        (
            b'1 (UID 7 INTERNALDATE "04-Mar-2024 09:15:00 +0100" BODY[HEADER.FIELDS (FROM)] {20}',
            b"From: a@example.com\r\n",
        ),
        b")",
        (
            b'2 (INTERNALDATE " 5-Mar-2024 23:30:00 -0130" BODY[HEADER.FIELDS (FROM)] {20}',
            b"From: b@example.com\r\n",
        ),
        b" UID 9)",
        b"3 (FLAGS (\\Seen))",  # an unsolicited update, no literal
    ]
    assert list(parse_fetch(data)) == [
        (7, datetime(2024, 3, 4, 8, 15, tzinfo=UTC), b"From: a@example.com\r\n"),
        (9, datetime(2024, 3, 6, 1, 0, tzinfo=UTC), b"From: b@example.com\r\n"),
    ]


def test_parse_internaldate() -> None:
    assert parse_internaldate(b'INTERNALDATE "31-Dec-2023 23:59:59 +0000"') == datetime(
        2023, 12, 31, 23, 59, 59, tzinfo=UTC
    )
    assert parse_internaldate(b'INTERNALDATE "31-Foo-2023 23:59:59 +0000"') is None
    assert parse_internaldate(b'INTERNALDATE "31-Feb-2023 23:59:59 +0000"') is None
    assert parse_internaldate(b"UID 3") is None
