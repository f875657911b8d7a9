"""The IMAP mailbox as a source of the reconciler, against the real Dovecot and both stores.

An account is connected (tested first, nothing saved on failure), run as a saved sync
(contacthub.jobs.run_sync) and checked in its book: one contact per person, the counts as
X- properties, incremental runs, the user's edits and deletions respected, a UIDVALIDITY
change without duplicates, the report email, and disconnecting that keeps the contacts.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
import vobject

from contacthub import config
from contacthub.config import Settings
from contacthub.fetch import FetchPolicy
from contacthub.jobs.runner import run_sync
from contacthub.jobs.scheduler import Scheduler
from contacthub.services import history
from contacthub.sources.context import RunContext
from contacthub.sources.imap import source as imap_source
from contacthub.sources.imap.connection import ImapAccount
from contacthub.sources.imap.harvest import Correspondent
from contacthub.sources.imap.scan import ScanResult
from contacthub.sources.mail_account import AccountError
from contacthub.sources.settings import delete_sync, parse_schedule, save_settings
from contacthub.store import RunRecord, SourceRecord, Store
from contacthub.vcard.parse import item_data
from tests.fetch.certs import CertificateFiles
from tests.imap.messages import ALIAS, EXPECTED, INBOX_COUNT, SENT_COUNT, message, sent
from tests.support.dovecot import SENT_FOLDER, DovecotServer
from tests.support.net import LOOPBACK, free_port
from tests.support.smtp import Mailbox, serve_mailbox

OWNER = "alice"
# What no contact may be: automated senders, list and bulk traffic, the account's alias.
NEVER = {
    "noreply@github.com",
    "notifications@service.example",
    "mailer-daemon@mx.example.org",
    "do-not-reply@bank.example",
    "carol@example.org",
    "news@shop.example",
    "dev@lists.example.org",
    ALIAS,
}


@pytest.fixture
def settings(tmp_path: Path, mail_certificates: CertificateFiles) -> Settings:
    loaded = config.load(tmp_path / "data")
    # The test servers are on loopback: the address guard lets exactly that through.
    loaded.fetch_policy = FetchPolicy(
        timeout=5, ca_bundle=str(mail_certificates.ca_file), allowed_networks=("127.0.0.0/8",)
    )
    loaded.smtp = {}
    return loaded


@pytest.fixture
def ctx(store: Store, settings: Settings) -> RunContext:
    return RunContext(store, settings)


def form_of(account: ImapAccount, **changes: Any) -> dict[str, Any]:
    return {
        "username": account.username,
        "password": account.password,
        "host": account.host,
        "port": account.port,
        "ssl": account.ssl,
        **changes,
    }


@pytest.fixture
def source(ctx: RunContext, seeded: ImapAccount) -> SourceRecord:
    return imap_source.connect_account(ctx, OWNER, form_of(seeded))


# -- views of the store ------------------------------------------------------------------


def cards_of(store: Store, source: SourceRecord) -> dict[str, tuple[str, str, str]]:
    """email -> (href, etag, text) of the book's cards."""
    with store.read() as tx:
        book = tx.require_collection(source.book_path)
        items = list(tx.iter_items(book.id))
    return {
        vobject.readOne(item.text).email.value: (item.href, item.etag, item.text) for item in items
    }


def people_of(store: Store, source: SourceRecord) -> dict[str, tuple[str, int, str]]:
    """email -> (name, messages, last contact), the name "" when FN is the address."""
    found = {}
    for email, (_, _, text) in cards_of(store, source).items():
        card = vobject.readOne(text)
        name = "" if card.fn.value == email else card.fn.value
        found[email] = (
            name,
            int(card.contents["x-contacthub-messages"][0].value),
            card.contents["x-contacthub-last-contact"][0].value,
        )
    return found


def reload(store: Store, source: SourceRecord) -> SourceRecord:
    with store.read() as tx:
        return tx.require_source(source.id)


def runs_of(store: Store, source: SourceRecord) -> list[RunRecord]:
    with store.read() as tx:
        return sorted(tx.runs_of(source.id, limit=100), key=lambda run: run.id)


