"""IMAP reaches only the address the guard checked as it connected (DNS rebinding), over plain
IMAP, STARTTLS and implicit TLS, with the certificate checked for the server's name.

A Dovecot listens on 127.0.0.2, the one address the policy opens; tripwires listen on
127.0.0.1 at the same ports and count any connection that reaches them. The loopback DNS
server answers the server's name with 127.0.0.2 and then with 127.0.0.1 (or the other way
round), as a hostile server's DNS does between a check and a connection.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from contacthub import config
from contacthub.fetch import FetchPolicy
from contacthub.jobs.runner import run_sync
from contacthub.sources.context import RunContext
from contacthub.sources.imap import source as imap_source
from contacthub.sources.imap.connection import ImapAccount, ImapError, connect, logout
from contacthub.sources.mail_account import AccountError
from contacthub.store import Store
from tests.fetch.certs import CertificateFiles, make_certificates
from tests.imap.messages import EXPECTED, INBOX_COUNT, SENT_COUNT, mailbox
from tests.support.dns_server import DnsServer
from tests.support.dovecot import DovecotServer
from tests.support.net import LOOPBACK, Tripwire
from tests.support.stores import new_sqlite_store

ALLOWED = "127.0.0.2"
REFUSED = LOOPBACK
ZONE = "rebind.test"
HOST = f"imap.{ZONE}"  # on the certificate
OTHER = f"mail.{ZONE}"  # not on it
OWNER = "alice"
USERNAME = "ann@example.org"
PASSWORD = "ann-Secret-7"
REFUSAL = (
    f"Address {REFUSED} of host {HOST} is loopback; "
    "to fetch from it, set [fetch] allow_private = true, or name its network in "
    "[fetch] allowed_networks, in DATA_DIR/contacthub.conf."
)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return make_certificates(tmp_path_factory.mktemp("rebind-certs"), dns_names=[HOST])


@pytest.fixture(scope="module")
def tripwires() -> Iterator[tuple[Tripwire, Tripwire]]:
    with Tripwire(REFUSED) as plain, Tripwire(REFUSED) as tls:
        yield plain, tls


@pytest.fixture(scope="module")
def dovecot_at_allowed(
    certificates: CertificateFiles, tripwires: tuple[Tripwire, Tripwire]
) -> Iterator[DovecotServer]:
    ports = (tripwires[0].port, tripwires[1].port)
    with DovecotServer(certificates, host=ALLOWED, ports=ports) as server:
        server.add_user(USERNAME, PASSWORD)
        with server.client(USERNAME) as client:
            for folder, messages in mailbox(USERNAME).items():
                for raw in messages:
                    server.append(client, folder, raw)
        yield server


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[DnsServer]:
    with DnsServer({}) as server:
        monkeypatch.setattr(socket, "getaddrinfo", server.getaddrinfo(ZONE))
        yield server


@pytest.fixture
def policy(certificates: CertificateFiles) -> FetchPolicy:
    return FetchPolicy(
        timeout=5, ca_bundle=str(certificates.ca_file), allowed_networks=(f"{ALLOWED}/32",)
    )


@pytest.fixture
def account(dovecot_at_allowed: DovecotServer) -> ImapAccount:
    return ImapAccount(USERNAME, PASSWORD, HOST, dovecot_at_allowed.imap_port, ssl=False)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(new_sqlite_store(tmp_path / "store.db"))
    with opened.write() as tx:
        tx.create_collection(OWNER, {})
    yield opened
    opened.close()


@pytest.fixture
def ctx(store: Store, tmp_path: Path, policy: FetchPolicy) -> RunContext:
    settings = config.load(tmp_path / "data")
    settings.fetch_policy = policy
    settings.smtp = {}
    return RunContext(store, settings)


def form_of(account: ImapAccount) -> dict[str, Any]:
    return {
        "username": account.username,
        "password": account.password,
        "host": account.host,
        "port": account.port,
        "ssl": account.ssl,
    }


def reached(tripwires: tuple[Tripwire, Tripwire]) -> int:
    return sum(wire.connections() for wire in tripwires)


def test_a_run_connects_to_the_address_the_guard_checked(
    ctx: RunContext, account: ImapAccount, dns: DnsServer, tripwires: tuple[Tripwire, Tripwire]
) -> None:
    dns.answer(HOST, ALLOWED)
    source = imap_source.connect_account(ctx, OWNER, form_of(account))
    dns.answer(HOST, ALLOWED, REFUSED)  # the name rebinds after the run's lookup

    run = run_sync(ctx, source)

    assert run.status == "ok", run.message
    assert run.counts["added"] == len(EXPECTED)
    assert run.counts["messages_scanned"] == INBOX_COUNT + SENT_COUNT
    assert dns.asked.count((HOST, "A")) == 2  # one lookup per connection: the test, the run
    assert reached(tripwires) == 0


def test_a_server_answering_the_refused_address_first_is_refused_with_the_guards_sentence(
    ctx: RunContext,
    store: Store,
    account: ImapAccount,
    dns: DnsServer,
    tripwires: tuple[Tripwire, Tripwire],
) -> None:
    dns.answer(HOST, REFUSED, ALLOWED)
    with pytest.raises(AccountError) as caught:
        imap_source.connect_account(ctx, OWNER, form_of(account))
    assert (caught.value.field, str(caught.value)) == ("host", REFUSAL)
    with store.read() as tx:
        assert tx.list_sources(OWNER) == []

    dns.answer(HOST, ALLOWED)
    source = imap_source.connect_account(ctx, OWNER, form_of(account))
    dns.answer(HOST, REFUSED, ALLOWED)
    run = run_sync(ctx, source)

    assert (run.status, run.message) == ("failed", REFUSAL)
    assert reached(tripwires) == 0


def secured(account: ImapAccount, server: DovecotServer, security: str) -> ImapAccount:
    if security == "ssl":
        return replace(account, port=server.imaps_port, ssl=True)
    return replace(account, ssl=True, starttls=True)


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_tls_at_the_checked_address_is_verified_for_the_name(
    security: str,
    account: ImapAccount,
    dovecot_at_allowed: DovecotServer,
    certificates: CertificateFiles,
    policy: FetchPolicy,
    dns: DnsServer,
    tripwires: tuple[Tripwire, Tripwire],
) -> None:
    trusted = ssl.create_default_context(cafile=str(certificates.ca_file))
    secure = secured(account, dovecot_at_allowed, security)
    dns.answer(HOST, ALLOWED, REFUSED)

    client = connect(secure, timeout=10, ssl_context=trusted, policy=policy)
    try:
        # The certificate names imap.rebind.test and not 127.0.0.2: it was checked for the name.
        assert isinstance(client.sock, ssl.SSLSocket)
        assert client.sock.getpeername()[0] == ALLOWED
        assert client.select("INBOX", readonly=True)[0] == "OK"
    finally:
        logout(client)

    dns.answer(OTHER, ALLOWED)
    with pytest.raises(ImapError) as caught:
        connect(replace(secure, host=OTHER), timeout=10, ssl_context=trusted, policy=policy)
    assert f"the TLS certificate of {OTHER} is not trusted" in str(caught.value)
    assert reached(tripwires) == 0


def test_a_server_name_that_does_not_resolve_stands_next_to_the_host(
    ctx: RunContext, account: ImapAccount, dns: DnsServer
) -> None:
    with pytest.raises(AccountError) as caught:
        imap_source.connect_account(ctx, OWNER, form_of(replace(account, host=OTHER)))
    assert caught.value.field == "host"
    assert str(caught.value) == (
        f"IMAP server '{OTHER}' not found (the name does not resolve: Name or service not "
        "known): check the server name, e.g. imap.example.org, or pick a preset"
    )
