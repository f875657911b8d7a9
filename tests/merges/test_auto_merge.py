"""Automatic merging of the safest lane after a CSV sync's run (a file on a real FTP
server): only contacts with the same email AND the same full name are merged; the run's
report and its email say what was merged; the merge is marked automatic and can be
undone, and is not made again at the next run. Off (the default), nothing is merged.
Both stores."""

from __future__ import annotations

import os
from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest

from contacthub import config
from contacthub.duplicates.merge import undo_merge
from contacthub.fetch import FetchPolicy
from contacthub.jobs import auto_merge
from contacthub.jobs.runner import run_sync
from contacthub.services import devices
from contacthub.services.merges import merges
from contacthub.sources.context import RunContext
from contacthub.sources.csv.remote import create_remote_sync
from contacthub.sources.csv.source import configure
from contacthub.sources.settings import parse_notify, save_settings
from contacthub.store import DuplicateSettings, SourceRecord, Store
from tests.fetch.ftp_server import PASSWORD, USER, LocalFTPServer
from tests.merges.people import CONTACTS, OWNER, items, phone_puts, values
from tests.support.net import LOOPBACK, free_port
from tests.support.smtp import Mailbox, serve_mailbox

HEADER = "Id,Name,Email,Phone,Company"
ROWS = (
    "1,Jane Doe,jane@example.org,,ACME",  # the phone's Jane: same email, same name
    "2,Bob Stone,,+372 5555 9999,ACME",  # the phone's Bob: the same number only
    "3,Cid Jones,cid@example.org,,ACME",  # the phone's Robert: the same email only
)
PHONE_CARDS = {
    "jane.vcf": ("Jane Doe", "N:Doe;Jane;;;", "EMAIL:Jane@Example.org", "BDAY:1990-04-01"),
    "bob.vcf": ("Bob Stone", "N:Stone;Bob;;;", "TEL;TYPE=CELL:55559999"),
    "robert.vcf": ("Robert Smith", "N:Smith;Robert;;;", "EMAIL:cid@example.org"),
}
MODIFIED = 1_700_000_000


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with serve_mailbox(Mailbox(free_port())) as served:
        yield served


@pytest.fixture
def ctx(store: Store, tmp_path: Path, mailbox: Mailbox) -> RunContext:
    settings = config.load(tmp_path / "data")
    settings.fetch_policy = FetchPolicy(timeout=5, allowed_networks=("127.0.0.0/8",))
    settings.smtp = {
        "host": LOOPBACK,
        "port": str(mailbox.port),
        "security": "none",
        "sender": "contacthub@example.org",
    }
    return RunContext(store, settings)


def put(root: Path, *rows: str, modified: float = MODIFIED) -> None:
    path = root / "staff.csv"
    path.write_text("\r\n".join([HEADER, *rows, ""]))
    os.utime(path, (modified, modified))


def phone_cards(store: Store) -> None:
    for href, (fn, *lines) in PHONE_CARDS.items():
        uid = href.removesuffix(".vcf")
        body = "\r\n".join(lines)
        text = f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{fn}\r\n{body}\r\nEND:VCARD\r\n"
        phone_puts(store, text, href)


def csv_sync(ctx: RunContext, ftp: LocalFTPServer, ftp_root: Path) -> SourceRecord:
    put(ftp_root, *ROWS)
    source = create_remote_sync(
        ctx, OWNER, {"url": ftp.url("/staff.csv"), "username": USER, "password": PASSWORD}
    )
    source = configure(ctx.store, source, key_column="Id", update_existing=True).source
    return save_settings(ctx, source, notify=parse_notify(["boss@example.org"]))


def auto_merging(store: Store, on: bool) -> None:
    with store.write() as tx:
        tx.set_duplicate_settings(OWNER, DuplicateSettings(phone_region="EE", auto_merge=on))


def names(store: Store, book: str) -> list[str]:
    return sorted(item.display_name for item in items(store, book))


def report_body(mailbox: Mailbox) -> str:
    message = message_from_bytes(mailbox.envelopes[-1].content, policy=default)
    return str(message.get_body().get_content()).replace("\r\n", "\n")  # type: ignore[union-attr]