def append(dovecot: DovecotServer, account: ImapAccount, folder: str, *raw: bytes) -> None:
    with dovecot.client(account.username) as admin:
        for one in raw:
            dovecot.append(admin, folder, one)


def from_zoe(account: ImapAccount, day: int = 20) -> bytes:
    return message(f"""\
From: =?UTF-8?B?Wm/DqyDDhW5nc3Ryw7Zt?= <zoe@example.com>
To: {account.username}
Subject: One more thing
Date: Wed, {day} Mar 2024 10:00:00 +0000""")


def put_card(store: Store, source: SourceRecord, href: str, text: str) -> None:
    """A change the user makes over CardDAV: the same href and UID, new text."""
    with store.write([source.book_path]) as tx:
        book = tx.require_collection(source.book_path)
        tx.put_item(book, href, item_data(text))


def with_lines(text: str, *lines: str) -> str:
    return text.replace("END:VCARD", "\r\n".join([*lines, "END:VCARD"]))


# -- the form ----------------------------------------------------------------------------


def test_parse_form_checks_each_field(ctx: RunContext, account: ImapAccount) -> None:
    parsed = imap_source.parse_form(ctx, form_of(account, sent_folder=" Sent "))
    assert (parsed.username, parsed.host, parsed.port, parsed.ssl) == (
        account.username,
        account.host,
        account.port,
        False,
    )
    assert (parsed.sent_folder, parsed.starttls) == ("Sent", None)
    cases = {
        "username": {"username": ""},
        "password": {"password": None},
        "host": {"host": "imaps://imap.example.org"},
        "port": {"port": 70000},
        "ssl": {"ssl": "yes"},
        "sent_folder": {"sent_folder": "inbox"},
        "preset": {"host": None, "preset": "compuserve"},
    }
    for field, change in cases.items():
        with pytest.raises(AccountError) as caught:
            imap_source.parse_form(ctx, form_of(account, **change))
        assert caught.value.field == field, change
    with pytest.raises(AccountError) as caught:
        imap_source.parse_form(ctx, form_of(account, host="imap.example.org:993"))
    assert "the port has a field of its own" in str(caught.value)


def test_a_preset_fills_server_and_port(ctx: RunContext) -> None:
    parsed = imap_source.parse_form(
        ctx, {"username": "ann@gmail.com", "password": "app-pw", "preset": "gmail"}
    )
    assert (parsed.host, parsed.port, parsed.ssl) == ("imap.gmail.com", 993, True)
    plain = imap_source.parse_form(
        ctx, {"username": "ann", "password": "pw", "host": "mail.example.org", "ssl": False}
    )
    assert (plain.port, plain.security) == (143, "none")
    starttls = imap_source.parse_form(
        ctx, {"username": "ann", "password": "pw", "host": "mail.example.org", "port": "143"}
    )
    assert (starttls.port, starttls.security) == (143, "starttls")


def test_wrong_password_saves_nothing(ctx: RunContext, store: Store, account: ImapAccount) -> None:
    with pytest.raises(AccountError) as caught:
        imap_source.connect_account(ctx, OWNER, form_of(account, password="wrong"))
    assert caught.value.field == "password"
    assert "wrong username or password" in str(caught.value)
    with store.read() as tx:
        assert tx.list_sources(OWNER) == []
        assert tx.list_children(OWNER) == []


def test_a_server_on_a_private_address_is_refused_unless_the_admin_allows_it(
    ctx: RunContext, store: Store, account: ImapAccount
) -> None:
    ctx.settings.fetch_policy = FetchPolicy(timeout=5)  # the default: public addresses only
    with pytest.raises(AccountError) as caught:
        imap_source.connect_account(ctx, OWNER, form_of(account))
    assert caught.value.field == "host"
    assert "is loopback; to fetch from it, set [fetch] allow_private = true" in str(caught.value)
    with store.read() as tx:
        assert tx.list_sources(OWNER) == []


