"""Exchange reaches only addresses the guard checked as each connection was made (DNS
rebinding), with TLS verified for the server's name.

The EWS double listens on 127.0.0.2, the one address the policy opens, over HTTPS with a
certificate for ews.rebind.test; a tripwire listens on 127.0.0.1 at the same port and counts
any connection that reaches it. The loopback DNS server answers the name with 127.0.0.2 and
then with 127.0.0.1 (or the other way round), as a hostile server's DNS does. exchangelib
opens more than one connection to log in (its auth-type probe has one of its own): each
looks the name up once and connects to what was checked, so the first reaches the double
and the next is refused, before anything reaches 127.0.0.1.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import exchangelib
import pytest
from exchangelib.protocol import BaseProtocol

from contacthub import config
from contacthub.fetch import FetchPolicy
from contacthub.jobs.runner import run_sync
from contacthub.sources.context import RunContext
from contacthub.sources.exchange import source as exchange_source
from contacthub.sources.exchange.client import ExchangeAccount, ExchangeError, connect, pull
from contacthub.sources.mail_account import AccountError
from contacthub.store import Store
from tests.exchange.conftest import EMAIL, PASSWORD, USERS, loopback_dns
from tests.fetch.certs import CertificateFiles, make_certificates
from tests.support.dns_server import DnsServer
from tests.support.ews_server import EwsServer
from tests.support.net import LOOPBACK, Tripwire
from tests.support.stores import new_sqlite_store

ALLOWED = "127.0.0.2"
REFUSED = LOOPBACK
ZONE = "rebind.test"
HOST = f"ews.{ZONE}"  # on the certificate
OTHER = f"mail.{ZONE}"  # not on it
OWNER = "alice"
REFUSAL = (
    f"Address {REFUSED} of host {HOST} is loopback; "
    "to fetch from it, set [fetch] allow_private = true, or name its network in "
    "[fetch] allowed_networks, in DATA_DIR/contacthub.conf."
)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return make_certificates(tmp_path_factory.mktemp("rebind-certs"), dns_names=[HOST])


@pytest.fixture
def tripwire() -> Iterator[Tripwire]:
    with Tripwire(REFUSED) as wire:
        yield wire


@pytest.fixture
def ews(certificates: CertificateFiles, tripwire: Tripwire) -> Iterator[EwsServer]:
    tls = (certificates.cert_file, certificates.key_file)
    with EwsServer(users=USERS, tls=tls, host=ALLOWED, port=tripwire.port) as server:
        yield server


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[DnsServer]:
    with loopback_dns(monkeypatch, {}, zone=ZONE) as server:
        yield server


@pytest.fixture
def policy(certificates: CertificateFiles) -> FetchPolicy:
    return FetchPolicy(ca_bundle=str(certificates.ca_file), allowed_networks=(f"{ALLOWED}/32",))


def url(ews: EwsServer, host: str = HOST) -> str:
    return f"https://{host}:{ews.port}/EWS/Exchange.asmx"


def settings(ews: EwsServer, host: str = HOST) -> ExchangeAccount:
    return ExchangeAccount(email=EMAIL, password=PASSWORD, server=url(ews, host))


def test_a_name_that_stays_on_the_checked_address_connects_with_tls_for_the_name(
    ews: EwsServer, dns: DnsServer, tripwire: Tripwire, policy: FetchPolicy
) -> None:
    ann = ews.mailbox.create({"DisplayName": "Ann Lee", "GivenName": "Ann", "Surname": "Lee"})
    dns.answer(HOST, ALLOWED)
    # The certificate names ews.rebind.test and not 127.0.0.2: it is checked for the name.
    account = connect(settings(ews), verify=str(policy.ca_bundle), policy=policy)
    pulled, _ = pull(account, None)
    assert [contact.item_id for contact in pulled] == [ann]

    dns.answer(OTHER, ALLOWED)
    with pytest.raises(ExchangeError) as caught:
        connect(settings(ews, OTHER), verify=str(policy.ca_bundle), policy=policy)
    assert str(caught.value).startswith(f"the TLS certificate of {OTHER}:{ews.port} is not trusted")
    assert tripwire.connections() == 0


def test_every_connection_reaches_only_the_address_its_own_lookup_checked(
    ews: EwsServer, dns: DnsServer, tripwire: Tripwire, policy: FetchPolicy
) -> None:
    dns.answer(HOST, ALLOWED, REFUSED)
    with pytest.raises(ExchangeError) as caught:
        connect(settings(ews), verify=str(policy.ca_bundle), policy=policy)
    assert str(caught.value) == REFUSAL  # the second connection's lookup: refused
    assert ews.operations() == ["401"]  # the first reached the double: the auth-type probe
    assert dns.asked.count((HOST, "A")) == 2
    assert tripwire.connections() == 0


def test_a_name_answering_the_refused_address_first_is_refused_before_connecting(
    ews: EwsServer, dns: DnsServer, tripwire: Tripwire, policy: FetchPolicy
) -> None:
    dns.answer(HOST, REFUSED, ALLOWED)
    with pytest.raises(ExchangeError) as caught:
        connect(settings(ews), verify=str(policy.ca_bundle), policy=policy)
    assert str(caught.value) == REFUSAL
    assert ews.operations() == []
    assert tripwire.connections() == 0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(new_sqlite_store(tmp_path / "store.db"))
    with opened.write() as tx:
        tx.create_collection(OWNER, {})
    yield opened
    opened.close()


@pytest.fixture
def ctx(store: Store, tmp_path: Path, policy: FetchPolicy) -> RunContext:
    loaded = config.load(tmp_path / "data")
    loaded.fetch_policy = policy
    loaded.smtp = {}
    return RunContext(store, loaded)


@pytest.mark.parametrize(
    ("answers", "reached"),
    [((ALLOWED, REFUSED), ["401"]), ((REFUSED, ALLOWED), [])],
    ids=["allowed first", "refused first"],
)
def test_a_run_reaches_only_checked_addresses_and_says_the_guards_sentence(
    answers: tuple[str, str],
    reached: list[str],
    ctx: RunContext,
    store: Store,
    ews: EwsServer,
    dns: DnsServer,
    tripwire: Tripwire,
) -> None:
    form = {"email": EMAIL, "password": PASSWORD, "server": url(ews)}
    dns.answer(HOST, *answers)
    with pytest.raises(AccountError) as caught:
        exchange_source.connect_account(ctx, OWNER, form)
    assert (caught.value.field, str(caught.value)) == ("server", REFUSAL)
    with store.read() as tx:
        assert tx.list_sources(OWNER) == []
    assert ews.operations() == reached

    dns.answer(HOST, ALLOWED)
    source = exchange_source.connect_account(ctx, OWNER, form)
    before = ews.operations()
    exchangelib.close_connections()  # the run connects anew, as in a fresh worker process
    dns.answer(HOST, *answers)
    run = run_sync(ctx, source)

    assert (run.status, run.message) == ("failed", REFUSAL)
    assert ews.operations()[len(before) :] == reached
    assert tripwire.connections() == 0


def test_proxies_from_the_environment_are_not_used(
    monkeypatch: pytest.MonkeyPatch,
    ews: EwsServer,
    dns: DnsServer,
    tripwire: Tripwire,
    policy: FetchPolicy,
) -> None:
    # A proxy would look the name up itself, where the guard cannot see.
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, f"http://{REFUSED}:{tripwire.port}")
    monkeypatch.setattr(BaseProtocol, "TIMEOUT", 5)  # the tripwire never answers a proxy's client
    ann = ews.mailbox.create({"DisplayName": "Ann Lee", "GivenName": "Ann", "Surname": "Lee"})
    dns.answer(HOST, ALLOWED)
    account = connect(settings(ews), verify=str(policy.ca_bundle), policy=policy)
    pulled, _ = pull(account, None)
    assert [contact.item_id for contact in pulled] == [ann]
    assert tripwire.connections() == 0


def test_a_server_name_that_does_not_resolve_stands_next_to_the_server(
    ctx: RunContext, ews: EwsServer, dns: DnsServer
) -> None:
    form = {"email": EMAIL, "password": PASSWORD, "server": url(ews, OTHER)}
    with pytest.raises(AccountError) as caught:
        exchange_source.connect_account(ctx, OWNER, form)
    assert caught.value.field == "server"
    assert str(caught.value) == (
        f"the server {OTHER}:{ews.port} was not found: check the server name in Advanced settings"
    )
