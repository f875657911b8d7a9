"""Folder names: modified UTF-7, LIST responses, and finding the Sent folder without SPECIAL-USE."""

from __future__ import annotations

import pytest

from contacthub.sources.imap.connection import (
    Folder,
    parse_list_line,
    pick_sent_folder,
    quote_mailbox,
)
from contacthub.sources.imap.utf7 import decode_mailbox, encode_mailbox


@pytest.mark.parametrize(
    ("name", "wire"),
    [
        ("INBOX", "INBOX"),
        ("Éléments envoyés", "&AMk-l&AOk-ments envoy&AOk-s"),
        ("Tom & Jerry", "Tom &- Jerry"),
        ("Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"),
        ("日本語", "&ZeVnLIqe-"),
        ("😀", "&2D3eAA-"),
        ("[Gmail]/Sent Mail", "[Gmail]/Sent Mail"),
    ],
)
def test_modified_utf7(name: str, wire: str) -> None:
    assert encode_mailbox(name) == wire
    assert decode_mailbox(wire) == name


def test_malformed_utf7_is_kept() -> None:
    assert decode_mailbox("Bad &AM-run") == "Bad &AM-run"


def test_quote_mailbox() -> None:
    assert quote_mailbox('Say "hi" \\ Éa') == '"Say \\"hi\\" \\\\ &AMk-a"'


def test_parse_list_lines() -> None:
    assert parse_list_line(b'(\\HasNoChildren \\Sent) "/" "&AMk-l&AOk-ments envoy&AOk-s"') == (
        Folder("Éléments envoyés", "/", frozenset({"\\hasnochildren", "\\sent"}))
    )
    assert parse_list_line(b'(\\HasChildren) "." INBOX') == (
        Folder("INBOX", ".", frozenset({"\\haschildren"}))
    )
    assert parse_list_line(b"(\\Noselect) NIL Public") == (
        Folder("Public", None, frozenset({"\\noselect"}))
    )
    assert parse_list_line((b'() "/" {16}', b'Quote "me" & me')) == (
        Folder('Quote "me" & me', "/", frozenset())
    )
    assert parse_list_line(b'() "\\\\" "A\\\\B"') == Folder("A\\B", "\\", frozenset())
    assert parse_list_line(b"garbage") is None
    assert parse_list_line(None) is None


def folders(*lines: bytes) -> list[Folder]:
    return [folder for folder in map(parse_list_line, lines) if folder is not None]


def test_sent_by_name_without_special_use() -> None:
    assert (
        pick_sent_folder(
            folders(
                b'(\\HasChildren) "." INBOX',
                b'(\\HasNoChildren) "." "INBOX.Drafts"',
                b'(\\HasNoChildren) "." "INBOX.Sent Items"',
            )
        )
        == "INBOX.Sent Items"
    )
    assert (
        pick_sent_folder(
            folders(
                b'() "/" INBOX',
                b'() "/" "Gesendete Objekte"',
                b'() "/" Sent',
            )
        )
        == "Sent"
    )  # the more usual name first
    assert pick_sent_folder(folders(b'() "/" "[Gmail]/Sent Mail"')) == "[Gmail]/Sent Mail"
    assert pick_sent_folder(folders(b'() "/" "&AMk-l&AOk-ments envoy&AOk-s"')) == (
        "Éléments envoyés"
    )


def test_special_use_beats_names_and_noselect_is_skipped() -> None:
    assert (
        pick_sent_folder(
            folders(
                b'() "/" Sent',
                b'(\\Sent) "/" "Outbox copies"',
            )
        )
        == "Outbox copies"
    )
    assert pick_sent_folder(folders(b'(\\Noselect \\Sent) "/" Sent', b'() "/" INBOX')) is None
    assert pick_sent_folder(folders(b'() "/" INBOX', b'() "/" Archive')) is None