def test_connecting_over_tls_with_the_configured_ca(
    ctx: RunContext, store: Store, dovecot: DovecotServer, account: ImapAccount
) -> None:
    over_ssl = form_of(account, port=dovecot.imaps_port, ssl=True)
    found = imap_source.test_connection(ctx, imap_source.parse_form(ctx, over_ssl))
    assert found["sent_folder"] == SENT_FOLDER
    assert {"INBOX", SENT_FOLDER, "Drafts", "Trash"} <= set(found["folders"])
    source = imap_source.connect_account(
        ctx, OWNER, form_of(account, ssl=True, starttls=True), name="Work mail"
    )
    assert source.kind == imap_source.KIND == "imap"
    with store.read() as tx:
        book = tx.require_collection(source.book_path)
    assert book.display_name == "From IMAP (Work mail)"
    assert imap_source.account_json(source) == {
        "username": account.username,
        "host": account.host,
        "port": account.port,
        "ssl": True,
        "starttls": True,
        "sent_folder": None,
        "has_password": True,
    }
    assert account.password not in json.dumps(source.settings)


def test_the_name_is_unique_and_a_missing_sent_folder_is_named(
    ctx: RunContext, store: Store, account: ImapAccount
) -> None:
    first = imap_source.connect_account(ctx, OWNER, form_of(account))
    assert first.name == account.username
    with pytest.raises(AccountError) as caught:
        imap_source.connect_account(ctx, OWNER, form_of(account))
    assert caught.value.field == "name"
    with pytest.raises(AccountError) as caught:
        imap_source.connect_account(
            ctx, OWNER, form_of(account, sent_folder="Sent Items"), name="other"
        )
    assert caught.value.field == "sent_folder"
    assert SENT_FOLDER in str(caught.value)
    with store.read() as tx:
        assert [s.name for s in tx.list_sources(OWNER)] == [account.username]


def test_update_keeps_the_password_for_the_same_login(
    ctx: RunContext, source: SourceRecord, seeded: ImapAccount
) -> None:
    changed = imap_source.update_account(ctx, source, {"sent_folder": SENT_FOLDER})
    assert imap_source.account_json(changed)["sent_folder"] == SENT_FOLDER
    assert imap_source.account_of(ctx, changed).password == seeded.password
    with pytest.raises(AccountError) as caught:
        imap_source.update_account(ctx, changed, {"username": "someone@example.org"})
    assert caught.value.field == "password"
    with pytest.raises(AccountError) as caught:
        imap_source.update_account(ctx, changed, {"password": "wrong"})
    assert caught.value.field == "password"
    assert imap_source.account_of(ctx, reload(ctx.store, changed)).password == seeded.password


# -- runs --------------------------------------------------------------------------------


def test_first_run_brings_in_the_people(
    ctx: RunContext, store: Store, source: SourceRecord, seeded: ImapAccount
) -> None:
    run = run_sync(ctx, source)

    assert run.status == "ok"
    assert run.counts["added"] == len(EXPECTED)
    assert run.counts["messages_scanned"] == INBOX_COUNT + SENT_COUNT
    assert run.message == f"{len(EXPECTED)} added; {INBOX_COUNT + SENT_COUNT} messages scanned"
    assert people_of(store, source) == EXPECTED
    cards = cards_of(store, source)
    assert not NEVER & set(cards) and seeded.username not in cards
    saved = reload(store, source).settings
    assert set(saved["state"]) == {"INBOX", SENT_FOLDER}
    assert ALIAS in saved["own"] and seeded.username in saved["own"]
    assert saved["people"]["bob@example.net"]["per_folder"] == {"INBOX": 2, SENT_FOLDER: 1}


def test_a_second_run_scans_nothing_and_changes_nothing(
    ctx: RunContext, store: Store, source: SourceRecord
) -> None:
    run_sync(ctx, source)
    before = cards_of(store, source)

    again = run_sync(ctx, source)

    assert again.status == "no_changes"
    assert (again.counts["messages_scanned"], again.counts["added"], again.counts["updated"]) == (
        0,
        0,
        0,
    )
    assert cards_of(store, source) == before


