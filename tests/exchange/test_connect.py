"""Connecting: the login, Advanced settings, TLS, and errors that say what to do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import vobject

from contacthub.errors import LoginRefused
from contacthub.sources.exchange.client import (
    ExchangeAccount,
    ExchangeError,
    connect,
    pull,
    push_create,
    service_endpoint,
)
from tests.exchange.conftest import EMAIL, LOOPBACK_POLICY, PASSWORD, USERS, loopback_dns
from tests.fetch.certs import CertificateFiles, make_certificates
from tests.support.dns_server import DnsServer
from tests.support.ews_server import EwsServer
from tests.support.ews_soap import EXCHANGE_2010_SP3
from tests.support.net import LOOPBACK, free_port

CARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u\r\nFN:Ann Lee\r\nN:Lee;Ann;;;\r\n"
    "EMAIL:ann@example.org\r\nEND:VCARD\r\n"
)


def test_connect_checks_the_login_and_finds_the_contacts_folder(
    settings: ExchangeAccount, ews: EwsServer
) -> None:
    account = connect(settings, policy=LOOPBACK_POLICY)
    assert account.contacts.name == "Contacts"
    # exchangelib probes unauthenticated for the auth type (401), then logs in.
    assert ews.requests[0] == ("401", None)
    assert {login for _, login in ews.requests[1:]} == {EMAIL}
    assert "GetFolder" in ews.operations()


def test_an_older_exchange_is_probed_down_to_the_version_it_speaks() -> None:
    with EwsServer(users=USERS, version=EXCHANGE_2010_SP3) as old:
        account = connect(
            ExchangeAccount(email=EMAIL, password=PASSWORD, server=old.url), policy=LOOPBACK_POLICY
        )
        item_id, _ = push_create(account, CARD)
        pulled, _ = pull(account, None)
    assert (account.version.build.major_version, account.version.build.minor_version) == (14, 3)
    assert account.version.api_version == "Exchange2010_SP2"
    # Exchange2016 first, refused as a fault; then down to the newest one it accepts.
    assert old.operations()[1:7] == ["ConvertId"] * 6
    assert [p.item_id for p in pulled] == [item_id]
    assert vobject.readOne(pulled[0].card).email.value == "ann@example.org"


def test_a_wrong_password_says_to_check_it_and_try_the_username(ews: EwsServer) -> None:
    settings = ExchangeAccount(email=EMAIL, password="wrong", server=ews.url)
    with pytest.raises(ExchangeError) as caught:
        connect(settings, policy=LOOPBACK_POLICY)
    assert str(caught.value) == (
        f"Exchange refused the login for {EMAIL}: check the password; if it is right, try "
        "Advanced settings: the username as DOMAIN\\user or user@domain"
    )
    assert [operation for operation, _ in ews.requests] == ["401", "401"]
    assert isinstance(caught.value, LoginRefused) and caught.value.field == "password"


def test_the_username_of_advanced_settings_is_the_login(ews: EwsServer) -> None:
    settings = ExchangeAccount(
        email=EMAIL, password=PASSWORD, username="EXAMPLE\\alice", server=ews.url
    )
    connect(settings, policy=LOOPBACK_POLICY)
    assert {login for _, login in ews.requests[1:]} == {"EXAMPLE\\alice"}


def test_a_wrong_username_names_it(ews: EwsServer) -> None:
    settings = ExchangeAccount(
        email=EMAIL, password=PASSWORD, username="EXAMPLE\\bob", server=ews.url
    )
    with pytest.raises(ExchangeError, match=r"refused the login for EXAMPLE\\bob"):
        connect(settings, policy=LOOPBACK_POLICY)


def test_an_unknown_server_says_it_was_not_found(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = ExchangeAccount(email=EMAIL, password=PASSWORD, server="exchange.invalid")
    # The name is looked up in the test's DNS server, which knows no names: the lookup
    # never leaves the machine.
    with loopback_dns(monkeypatch, {}, zone="exchange.invalid") as dns:
        with pytest.raises(ExchangeError) as caught:
            connect(settings, policy=LOOPBACK_POLICY)
    assert str(caught.value) == (
        "the server exchange.invalid was not found: check the server name in Advanced settings"
    )
    assert ("exchange.invalid", "A") in dns.asked


def test_a_closed_port_says_the_connection_was_refused() -> None:
    server = f"{LOOPBACK}:{free_port()}"
    settings = ExchangeAccount(email=EMAIL, password=PASSWORD, server=server)
    with pytest.raises(ExchangeError) as caught:
        connect(settings, policy=LOOPBACK_POLICY)
    assert str(caught.value) == (
        f"{server} refused the connection: check the server name and port in Advanced settings"
    )


@pytest.fixture
def localhost_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[DnsServer]:
    """exchangelib's autodiscover resolver pointed at a DNS server that knows only localhost."""
    with loopback_dns(monkeypatch, {"localhost": LOOPBACK}) as dns:
        yield dns