def test_the_run_merges_the_safest_pairs_only_and_says_so(
    ctx: RunContext, store: Store, ftp: LocalFTPServer, ftp_root: Path, mailbox: Mailbox
) -> None:
    phone_cards(store)
    auto_merging(store, True)
    source = csv_sync(ctx, ftp, ftp_root)

    run = run_sync(ctx, source)

    assert run.status == "ok", (run.message, run.problems)
    assert run.counts["added"] == 3 and run.counts["merged"] == 1
    assert "merged automatically: Jane Doe (2 contacts)" in run.message
    # Jane is one contact, in Contacts (the book a person edited); Bob and Cid/Robert,
    # who share only a number or only an email, are left for review.
    assert names(store, source.book_path) == ["Bob Stone", "Cid Jones"]
    assert names(store, CONTACTS) == ["Bob Stone", "Jane Doe", "Robert Smith"]
    jane = next(item for item in items(store, CONTACTS) if item.display_name == "Jane Doe")
    assert values(jane.text, "ORG") == ["ACME"] and values(jane.text, "BDAY") == ["1990-04-01"]
    body = report_body(mailbox)
    assert "merged automatically: Jane Doe (2 contacts)" in body
    assert "\nMerged:" in body and body.split("\nMerged:")[1].split("\n")[0].strip() == "1"
    (listed,) = merges(ctx, OWNER)  # what GET /api/v1/merges and the admin page list
    assert listed["automatic"] is True and listed["merged"]["fn"] == "Jane Doe"
    assert sorted(member["book"] for member in listed["members"]) == [
        "contacts",
        source.book_path.split("/", 1)[1],
    ]

    # Undone: the two Janes are back; the next run does not merge them again.
    before_undo = names(store, source.book_path)
    undo_merge(store, OWNER, listed["id"], via="admin")
    assert names(store, source.book_path) == sorted([*before_undo, "Jane Doe"])
    assert names(store, CONTACTS) == ["Bob Stone", "Jane Doe", "Robert Smith"]
    put(ftp_root, *ROWS, "4,Dan Ray,dan@example.org,,ACME", modified=MODIFIED + 60)
    again = run_sync(ctx, source)
    assert again.status == "ok" and again.counts["added"] == 1
    assert "merged" not in again.counts and "merged" not in again.message
    assert names(store, source.book_path) == ["Bob Stone", "Cid Jones", "Dan Ray", "Jane Doe"]
    assert [merge["state"] for merge in merges(ctx, OWNER)] == ["undone"]


def test_off_by_default_nothing_is_merged(
    ctx: RunContext, store: Store, ftp: LocalFTPServer, ftp_root: Path
) -> None:
    phone_cards(store)
    source = csv_sync(ctx, ftp, ftp_root)

    run = run_sync(ctx, source)

    assert run.status == "ok" and run.counts["added"] == 3 and "merged" not in run.counts
    assert names(store, source.book_path) == ["Bob Stone", "Cid Jones", "Jane Doe"]
    assert merges(ctx, OWNER) == []


def test_turned_on_it_merges_what_is_there_at_the_next_run(
    ctx: RunContext, store: Store, ftp: LocalFTPServer, ftp_root: Path
) -> None:
    phone_cards(store)
    source = csv_sync(ctx, ftp, ftp_root)
    run_sync(ctx, source)
    auto_merging(store, True)

    unchanged = run_sync(ctx, source)  # the same file: no changes, but Jane is merged

    assert unchanged.status == "no_changes" and unchanged.counts["merged"] == 1
    assert names(store, source.book_path) == ["Bob Stone", "Cid Jones"]


def test_a_failure_of_automatic_merging_does_not_fail_the_run(
    ctx: RunContext,
    store: Store,
    ftp: LocalFTPServer,
    ftp_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    phone_cards(store)
    auto_merging(store, True)
    source = csv_sync(ctx, ftp, ftp_root)

    def broken(store: Store, owner: str) -> None:
        raise RuntimeError("the index is broken")

    monkeypatch.setattr(auto_merge, "merge_safest", broken)
    run = run_sync(ctx, source)

    assert run.status == "ok" and run.counts["added"] == 3
    assert run.message.endswith(auto_merge.FAILED)
    assert "broken" not in run.message  # the log has the details, not the report
    assert names(store, source.book_path) == ["Bob Stone", "Cid Jones", "Jane Doe"]


def test_a_phone_push_applied_merges_the_safest_pairs_too(ctx: RunContext, store: Store) -> None:
    phone_cards(store)  # in Contacts, as a CardDAV client keeps them
    auto_merging(store, True)
    push = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ios-jane\r\nFN:Jane Doe\r\nN:Doe;Jane;;;\r\n"
        "EMAIL:jane@example.org\r\nEND:VCARD\r\n"
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ios-bob\r\nFN:Bob Stone\r\nN:Stone;Bob;;;\r\n"
        "TEL:+372 5555 9999\r\nEND:VCARD\r\n"
    )
    devices.receive_push(ctx, OWNER, "iPhone", push.encode())

    run = devices.apply_pending(ctx, OWNER, "iPhone")

    assert run.counts["added"] == 2 and run.counts["merged"] == 1
    assert "merged automatically: Jane Doe (2 contacts)" in run.message
    assert names(store, f"{OWNER}/from-ios") == ["Bob Stone"]  # the same number only: left
    (listed,) = merges(ctx, OWNER)
    assert listed["automatic"] is True and listed["merged"]["fn"] == "Jane Doe"