def test_new_mail_updates_only_its_people(
    ctx: RunContext,
    store: Store,
    dovecot: DovecotServer,
    source: SourceRecord,
    seeded: ImapAccount,
) -> None:
    run_sync(ctx, source)
    before = cards_of(store, source)
    append(dovecot, seeded, "INBOX", from_zoe(seeded))

    run = run_sync(ctx, source)

    assert (run.status, run.counts["messages_scanned"]) == ("ok", 1)
    assert (run.counts["added"], run.counts["updated"]) == (0, 1)
    assert people_of(store, source)["zoe@example.com"] == ("Zoë Ångström", 5, "2024-03-20")
    after = cards_of(store, source)
    assert after["zoe@example.com"][0] == before["zoe@example.com"][0]  # the same contact
    assert {e: c for e, c in after.items() if e != "zoe@example.com"} == {
        e: c for e, c in before.items() if e != "zoe@example.com"
    }


def test_an_update_keeps_what_the_user_edited(
    ctx: RunContext,
    store: Store,
    dovecot: DovecotServer,
    source: SourceRecord,
    seeded: ImapAccount,
) -> None:
    run_sync(ctx, source)
    href, _, text = cards_of(store, source)["zoe@example.com"]
    edited = with_lines(
        text.replace("FN:Zoë Ångström", "FN:Zoë (climbing)"),
        "TEL;TYPE=CELL:+41 79 555 01 02",
        "NOTE:met at the crag",
    )
    put_card(store, source, href, edited)
    append(dovecot, seeded, "INBOX", from_zoe(seeded))

    run = run_sync(ctx, source)

    assert run.counts["updated"] == 1
    card = vobject.readOne(cards_of(store, source)["zoe@example.com"][2])
    assert card.fn.value == "Zoë (climbing)"
    assert card.tel.value == "+41 79 555 01 02"
    assert card.note.value == "met at the crag"
    assert card.contents["x-contacthub-messages"][0].value == "5"
    assert len(card.contents["x-contacthub-messages"]) == 1
    assert card.contents["x-contacthub-last-contact"][0].value == "2024-03-20"


def test_a_name_fills_a_contact_that_had_only_the_address(
    ctx: RunContext,
    store: Store,
    dovecot: DovecotServer,
    source: SourceRecord,
    seeded: ImapAccount,
) -> None:
    run_sync(ctx, source)
    assert people_of(store, source)["dave@example.com"][0] == ""
    append(
        dovecot,
        seeded,
        "INBOX",
        message(f"""\
From: Dave Brown <dave@example.com>
To: {seeded.username}
Subject: More photos
Date: Thu, 21 Mar 2024 10:00:00 +0000"""),
    )

    run_sync(ctx, source)

    card = vobject.readOne(cards_of(store, source)["dave@example.com"][2])
    assert card.fn.value == "Dave Brown"
    assert (card.n.value.given, card.n.value.family) == ("Dave", "Brown")
    assert card.contents["x-contacthub-messages"][0].value == "2"


def test_a_contact_the_user_deleted_is_not_added_again(
    ctx: RunContext,
    store: Store,
    dovecot: DovecotServer,
    source: SourceRecord,
    seeded: ImapAccount,
) -> None:
    run_sync(ctx, source)
    href = cards_of(store, source)["zoe@example.com"][0]
    with store.write([source.book_path]) as tx:
        tx.delete_item(tx.require_collection(source.book_path), href)
    append(dovecot, seeded, "INBOX", from_zoe(seeded))

    run = run_sync(ctx, source)

    assert (run.counts["messages_scanned"], run.counts["added"]) == (1, 0)
    assert run.counts["skipped"] == 1
    assert "zoe@example.com" not in cards_of(store, source)
    assert len(cards_of(store, source)) == len(EXPECTED) - 1


def test_a_uidvalidity_change_rescans_without_duplicates(
    ctx: RunContext,
    store: Store,
    dovecot: DovecotServer,
    source: SourceRecord,
    seeded: ImapAccount,
) -> None:
    run_sync(ctx, source)
    first_state = reload(store, source).settings["state"]
    with dovecot.client(seeded.username) as admin:
        dovecot.recreate(admin, SENT_FOLDER)
        for raw in sent(seeded.username):
            dovecot.append(admin, SENT_FOLDER, raw)

    run = run_sync(ctx, source)

    assert run.counts["messages_scanned"] == SENT_COUNT
    assert run.counts["added"] == 0
    assert people_of(store, source) == EXPECTED  # counts replaced, not doubled
    state = reload(store, source).settings["state"]
    assert state[SENT_FOLDER]["uidvalidity"] != first_state[SENT_FOLDER]["uidvalidity"]
    assert state["INBOX"] == first_state["INBOX"]


