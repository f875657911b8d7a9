"""Connecting with only the email address and password: autodiscover, end to end on loopback.

exchangelib looks example.org up in DNS, then autodiscover.example.org, and POSTs GetUserSettings
to https://<the name found>/autodiscover/autodiscover.svc. Here a loopback DNS server knows the
names (exchangelib's resolver asks it, and so does every connection to a name under
example.org: socket.getaddrinfo is patched), an autodiscover endpoint on 127.0.0.1:443 answers
over TLS with a test CA's certificate, and hands out the URL of the EWS double, where the login
and the Contacts folder are checked. The CA is trusted the way the hub does: connect(verify=);
the guard (policy=) opens loopback, and a test checks that the default policy does not.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from contacthub.sources.exchange.client import ExchangeAccount, ExchangeError, connect, pull
from tests.exchange.conftest import EMAIL, LOOPBACK_POLICY, PASSWORD, USERS, loopback_dns
from tests.fetch.certs import CertificateFiles, make_certificates
from tests.support.dns_server import DnsServer
from tests.support.ews_autodiscover import AutodiscoverServer, Request
from tests.support.ews_server import EwsServer
from tests.support.net import LOOPBACK

DOMAIN = EMAIL.rpartition("@")[2]
AUTODISCOVER_HOST = f"autodiscover.{DOMAIN}"


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return make_certificates(
        tmp_path_factory.mktemp("certs"), dns_names=[DOMAIN, AUTODISCOVER_HOST]
    )


@pytest.fixture
def ca(certificates: CertificateFiles) -> str:
    return str(certificates.ca_file)


@pytest.fixture
def tls_ews(certificates: CertificateFiles) -> Iterator[EwsServer]:
    with EwsServer(users=USERS, tls=(certificates.cert_file, certificates.key_file)) as server:
        yield server


@pytest.fixture
def autodiscover(
    tls_ews: EwsServer, certificates: CertificateFiles
) -> Iterator[AutodiscoverServer]:
    try:
        server = AutodiscoverServer(tls_ews, tls=(certificates.cert_file, certificates.key_file))
    except OSError as error:
        pytest.fail(
            f"the autodiscover endpoint must listen on {LOOPBACK}:443 (the port is in "
            f"the URLs exchangelib tries), and binding it failed: {error}. Run the tests "
            "as root (or with CAP_NET_BIND_SERVICE), with nothing else on port 443.",
            pytrace=False,
        )
    with server:
        yield server


@pytest.fixture
def autodiscover_host_dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[DnsServer]:
    with loopback_dns(monkeypatch, {AUTODISCOVER_HOST: LOOPBACK}, zone=DOMAIN) as server:
        yield server


# Step 1 of autodiscover is https://DOMAIN/..., step 2 https://autodiscover.DOMAIN/...: DNS
# knows one of the names, so autodiscover must find the endpoint under that one.
@pytest.mark.parametrize(
    "host", [AUTODISCOVER_HOST, DOMAIN], ids=["autodiscover.domain", "the domain itself"]
)
def test_email_and_password_connect_through_autodiscover(
    host: str,
    monkeypatch: pytest.MonkeyPatch,
    autodiscover: AutodiscoverServer,
    tls_ews: EwsServer,
    ca: str,
) -> None:
    ann = tls_ews.mailbox.create({"DisplayName": "Ann Lee", "GivenName": "Ann", "Surname": "Lee"})

    with loopback_dns(monkeypatch, {host: LOOPBACK}, zone=DOMAIN) as dns:
        account = connect(
            ExchangeAccount(email=EMAIL, password=PASSWORD), verify=ca, policy=LOOPBACK_POLICY
        )

    assert account.protocol.service_endpoint == tls_ews.url
    assert account.primary_smtp_address == EMAIL
    pulled, _ = pull(account, None)
    assert [contact.item_id for contact in pulled] == [ann]
    assert "FN:Ann Lee" in pulled[0].card
    # A fresh discovery, nothing cached by another test: the domain is looked up first; the
    # endpoint is asked for its auth type without credentials, then for the settings.
    assert dns.asked[0] == (DOMAIN, "A")
    assert autodiscover.requests == [
        Request(host, "401", None),
        Request(host, "GetUserSettings", EMAIL),
    ]
    assert {login for _, login in tls_ews.requests[1:]} == {EMAIL}


def test_a_wrong_password_through_autodiscover_says_to_check_it(
    autodiscover_host_dns: DnsServer, autodiscover: AutodiscoverServer, tls_ews: EwsServer, ca: str
) -> None:
    with pytest.raises(ExchangeError) as caught:
        connect(ExchangeAccount(email=EMAIL, password="wrong"), verify=ca, policy=LOOPBACK_POLICY)
    assert str(caught.value) == (
        f"Exchange refused the login for {EMAIL}: check the password; if it is right, try "
        "Advanced settings: the username as DOMAIN\\user or user@domain"
    )
    assert autodiscover.requests == [
        Request(AUTODISCOVER_HOST, "401", None),
        Request(AUTODISCOVER_HOST, "401", None),
    ]
    assert tls_ews.requests == []


@pytest.fixture
def loopback_connections_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail a test that would connect anywhere but loopback, instead of connecting."""
    connect = socket.socket.connect

    def loopback_only(sock: socket.socket, address: Any) -> None:
        if address[0] != LOOPBACK:
            raise AssertionError(f"connected to {address}")
        connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)