def test_a_failed_autodiscover_says_to_enter_the_server(localhost_dns: DnsServer) -> None:
    settings = ExchangeAccount(email="alice@localhost", password=PASSWORD)
    with pytest.raises(ExchangeError) as caught:
        connect(settings, policy=LOOPBACK_POLICY)
    assert str(caught.value) == (
        "autodiscover found no Exchange server for localhost: enter the server in Advanced settings"
    )
    # It tried https://localhost/ (nothing answers on 443), autodiscover.localhost and the SRV
    # record, all within the loopback.
    assert ("localhost", "A") in localhost_dns.asked
    assert ("autodiscover.localhost", "A") in localhost_dns.asked
    assert ("_autodiscover._tcp.localhost", "SRV") in localhost_dns.asked


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture
def tls_ews(certificates: CertificateFiles) -> Iterator[EwsServer]:
    with EwsServer(users=USERS, tls=(certificates.cert_file, certificates.key_file)) as server:
        yield server


def test_https_with_the_ca_bundle_connects(
    tls_ews: EwsServer, certificates: CertificateFiles
) -> None:
    settings = ExchangeAccount(email=EMAIL, password=PASSWORD, server=tls_ews.address)
    account = connect(settings, verify=str(certificates.ca_file), policy=LOOPBACK_POLICY)
    assert account.protocol.service_endpoint == tls_ews.url


def test_an_untrusted_certificate_says_so(tls_ews: EwsServer) -> None:
    settings = ExchangeAccount(email=EMAIL, password=PASSWORD, server=tls_ews.address)
    with pytest.raises(ExchangeError) as caught:
        connect(settings, policy=LOOPBACK_POLICY)
    assert str(caught.value) == (
        f"the TLS certificate of {tls_ews.address} is not trusted: "
        "check the server name, or add its CA to the CA bundle"
    )


def test_a_url_that_is_not_ews_says_so(ews: EwsServer) -> None:
    settings = ExchangeAccount(
        email=EMAIL, password=PASSWORD, server=f"http://{ews.address}/owa/service.asmx"
    )
    with pytest.raises(ExchangeError) as caught:
        connect(settings, policy=LOOPBACK_POLICY)
    assert str(caught.value) == (
        f"no Exchange Web Services answered at {settings.server}: "
        "check the server in Advanced settings"
    )


def test_an_email_without_at_is_refused_before_any_request() -> None:
    with pytest.raises(ExchangeError, match="'alice' is not an email address"):
        connect(ExchangeAccount(email="alice", password=PASSWORD), policy=LOOPBACK_POLICY)


@pytest.mark.parametrize(
    ("server", "endpoint"),
    [
        ("mail.example.org", "https://mail.example.org/EWS/Exchange.asmx"),
        ("mail.example.org:8443/", "https://mail.example.org:8443/EWS/Exchange.asmx"),
        ("https://mail.example.org/owa/", "https://mail.example.org/EWS/Exchange.asmx"),
        (
            "https://mail.example.org/ews/exchange.asmx",
            "https://mail.example.org/ews/exchange.asmx",
        ),
        (" http://127.0.0.1:8080 ", "http://127.0.0.1:8080/EWS/Exchange.asmx"),
    ],
)
def test_the_server_setting_becomes_an_ews_endpoint(server: str, endpoint: str) -> None:
    assert service_endpoint(server) == endpoint


def test_the_password_is_not_in_the_settings_repr() -> None:
    assert PASSWORD not in repr(ExchangeAccount(email=EMAIL, password=PASSWORD))