def test_a_connection_failure_is_a_failed_run(
    ctx: RunContext, store: Store, source: SourceRecord
) -> None:
    # The password changed at the provider since the account was connected.
    with store.write() as tx:
        current = tx.require_source(source.id)
        tx.update_source(
            current,
            settings={**current.settings, "sealed_password": ctx.vault.seal("an-old-password")},
        )

    run = run_sync(ctx, source)

    assert run.status == "failed"
    assert not run.message.startswith("failed")  # the status is said once, by the page
    assert "wrong username or password" in run.message
    assert cards_of(store, source) == {}
    assert reload(store, source).settings["state"] == {}


def test_the_report_email_counts_contacts_and_messages(
    ctx: RunContext, settings: Settings, source: SourceRecord
) -> None:
    with serve_mailbox(Mailbox(free_port())) as mailbox:
        settings.smtp = {
            "host": LOOPBACK,
            "port": str(mailbox.port),
            "security": "none",
            "sender": "hub@example.org",
        }
        notified = save_settings(ctx, source, notify=["me@example.org"])
        run = run_sync(ctx, notified)

    assert run.email == "sent to me@example.org"
    report = message_from_bytes(mailbox.envelopes[0].content, policy=default)
    body = str(report.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]
    counts = {
        name: int(value) for name, value in re.findall(r"^([\w ]+):\s+(\d+)$", body, re.MULTILINE)
    }
    assert counts["Added"] == len(EXPECTED)
    assert counts["Messages scanned"] == INBOX_COUNT + SENT_COUNT


def test_disconnecting_keeps_the_contacts(
    ctx: RunContext, store: Store, source: SourceRecord
) -> None:
    run_sync(ctx, source)
    cards = cards_of(store, source)

    delete_sync(ctx, source)

    with store.read() as tx:
        assert tx.list_sources(OWNER) == []
        assert tx.get_collection(source.book_path) is not None
    assert cards_of(store, source) == cards


# -- merging a card ----------------------------------------------------------------------


def test_merge_card_replaces_only_the_counts() -> None:
    existing = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nFN:bob@example.net\r\nN:;;;;\r\n"
        "EMAIL;TYPE=INTERNET:bob@example.net\r\nNOTE:a long note that was folded \r\n"
        " by the client\r\nX-CONTACTHUB-MESSAGES:2\r\nitem1.X-CONTACTHUB-LAST-CONTACT:"
        "2024-03-01\r\nEND:VCARD\r\n"
    )
    fresh = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nFN:Bob Stone\r\nN:Stone;Bob;;;\r\n"
        "EMAIL;TYPE=INTERNET,PREF:bob@example.net\r\nX-CONTACTHUB-MESSAGES:3\r\n"
        "X-CONTACTHUB-LAST-CONTACT:2024-03-13\r\nEND:VCARD\r\n"
    )
    merged = imap_source.merge_card(existing, fresh, "bob@example.net")
    assert merged == (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nFN:Bob Stone\r\nN:Stone;Bob;;;\r\n"
        "EMAIL;TYPE=INTERNET:bob@example.net\r\nNOTE:a long note that was folded \r\n"
        " by the client\r\nX-CONTACTHUB-LAST-CONTACT:2024-03-13\r\n"
        "X-CONTACTHUB-MESSAGES:3\r\nEND:VCARD\r\n"
    )
    named = existing.replace("FN:bob@example.net", "FN:Bobby")
    assert "FN:Bobby\r\nN:;;;;\r\n" in imap_source.merge_card(named, fresh, "bob@example.net")


# -- the tallies -------------------------------------------------------------------------


def found(email: str, name: str, messages: int, day: int) -> Correspondent:
    return Correspondent(email, name, messages, datetime(2024, 3, day, tzinfo=UTC))


def scanned_of(
    folder: str, uidvalidity: int, *people: Correspondent, own: frozenset[str] = frozenset()
) -> imap_source.Scanned:
    result = ScanResult(
        {c.email: c for c in people}, {folder: {"uidvalidity": uidvalidity, "last_uid": 9}}, 9, own
    )
    return imap_source.Scanned({folder: result}, own)


