"""/api/v1/accounts: IMAP mailboxes (a real Dovecot) and Exchange accounts (the loopback
EWS double, through exchangelib's transport), each response checked against OpenAPI."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import exchangelib
import exchangelib.autodiscover.cache
import pytest
from exchangelib.protocol import BaseProtocol

from contacthub.config import Settings
from contacthub.fetch import FetchPolicy
from contacthub.sources.imap.connection import ImapAccount
from contacthub.store import Store
from tests.api.conftest import ApiClient
from tests.api.test_imports import error_of
from tests.exchange.conftest import loopback_dns
from tests.fetch.certs import CertificateFiles
from tests.imap.messages import EXPECTED, INBOX_COUNT, SENT_COUNT
from tests.support.ews_server import EwsServer
from tests.support.net import LOOPBACK, free_port
from tests.support.smtp import Mailbox, serve_mailbox

ACCOUNTS = "/api/v1/accounts"
EWS_EMAIL, EWS_PASSWORD = "alice@example.org", "correct horse"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with serve_mailbox(Mailbox(free_port())) as served:
        yield served


@pytest.fixture
def settings(settings: Settings, mail_certificates: CertificateFiles, mailbox: Mailbox) -> Settings:
    # The test servers are on loopback: the address guard lets exactly that through.
    settings.fetch_policy = FetchPolicy(
        timeout=5, allowed_networks=("127.0.0.0/8",), ca_bundle=str(mail_certificates.ca_file)
    )
    settings.smtp = {
        "host": LOOPBACK,
        "port": str(mailbox.port),
        "security": "none",
        "sender": "hub@example.org",
    }
    return settings


@pytest.fixture
def ews() -> Iterator[EwsServer]:
    adapter = BaseProtocol.HTTP_ADAPTER_CLS
    with EwsServer(users={EWS_EMAIL: EWS_PASSWORD}) as server:
        yield server
    exchangelib.close_connections()  # exchangelib keeps sessions per endpoint
    BaseProtocol.HTTP_ADAPTER_CLS = adapter


def imap_form(account: ImapAccount, **changes: Any) -> dict[str, Any]:
    return {
        "type": "imap",
        "username": account.username,
        "password": account.password,
        "host": account.host,
        "port": account.port,
        "ssl": account.ssl,
        **changes,
    }


def book_names(store: Store, book_path: str) -> list[str]:
    with store.read() as tx:
        book = tx.require_collection(book_path)
        return sorted(
            line[3:]
            for item in tx.iter_items(book.id)
            for line in item.text.splitlines()
            if line.startswith("FN:")
        )


def test_presets_fill_server_and_port(api: ApiClient) -> None:
    presets = {p["id"]: p for p in api.get(f"{ACCOUNTS}/presets").get_json()["presets"]}
    assert presets["gmail"]["host"] == "imap.gmail.com"
    assert (presets["icloud"]["port"], presets["icloud"]["ssl"]) == (993, True)


def test_testing_a_connection_says_what_to_do(api: ApiClient, account: ImapAccount) -> None:
    wrong = error_of(api.post(f"{ACCOUNTS}/test", json=imap_form(account, password="wrong")), 422)
    assert wrong["field"] == "password"
    assert "wrong username or password" in wrong["message"]
    assert "try only the part before @" in wrong["message"]

    right = api.post(f"{ACCOUNTS}/test", json=imap_form(account))
    assert right.status_code == 200 and right.get_json()["ok"] is True
    assert "INBOX" in right.get_json()["folders"]


def test_an_imap_account_is_connected_synced_and_disconnected(
    api: ApiClient, store: Store, seeded: ImapAccount, mailbox: Mailbox
) -> None:
    form = imap_form(
        seeded,
        name="Work mail",
        notify="me@example.org",
        schedule={"start": "2030-01-01T08:00", "timezone": "Europe/Tallinn", "frequency": "daily"},
    )
    created = api.post(ACCOUNTS, json=form)
    assert created.status_code == 201, created.get_json()
    shown = created.get_json()
    assert shown["type"] == "imap" and shown["account"]["has_password"] is True
    assert seeded.password not in created.get_data(as_text=True)
    assert shown["schedule_text"] == "daily at 08:00 (Europe/Tallinn)"
    assert shown["next_run"] == "2030-01-01T06:00:00+00:00"
    assert shown["status"] == "never"

    run = api.post(f"{ACCOUNTS}/{shown['id']}/run").get_json()
    assert run["status"] == "ok"
    assert run["counts"]["added"] == len(EXPECTED)
    assert run["counts"]["messages_scanned"] == INBOX_COUNT + SENT_COUNT
    assert run["email"] == "sent to me@example.org"
    report = message_from_bytes(mailbox.envelopes[-1].content, policy=policy.default)
    body = report.get_body().get_content()  # type: ignore[union-attr]
    assert "Sync: Work mail" in body
    assert f"Messages scanned: {INBOX_COUNT + SENT_COUNT}" in body

    again = api.post(f"{ACCOUNTS}/{shown['id']}/run").get_json()
    assert (again["status"], again["counts"]["messages_scanned"]) == ("no_changes", 0)
    listed = api.get(ACCOUNTS).get_json()["accounts"]
    assert [(a["name"], a["status"]) for a in listed] == [("Work mail", "no_changes")]

    book_path = f"alice/{shown['book']}"
    names = book_names(store, book_path)
    assert api.delete(f"{ACCOUNTS}/{shown['id']}").status_code == 204
    assert api.get(ACCOUNTS).get_json()["accounts"] == []
    assert book_names(store, book_path) == names and names


def test_an_exchange_account_comes_in_through_the_api(
    api: ApiClient, store: Store, ews: EwsServer
) -> None:
    ews.mailbox.create({"DisplayName": "Dora Diaz", "GivenName": "Dora", "Surname": "Diaz"})
    form = {"type": "exchange", "email": EWS_EMAIL, "password": EWS_PASSWORD, "server": ews.url}
    wrong = error_of(api.post(ACCOUNTS, json={**form, "password": "wrong"}), 422)
    assert wrong["field"] == "password" and "Advanced settings" in wrong["message"]

    created = api.post(ACCOUNTS, json=form)
    assert created.status_code == 201, created.get_json()
    shown = created.get_json()
    assert shown["account"]["email"] == EWS_EMAIL
    assert EWS_PASSWORD not in created.get_data(as_text=True)
    run = api.post(f"{ACCOUNTS}/{shown['id']}/run").get_json()
    assert (run["status"], run["counts"]["added"]) == ("ok", 1), run
    assert book_names(store, f"alice/{shown['book']}") == ["Dora Diaz"]
    again = api.post(f"{ACCOUNTS}/{shown['id']}/run").get_json()
    assert again["status"] == "no_changes", again


def test_a_failed_autodiscover_names_the_server(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(
        exchangelib.autodiscover.cache, "AUTODISCOVER_PERSISTENT_STORAGE", tmp_path / "cache"
    )
    form = {"type": "exchange", "email": "alice@localhost", "password": EWS_PASSWORD}
    # A DNS server that knows only localhost: autodiscover finds no Exchange server.
    with loopback_dns(monkeypatch, {"localhost": LOOPBACK}):
        refused = error_of(api.post(f"{ACCOUNTS}/test", json=form), 422)
    exchangelib.autodiscover.clear_cache()
    assert refused["field"] == "server"
    assert refused["message"].startswith("Autodiscover found no Exchange server for localhost")


def test_accounts_are_their_owners_only(api: ApiClient, seeded: ImapAccount) -> None:
    made = api.post(ACCOUNTS, json=imap_form(seeded)).get_json()
    assert error_of(api.get(f"{ACCOUNTS}/{made['id']}", user="bob"), 404)
    assert api.get(ACCOUNTS, user="bob").get_json()["accounts"] == []


def test_an_account_without_a_known_type_is_refused(api: ApiClient) -> None:
    refused = api.post(ACCOUNTS, json={"username": "x"}, bad_request=True)
    assert error_of(refused, 422)["field"] == "type"