@pytest.mark.parametrize(
    ("host", "address", "reason"),
    [
        (AUTODISCOVER_HOST, LOOPBACK, "loopback"),
        (DOMAIN, LOOPBACK, "loopback"),
        (AUTODISCOVER_HOST, "10.0.0.5", "private"),
    ],
    ids=["autodiscover.domain on loopback", "the domain on loopback", "a private address"],
)
@pytest.mark.usefixtures("loopback_connections_only")
def test_autodiscover_to_a_loopback_or_private_server_is_refused_before_connecting(
    host: str,
    address: str,
    reason: str,
    monkeypatch: pytest.MonkeyPatch,
    autodiscover: AutodiscoverServer,
    tls_ews: EwsServer,
    ca: str,
) -> None:
    # The loopback DNS server answers; the address is refused before anything connects to it.
    with loopback_dns(monkeypatch, {host: address}, zone=DOMAIN) as dns:
        with pytest.raises(ExchangeError) as caught:
            connect(ExchangeAccount(email=EMAIL, password=PASSWORD), verify=ca)
    assert str(caught.value) == (
        f"Address {address} of host {host} is {reason}; "
        "to fetch from it, set [fetch] allow_private = true, or name its network in "
        "[fetch] allowed_networks, in DATA_DIR/contacthub.conf."
    )
    assert (host, "A") in dns.asked
    assert autodiscover.requests == []
    assert tls_ews.requests == []


@pytest.mark.usefixtures("loopback_connections_only")
def test_autodiscover_does_not_follow_a_redirect_to_a_refused_server(
    monkeypatch: pytest.MonkeyPatch, autodiscover: AutodiscoverServer, tls_ews: EwsServer, ca: str
) -> None:
    # The endpoint found (on loopback, which this policy opens) hands out an EWS URL on a
    # private address: it is refused before any request is sent there.
    settings = autodiscover.settings

    def elsewhere(primary: str) -> dict[str, str]:
        return {
            name: value.replace(LOOPBACK, "10.0.0.5") for name, value in settings(primary).items()
        }

    monkeypatch.setattr(autodiscover, "settings", elsewhere)
    with loopback_dns(monkeypatch, {AUTODISCOVER_HOST: LOOPBACK}, zone=DOMAIN):
        with pytest.raises(ExchangeError) as caught:
            connect(
                ExchangeAccount(email=EMAIL, password=PASSWORD), verify=ca, policy=LOOPBACK_POLICY
            )
    assert str(caught.value).startswith("Address 10.0.0.5 of host 10.0.0.5 is private;")
    assert [request.operation for request in autodiscover.requests][-1] == "GetUserSettings"
    assert tls_ews.requests == []