def test_tally_adds_to_a_folder_and_replaces_a_rescanned_one() -> None:
    people = {
        "bob@example.net": {
            "name": "bob",
            "per_folder": {"INBOX": 2, "Sent": 1},
            "last": "2024-03-09T10:00:00+00:00",
        },
        "eve@example.com": {"name": "Eve", "per_folder": {"INBOX": 1}, "last": None},
        "me@example.org": {"name": "Me", "per_folder": {"INBOX": 4}, "last": None},
    }
    state = {"INBOX": {"uidvalidity": 1, "last_uid": 5}}

    added, touched = imap_source.tally(
        people,
        state,
        scanned_of(
            "INBOX",
            1,
            found("bob@example.net", "Bob Stone", 1, 20),
            own=frozenset({"me@example.org"}),
        ),
    )
    assert added["bob@example.net"] == {
        "name": "Bob Stone",
        "per_folder": {"INBOX": 3, "Sent": 1},
        "last": "2024-03-20T00:00:00+00:00",
    }
    assert touched == {"bob@example.net"} and "me@example.org" not in added
    assert people["bob@example.net"]["per_folder"]["INBOX"] == 2  # the input is kept

    replaced, touched = imap_source.tally(
        people, state, scanned_of("INBOX", 2, found("bob@example.net", "Robert", 2, 1))
    )
    assert replaced["bob@example.net"]["per_folder"] == {"INBOX": 2, "Sent": 1}
    assert replaced["bob@example.net"]["name"] == "Robert"  # "bob" was only the local part
    assert replaced["bob@example.net"]["last"] == "2024-03-09T10:00:00+00:00"
    assert "eve@example.com" not in replaced  # no message of hers is left
    assert touched == {"bob@example.net"}


def test_an_account_runs_on_its_schedule_like_a_csv_sync(
    store: Store, settings: Settings, seeded: ImapAccount
) -> None:
    now = [datetime(2030, 5, 1, 5, 0, tzinfo=UTC).timestamp()]
    ctx = RunContext(store, settings, clock=lambda: now[0])
    source = imap_source.connect_account(ctx, OWNER, form_of(seeded))
    schedule = parse_schedule(
        {"start": "2030-05-01T09:00", "timezone": "Europe/Tallinn", "frequency": "daily"},
        None,
        ctx.now(),
    )
    source = save_settings(ctx, source, schedule=schedule)
    assert Scheduler(ctx).tick() == []  # 09:00 in Tallinn is 06:00 UTC: not yet

    now[0] += 3601  # just past 06:00 UTC
    runs = Scheduler(ctx).tick()

    assert [(run.trigger, run.status) for run in runs] == [("schedule", "ok")]
    assert runs[0].counts["messages_scanned"] == INBOX_COUNT + SENT_COUNT
    with store.read() as tx:
        after = tx.require_source(source.id)
    assert after.next_run_at == datetime(2030, 5, 2, 6, 0, tzinfo=UTC).timestamp()


# -- undo --------------------------------------------------------------------------------


def test_undoing_imap_runs_reverts_their_updates_and_removes_their_adds(
    ctx: RunContext,
    store: Store,
    dovecot: DovecotServer,
    source: SourceRecord,
    seeded: ImapAccount,
) -> None:
    first = run_sync(ctx, source)
    after_first = cards_of(store, source)
    append(dovecot, seeded, "INBOX", from_zoe(seeded))
    second = run_sync(ctx, source)
    assert second.counts["updated"] == 1

    undone = history.apply_undo(ctx, OWNER, second.id, False, via="api")

    assert (undone.done.counts["updated"], undone.done.counts["deleted"]) == (1, 0)
    assert {email: text for email, (_, _, text) in cards_of(store, source).items()} == {
        email: text for email, (_, _, text) in after_first.items()
    }
    # Zoë changed again after the first run (the undo put her back): named, and left
    # as she is unless the undo includes her.
    preview = history.preview_undo(ctx, OWNER, first.id)
    assert [contact.name for contact in preview.changed_later] == ["Zoë Ångström"]
    history.apply_undo(ctx, OWNER, first.id, True, via="api")
    assert cards_of(store, source) == {}
