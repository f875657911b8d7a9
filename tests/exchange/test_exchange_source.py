"""An Exchange account as a two-way source, against the loopback EWS double through
exchangelib's real transport, on both stores: connect, run both ways, conflicts, disconnect."""

from __future__ import annotations

import json
import math
import time
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
from contacthub.sources.context import RunContext
from contacthub.sources.exchange import source as exchange_source
from contacthub.sources.exchange.client import uid_for
from contacthub.sources.mail_account import AccountError
from contacthub.sources.settings import delete_sync, save_settings
from contacthub.store import ItemData, RunRecord, SourceRecord
from contacthub.vcard.parse import item_data
from tests.exchange.conftest import EMAIL, PASSWORD, loopback_dns
from tests.support.ews_server import EwsServer
from tests.support.net import LOOPBACK, free_port
from tests.support.smtp import Mailbox as SmtpMailbox
from tests.support.smtp import serve_mailbox

OWNER = "alice"
WRITES = {"CreateItem", "UpdateItem", "DeleteItem"}


@pytest.fixture
def hub_settings(tmp_path: Path) -> Settings:
    loaded = config.load(tmp_path / "data")
    loaded.smtp = {}
    # The EWS double is on loopback: the address guard lets exactly that through.
    loaded.fetch_policy = FetchPolicy(allowed_networks=("127.0.0.0/8",))
    return loaded


def form(ews: EwsServer, **changes: Any) -> dict[str, Any]:
    return {"email": EMAIL, "password": PASSWORD, "server": ews.url, **changes}


@pytest.fixture
def source(ctx: RunContext, ews: EwsServer) -> SourceRecord:
    return exchange_source.connect_account(ctx, OWNER, form(ews))


# -- helpers --------------------------------------------------------------------------------


def card(uid: str, fn: str, *lines: str) -> str:
    given, _, family = fn.partition(" ")
    return "\r\n".join(
        [
            "BEGIN:VCARD",
            "VERSION:3.0",
            f"UID:{uid}",
            f"FN:{fn}",
            f"N:{family};{given};;;",
            *lines,
            "END:VCARD",
            "",
        ]
    )


def put(ctx: RunContext, source: SourceRecord, text: str, href: str | None = None) -> None:
    """A card written into the book, as a phone's PUT does."""
    data = item_data(text)
    with ctx.store.write() as tx:
        book = tx.require_collection(source.book_path)
        tx.put_item(book, href or tx.href_of_uid(book.id, data.uid) or f"{data.uid}.vcf", data)


def delete(ctx: RunContext, source: SourceRecord, uid: str) -> None:
    with ctx.store.write() as tx:
        book = tx.require_collection(source.book_path)
        href = tx.href_of_uid(book.id, uid)
        assert href is not None
        tx.delete_item(book, href)


def texts(ctx: RunContext, source: SourceRecord) -> dict[str, str]:
    """UID → text of the book's cards."""
    with ctx.store.read() as tx:
        book = tx.require_collection(source.book_path)
        return {item.uid: item.text for item in tx.iter_items(book.id)}


def cards(ctx: RunContext, source: SourceRecord) -> dict[str, Any]:
    return {uid: vobject.readOne(text) for uid, text in texts(ctx, source).items()}


def by_name(ctx: RunContext, source: SourceRecord, name: str) -> Any:
    found = [c for c in cards(ctx, source).values() if c.fn.value == name]
    assert len(found) == 1, f"{len(found)} cards named {name!r}"
    return found[0]


def item_named(ews: EwsServer, name: str) -> str:
    found = [
        c.item_id for c in ews.mailbox.live() if ews.mailbox.text(c.item_id, "DisplayName") == name
    ]
    assert len(found) == 1, f"{len(found)} contacts named {name!r} in Exchange"
    return found[0]


def sync(ctx: RunContext, source: SourceRecord, ews: EwsServer) -> tuple[RunRecord, list[str]]:
    """Run the sync; returns its run and the EWS operations it asked for."""
    before = len(ews.operations())
    run = run_sync(ctx, source)
    return run, ews.operations()[before:]


def reload(ctx: RunContext, source: SourceRecord) -> SourceRecord:
    with ctx.store.read() as tx:
        return tx.require_source(source.id)


def exchange_time(ews: EwsServer, item_id: str, moment: float) -> None:
    """Set the LastModifiedTime Exchange reports for the contact."""
    with ews.mailbox.lock:
        ews.mailbox.contacts[item_id].modified = datetime.fromtimestamp(moment, UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )


def add_ann(ews: EwsServer) -> str:
    ann = ews.mailbox.create(
        {
            "DisplayName": "Ann Lee",
            "GivenName": "Ann",
            "Surname": "Lee",
            "CompanyName": "Acme",
            "JobTitle": "Clerk",
        }
    )
    ews.mailbox.set_entry(ann, "EmailAddresses", "EmailAddress1", "ann@example.org")
    ews.mailbox.set_entry(ann, "PhoneNumbers", "MobilePhone", "+1 555 0100")
    return ann


# -- connecting -----------------------------------------------------------------------------


def test_a_wrong_password_names_the_advanced_settings_and_saves_nothing(
    ctx: RunContext, ews: EwsServer
) -> None:
    with pytest.raises(AccountError) as caught:
        exchange_source.connect_account(ctx, OWNER, form(ews, password="wrong"))
    assert caught.value.field == "password"
    assert "Advanced settings" in str(caught.value)
    assert "DOMAIN\\user" in str(caught.value)
    with ctx.store.read() as tx:
        assert tx.list_sources(OWNER) == []
        assert tx.list_children(OWNER) == []


def test_a_failed_autodiscover_names_the_server_to_enter(
    ctx: RunContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A DNS server that knows only localhost: autodiscover for alice@localhost finds nothing.
    with loopback_dns(monkeypatch, {"localhost": LOOPBACK}):
        with pytest.raises(AccountError) as caught:
            exchange_source.connect_account(
                ctx, OWNER, {"email": "alice@localhost", "password": PASSWORD}
            )
    assert caught.value.field == "server"
    assert str(caught.value).startswith("autodiscover found no Exchange server for localhost")
    with ctx.store.read() as tx:
        assert tx.list_sources(OWNER) == []


def test_a_server_on_a_private_address_is_refused_unless_the_admin_allows_it(
    ctx: RunContext, ews: EwsServer
) -> None:
    ctx.settings.fetch_policy = FetchPolicy()  # the default: public addresses only
    with pytest.raises(AccountError) as caught:
        exchange_source.connect_account(ctx, OWNER, form(ews))
    assert caught.value.field == "server"
    assert "is loopback; to fetch from it, set [fetch] allow_private = true" in str(caught.value)
    assert ews.operations() == []  # nothing was sent to it


def test_connecting_makes_the_book_and_seals_the_password(
    ctx: RunContext, source: SourceRecord
) -> None:
    assert (source.kind, source.name) == ("exchange", EMAIL)
    with ctx.store.read() as tx:
        assert tx.require_collection(source.book_path).display_name == "From Exchange"
    assert PASSWORD not in json.dumps(source.settings)
    assert ctx.vault.open(source.settings["sealed_password"]) == PASSWORD
    assert source.settings["sync_state"] is None
    assert exchange_source.account_json(source) == {
        "email": EMAIL,
        "username": None,
        "server": source.settings["account"]["server"],
        "auth": "password",
        "client_id": None,
        "tenant_id": None,
        "has_client_secret": False,
    }


def test_test_connection_counts_the_contacts(ctx: RunContext, ews: EwsServer) -> None:
    add_ann(ews)
    account = exchange_source.parse_form(ctx, form(ews))
    assert exchange_source.test_connection(ctx, account) == {"contacts": 1}


def test_a_second_account_gets_a_book_of_its_own(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    with pytest.raises(AccountError) as caught:
        exchange_source.connect_account(ctx, OWNER, form(ews))
    assert caught.value.field == "email"
    other = exchange_source.connect_account(
        ctx, OWNER, form(ews, email="bob@example.org", username="EXAMPLE\\alice"), name="Work"
    )
    with ctx.store.read() as tx:
        book = tx.require_collection(other.book_path)
    assert book.display_name == "From Exchange (Work)"
    assert other.book_path != source.book_path


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": ""}, "email"),
        ({"email": "alice"}, "email"),
        ({"password": ""}, "password"),
        ({"password": None}, "password"),
        ({"username": "EXAMPLE\\al ice"}, "username"),
        ({"server": "ftp://mail.example.org"}, "server"),
        ({"server": "http://mail.example.org/EWS/Exchange.asmx"}, "server"),
        ({"server": "mail example org"}, "server"),
        ({"server": 8080}, "server"),
    ],
)
def test_the_form_names_the_field_at_fault(
    ctx: RunContext, ews: EwsServer, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(AccountError) as caught:
        exchange_source.parse_form(ctx, form(ews, **changes))
    assert caught.value.field == field


def test_the_server_may_be_a_host_or_an_https_url(ctx: RunContext, ews: EwsServer) -> None:
    for server in (
        "mail.example.org",
        "mail.example.org:8443",
        "https://mail.example.org/",
        "https://mail.example.org/EWS/Exchange.asmx",
        ews.url,
    ):
        assert exchange_source.parse_form(ctx, form(ews, server=server)).server == server


def test_an_update_without_password_keeps_the_sealed_one(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    updated = exchange_source.update_account(
        ctx, source, {"email": EMAIL, "username": "EXAMPLE\\alice", "server": ews.url}
    )
    assert exchange_source.account_json(updated)["username"] == "EXAMPLE\\alice"
    assert ctx.vault.open(updated.settings["sealed_password"]) == PASSWORD
    run, _ = sync(ctx, updated, ews)
    assert run.status == "no_changes"
    assert {login for _, login in ews.requests[-2:]} == {"EXAMPLE\\alice"}


def test_an_update_that_cannot_log_in_changes_nothing(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    with pytest.raises(AccountError) as caught:
        exchange_source.update_account(ctx, source, form(ews, password="wrong"))
    assert caught.value.field == "password"
    with pytest.raises(AccountError) as other:
        exchange_source.update_account(ctx, source, form(ews, email="bob@example.org"))
    assert other.value.field == "email"
    assert reload(ctx, source).settings == source.settings


# -- from Exchange --------------------------------------------------------------------------


def test_the_first_run_pulls_the_contacts_into_from_exchange(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    ann = add_ann(ews)
    ews.mailbox.create({"DisplayName": "Bob Ray", "GivenName": "Bob", "Surname": "Ray"})

    run, operations = sync(ctx, source, ews)

    assert (run.status, run.message) == ("ok", "2 added")
    assert run.counts["added"] == 2 and run.counts["pushed_created"] == 0
    assert not WRITES & set(operations)
    got = cards(ctx, source)
    assert set(got) == {uid_for(ann), uid_for(item_named(ews, "Bob Ray"))}
    pulled = got[uid_for(ann)]
    assert pulled.fn.value == "Ann Lee"
    assert (pulled.n.value.given, pulled.n.value.family) == ("Ann", "Lee")
    assert pulled.email.value == "ann@example.org"
    assert (pulled.tel.value, pulled.tel.params["TYPE"]) == ("+1 555 0100", ["CELL"])
    assert (pulled.org.value, pulled.title.value) == (["Acme"], "Clerk")


def test_an_edit_in_exchange_comes_back(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    ann = add_ann(ews)
    sync(ctx, source, ews)
    ews.mailbox.edit(ann, {"JobTitle": "Manager"})
    ews.mailbox.create({"DisplayName": "Cy Young"})

    run, operations = sync(ctx, source, ews)

    assert (run.status, run.message) == ("ok", "1 added, 1 updated")
    assert not WRITES & set(operations)
    assert by_name(ctx, source, "Ann Lee").title.value == "Manager"
    assert len(texts(ctx, source)) == 2


def test_a_second_run_with_no_changes_sends_and_pulls_nothing(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    add_ann(ews)
    sync(ctx, source, ews)
    put(ctx, source, card("hub-1", "Cy Young"))
    first, _ = sync(ctx, source, ews)
    assert first.message == "1 created in Exchange"

    run, operations = sync(ctx, source, ews)

    assert (run.status, run.message) == ("no_changes", "every contact was already up to date")
    assert operations[-1] == "SyncFolderItems"
    assert not ({"GetItem"} | WRITES) & set(operations)
    assert run.counts["added"] == run.counts["pushed_created"] == 0


def test_a_sync_state_exchange_forgot_reads_the_folder_again_without_duplicates(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    add_ann(ews)
    sync(ctx, source, ews)
    with ctx.store.write() as tx:
        current = tx.require_source(source.id)
        tx.update_source(current, settings={**current.settings, "sync_state": "Zm9yZ290dGVu"})

    run, operations = sync(ctx, source, ews)

    assert run.status == "no_changes"
    assert operations.count("SyncFolderItems") == 2
    assert len(texts(ctx, source)) == 1


# -- to Exchange ----------------------------------------------------------------------------


def test_a_card_put_into_the_book_is_created_in_exchange_and_keeps_its_uid(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    sync(ctx, source, ews)
    text = card("hub-1", "Cy Young", "EMAIL;TYPE=INTERNET:cy@example.org", "TITLE:Pitcher")
    put(ctx, source, text)

    run, operations = sync(ctx, source, ews)

    assert (run.status, run.message) == ("ok", "1 created in Exchange")
    assert run.counts["pushed_created"] == 1 and run.counts["added"] == 0
    assert operations.count("CreateItem") == 1
    cy = item_named(ews, "Cy Young")
    assert ews.mailbox.text(cy, "JobTitle") == "Pitcher"
    assert texts(ctx, source) == {"hub-1": text}  # not replaced, not duplicated


def test_an_edit_here_goes_to_exchange_with_its_change_key(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    ann = add_ann(ews)
    sync(ctx, source, ews)
    put(
        ctx,
        source,
        card(uid_for(ann), "Ann Lee", "TITLE:Director", "EMAIL;TYPE=INTERNET:ann@new.example"),
    )

    run, operations = sync(ctx, source, ews)

    assert (run.status, run.message) == ("ok", "1 updated in Exchange")
    assert operations.count("UpdateItem") == 1
    assert ews.mailbox.text(ann, "JobTitle") == "Director"
    assert ews.mailbox.text(ann, "CompanyName") is None  # gone from the card, cleared
    again, operations = sync(ctx, source, ews)
    assert again.status == "no_changes"
    assert not WRITES & set(operations)


def test_a_card_from_here_edited_in_exchange_comes_back_with_its_uid_and_photo(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    put(
        ctx,
        source,
        card(
            "hub-2",
            "Dee Poe",
            "NICKNAME:Dee-Dee",
            "item1.URL:https://dee.example",
            "item1.X-ABLabel:blog",
            "PHOTO;ENCODING=b;TYPE=JPEG:aGVsbG8=",
            "item2.TEL:+1 555 0199",
            "item2.X-ABLabel:other",
        ),
    )
    sync(ctx, source, ews)
    dee = item_named(ews, "Dee Poe")
    ews.mailbox.edit(dee, {"JobTitle": "Poet"})

    run, _ = sync(ctx, source, ews)

    assert (run.status, run.message) == ("ok", "1 updated")
    assert list(texts(ctx, source)) == ["hub-2"]
    back = cards(ctx, source)["hub-2"]
    assert back.title.value == "Poet"
    assert back.nickname.value == "Dee-Dee"
    assert back.url.value == "https://dee.example"
    assert back.photo.value == b"hello"
    # The phone number came from Exchange; its old label went with the old number.
    assert [t.value for t in back.contents["tel"]] == ["+1 555 0199"]
    assert [label.value for label in back.contents["x-ablabel"]] == ["blog"]
    again, operations = sync(ctx, source, ews)
    assert again.status == "no_changes" and not WRITES & set(operations)


def test_a_card_that_is_no_vcard_exchange_takes_is_reported(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    # Stored before the hub checked cards (CardDAV refuses one without FN now).
    text = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:no-fn\r\nN:;;;;\r\nEND:VCARD\r\n"
    with ctx.store.write() as tx:
        book = tx.require_collection(source.book_path)
        tx.put_item(book, "no-fn.vcf", ItemData(text, "no-fn", "VCARD", ""))
    run, operations = sync(ctx, source, ews)
    assert run.status == "no_changes"
    assert "no FN" in run.problems[0]["reason"]
    assert run.counts["errors"] == 1
    assert "CreateItem" not in operations


# -- deletions never travel -----------------------------------------------------------------


def test_a_contact_deleted_here_stays_in_exchange_and_does_not_come_back(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    ann = add_ann(ews)
    sync(ctx, source, ews)
    delete(ctx, source, uid_for(ann))

    run, operations = sync(ctx, source, ews)
    assert run.status == "no_changes"
    assert not WRITES & set(operations)
    assert ews.mailbox.text(ann, "DisplayName") == "Ann Lee"

    ews.mailbox.edit(ann, {"JobTitle": "Manager"})
    run, _ = sync(ctx, source, ews)
    assert run.status == "no_changes"
    assert texts(ctx, source) == {}


def test_a_contact_moved_out_of_the_book_is_left_alone_both_ways(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    """Moved into "Contacts" (a CardDAV MOVE: the store's move_item, as the plugin calls
    it): Exchange keeps the contact, and its edits there no longer reach the card."""
    ann = add_ann(ews)
    sync(ctx, source, ews)
    with ctx.store.write() as tx:
        book, contacts = tx.require_collection(source.book_path), tx.ensure_default_book(OWNER)
        href = tx.href_of_uid(book.id, uid_for(ann))
        assert href is not None
        tx.move_item(book, href, contacts, "ann.vcf")
    with ctx.store.read() as tx:
        moved = tx.get_item(tx.require_collection(f"{OWNER}/contacts").id, "ann.vcf")
    assert moved is not None

    ews.mailbox.edit(ann, {"JobTitle": "Manager"})
    for _ in range(2):
        run, operations = sync(ctx, source, ews)
        assert run.status == "no_changes" and not WRITES & set(operations)
        assert texts(ctx, source) == {}
        assert ews.mailbox.text(ann, "JobTitle") == "Manager"
        with ctx.store.read() as tx:
            assert tx.get_item(tx.require_collection(f"{OWNER}/contacts").id, "ann.vcf") == moved


def test_a_contact_deleted_in_exchange_stays_here(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    ann = add_ann(ews)
    sync(ctx, source, ews)
    ews.mailbox.delete(ann)

    run, _ = sync(ctx, source, ews)
    assert run.status == "no_changes"
    assert by_name(ctx, source, "Ann Lee").title.value == "Clerk"

    put(ctx, source, card(uid_for(ann), "Ann Lee", "TITLE:Edited here"))
    run, operations = sync(ctx, source, ews)
    assert "no longer in Exchange" in run.problems[0]["reason"]
    assert "CreateItem" not in operations
    assert by_name(ctx, source, "Ann Lee").title.value == "Edited here"
    # Not sent again: it is no longer synced.
    put(ctx, source, card(uid_for(ann), "Ann Lee", "TITLE:Edited again"))
    run, operations = sync(ctx, source, ews)
    assert run.status == "no_changes" and not WRITES & set(operations)
    assert ews.mailbox.live() == []


# -- conflicts ------------------------------------------------------------------------------


def both_changed(
    ctx: RunContext, ews: EwsServer, source: SourceRecord, exchange_later_by: float
) -> str:
    """Ann, changed here and in Exchange since the last run; returns her item id."""
    ann = add_ann(ews)
    sync(ctx, source, ews)
    put(ctx, source, card(uid_for(ann), "Ann Lee", "TITLE:Edited here"))
    ews.mailbox.edit(ann, {"JobTitle": "Edited in Outlook"})
    exchange_time(ews, ann, time.time() + exchange_later_by)
    return ann


def test_a_conflict_keeps_the_newer_exchange_version_and_says_so(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    ann = both_changed(ctx, ews, source, exchange_later_by=3600)

    run, _ = sync(ctx, source, ews)

    assert run.status == "ok"
    assert run.counts["conflicts"] == 1 and run.counts["errors"] == 0
    assert run.message == "1 updated, 1 conflict"
    [problem] = run.problems
    assert problem["key"] == ann
    assert problem["reason"].startswith("conflict: Ann Lee was changed here and in Exchange")
    assert "kept the Exchange version, changed at " in problem["reason"]
    assert by_name(ctx, source, "Ann Lee").title.value == "Edited in Outlook"
    assert ews.mailbox.text(ann, "JobTitle") == "Edited in Outlook"
    again, operations = sync(ctx, source, ews)
    assert again.status == "no_changes" and not WRITES & set(operations)


def test_a_conflict_keeps_the_newer_version_from_here_and_says_so(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    ann = both_changed(ctx, ews, source, exchange_later_by=-3600)

    run, operations = sync(ctx, source, ews)

    assert run.counts["conflicts"] == 1
    assert run.message == "1 updated in Exchange, 1 conflict"
    [problem] = run.problems
    assert "kept this hub's version, changed at " in problem["reason"]
    assert operations.count("UpdateItem") == 2  # refused for its change key, then sent
    assert ews.mailbox.text(ann, "JobTitle") == "Edited here"
    assert by_name(ctx, source, "Ann Lee").title.value == "Edited here"
    again, operations = sync(ctx, source, ews)
    assert again.status == "no_changes" and not WRITES & set(operations)


def test_changes_within_the_same_second_keep_the_exchange_version(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    """Exchange's LastModifiedTime is cut to the second: a change here within that second may
    be older or newer than Exchange's; Exchange's stands (an edit in Outlook just after an
    undo here is not overwritten). A change here from the next second on is surely newer."""
    ann = both_changed(ctx, ews, source, exchange_later_by=0)
    with ctx.store.read() as tx:
        book = tx.require_collection(source.book_path)
        (edited_here,) = (item.modified_at for item in tx.iter_items(book.id))
    exchange_time(ews, ann, math.floor(edited_here))

    run, _ = sync(ctx, source, ews)

    assert "kept the Exchange version" in run.problems[0]["reason"]
    assert by_name(ctx, source, "Ann Lee").title.value == "Edited in Outlook"
    assert ews.mailbox.text(ann, "JobTitle") == "Edited in Outlook"

    put(ctx, source, card(uid_for(ann), "Ann Lee", "TITLE:Edited here again"))
    ews.mailbox.edit(ann, {"JobTitle": "Edited in Outlook again"})
    with ctx.store.read() as tx:
        (edited_here,) = (item.modified_at for item in tx.iter_items(book.id))
    exchange_time(ews, ann, math.floor(edited_here) - 1)
    run, _ = sync(ctx, source, ews)
    assert "kept this hub's version" in run.problems[0]["reason"]
    assert ews.mailbox.text(ann, "JobTitle") == "Edited here again"


# -- failures, disconnecting, the report ----------------------------------------------------


def test_a_refused_login_is_a_failed_run(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    ews.users[EMAIL] = "changed in Exchange"
    run, _ = sync(ctx, source, ews)
    assert run.status == "failed"
    assert run.message.startswith(f"Exchange refused the login for {EMAIL}")


def test_a_server_that_is_gone_is_a_failed_run(ctx: RunContext, ews: EwsServer) -> None:
    source = exchange_source.connect_account(ctx, OWNER, form(ews))
    with ctx.store.write() as tx:
        current = tx.require_source(source.id)
        account = {**current.settings["account"], "server": f"{LOOPBACK}:{free_port()}"}
        source = tx.update_source(current, settings={**current.settings, "account": account})
    run, _ = sync(ctx, source, ews)
    assert run.status == "failed"
    assert "refused the connection" in run.message


def test_disconnecting_stops_the_syncing_and_keeps_the_contacts(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    ann = add_ann(ews)
    sync(ctx, source, ews)
    delete_sync(ctx, source)
    with ctx.store.read() as tx:
        assert tx.list_sources(OWNER) == []
    assert set(texts(ctx, source)) == {uid_for(ann)}


def test_the_report_email_names_the_conflict(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    with serve_mailbox(SmtpMailbox(free_port())) as smtp:
        ctx.settings.smtp = {
            "host": LOOPBACK,
            "port": str(smtp.port),
            "security": "none",
            "sender": "contacthub@example.org",
        }
        source = save_settings(ctx, source, notify=["ann@example.org"])
        both_changed(ctx, ews, source, exchange_later_by=3600)
        run, _ = sync(ctx, source, ews)
    assert run.email == "sent to ann@example.org"
    [envelope] = smtp.envelopes[-1:]
    body = message_from_bytes(envelope.content, policy=default).get_body().get_content()
    assert "conflict: Ann Lee was changed here and in Exchange" in body
    assert "kept the Exchange version" in body


def test_a_contact_exchange_refuses_is_reported_and_the_others_still_go(
    ctx: RunContext, ews: EwsServer, source: SourceRecord
) -> None:
    ews.mailbox.refused.add("Bad Value")
    put(ctx, source, card("hub-bad", "Bad Value"))
    put(ctx, source, card("hub-ok", "Cy Young"))

    run, _ = sync(ctx, source, ews)

    assert (run.status, run.message) == ("ok", "1 created in Exchange")
    [problem] = run.problems
    assert problem["reason"].startswith(
        "Bad Value was not sent to Exchange: Exchange refused the contact's values"
    )
    assert run.counts["errors"] == 1
    item_named(ews, "Cy Young")
    # Tried again on the next run, though the card did not change.
    ews.mailbox.refused.clear()
    run, _ = sync(ctx, source, ews)
    assert run.message == "1 created in Exchange"
    item_named(ews, "Bad Value")
