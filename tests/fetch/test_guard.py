"""The address guard: only public addresses unless the admin opens private ones.

Refused addresses are tested as addresses or IP literals, so nothing connects to them.
"""

from __future__ import annotations

import ipaddress
import logging

import pytest

from contacthub.fetch import (
    FetchError,
    FetchPolicy,
    RemoteSource,
    check_address,
    fetch,
    refusal,
    resolve,
)
from tests.fetch.conftest import LOOPBACK_ONLY
from tests.fetch.http_server import LocalHTTPServer, ServedFile, Site

DEFAULT = FetchPolicy()
OPEN = FetchPolicy(allow_private=True)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("::1", "loopback"),
        ("10.0.0.5", "private"),
        ("172.16.3.4", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("169.254.10.10", "link-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "reserved"),
        ("::ffff:10.0.0.5", "private"),
        ("::ffff:127.0.0.1", "loopback"),
    ],
)
def test_non_public_addresses_are_refused_by_default(address: str, reason: str) -> None:
    assert refusal(ipaddress.ip_address(address), DEFAULT) == reason


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), DEFAULT) is None


def test_allow_private_opens_private_addresses_but_not_cloud_metadata() -> None:
    for address in ("127.0.0.1", "10.0.0.5", "fd12::1", "169.254.10.10"):
        assert refusal(ipaddress.ip_address(address), OPEN) is None
    assert refusal(ipaddress.ip_address("169.254.169.254"), OPEN) == "a cloud metadata address"


def test_allowed_networks_open_only_those_networks() -> None:
    assert refusal(ipaddress.ip_address("127.0.0.1"), LOOPBACK_ONLY) is None
    assert refusal(ipaddress.ip_address("10.0.0.5"), LOOPBACK_ONLY) == "private"


def test_refusal_message_says_what_to_do() -> None:
    with pytest.raises(FetchError) as caught:
        check_address("10.0.0.5", "files.example", DEFAULT)
    assert str(caught.value) == (
        "address 10.0.0.5 of host files.example is private; "
        "allow private addresses in the config to fetch from it"
    )
    with pytest.raises(FetchError, match="169.254.169.254 of host metadata is a cloud metadata"):
        check_address("169.254.169.254", "metadata", OPEN)


def test_every_resolved_address_is_checked() -> None:
    with pytest.raises(FetchError, match="address 127.0.0.1 of host localhost is loopback"):
        resolve("localhost", 80, DEFAULT)
    assert resolve("localhost", 80, LOOPBACK_ONLY) == ["127.0.0.1"]


def test_unknown_host_is_reported() -> None:
    with pytest.raises(FetchError, match=r"^host no-such-host\.invalid not found$"):
        resolve("no-such-host.invalid", 80, DEFAULT)


def test_loopback_server_is_refused_unless_allowed(
    http_server: LocalHTTPServer, site: Site
) -> None:
    site.files["/a.csv"] = ServedFile(b"a\n")
    with pytest.raises(FetchError, match="127.0.0.1 of host 127.0.0.1 is loopback"):
        fetch(RemoteSource(http_server.url("/a.csv")), None, DEFAULT)
    assert site.requests == []  # refused before connecting
    assert fetch(RemoteSource(http_server.url("/a.csv")), None, LOOPBACK_ONLY).content == b"a\n"


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata"),
        ("http://10.0.0.5/data.csv", "address 10.0.0.5 of host 10.0.0.5 is private"),
        ("https://[fd00::5]:8443/data.csv", "address fd00::5 of host fd00::5 is private"),
    ],
)
def test_redirect_to_a_refused_address_is_not_followed(
    http_server: LocalHTTPServer, site: Site, target: str, message: str
) -> None:
    site.redirects["/go"] = target
    with pytest.raises(FetchError, match=message):
        fetch(RemoteSource(http_server.url("/go")), None, LOOPBACK_ONLY)


def test_ftp_to_loopback_is_refused_unless_allowed() -> None:
    with pytest.raises(FetchError, match="is loopback; allow private addresses"):
        fetch(RemoteSource("ftp://localhost/a.csv"), None, DEFAULT)


def test_a_refusal_is_logged_with_the_host_and_never_the_password(
    http_server: LocalHTTPServer, site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    site.files["/a.csv"] = ServedFile(b"a\n")
    url = http_server.url("/a.csv").replace("://", "://user:secret@")
    with pytest.raises(FetchError):
        fetch(RemoteSource(url), None, DEFAULT)
    assert site.requests == []  # refused before connecting
    [record] = [r for r in caplog.records if r.name == "contacthub.fetch.guard"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == "address guard: refused host 127.0.0.1 at 127.0.0.1 (loopback)"
    assert "secret" not in caplog.text
