"""The address guard: only public addresses unless the admin opens private ones.

Refused addresses are tested as addresses or IP literals, so nothing connects to them.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contacthub import config
from contacthub.fetch import (
    FetchError,
    FetchPolicy,
    RemoteSource,
    check_address,
    fetch,
    refusal,
    resolve,
)
from contacthub.fetch.guard import embedded_ipv4
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
    for address in ("127.0.0.1", "10.0.0.5", "fd12::1", "100.64.0.1"):
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
        "to fetch from it, set [fetch] allow_private = true, or name its network in "
        "[fetch] allowed_networks, in DATA_DIR/contacthub.conf"
    )
    with pytest.raises(FetchError, match="169.254.169.254 of host metadata is a cloud metadata"):
        check_address("169.254.169.254", "metadata", OPEN)


def test_the_refusal_names_the_file_the_options_are_set_in(tmp_path: Path) -> None:
    policy = config.load(tmp_path).fetch_policy
    with pytest.raises(FetchError) as caught:
        check_address("192.168.1.20", "nas.example", policy)
    assert str(caught.value) == (
        "address 192.168.1.20 of host nas.example is private; "
        "to fetch from it, set [fetch] allow_private = true, or name its network in "
        f"[fetch] allowed_networks, in {tmp_path.resolve() / 'contacthub.conf'}"
    )


def test_every_resolved_address_is_checked() -> None:
    with pytest.raises(FetchError, match="address 127.0.0.1 of host localhost is loopback"):
        resolve("localhost", 80, DEFAULT)
    assert resolve("localhost", 80, LOOPBACK_ONLY) == ["127.0.0.1"]


def test_unknown_host_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", answering())  # no lookup leaves the machine
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
    with pytest.raises(FetchError, match=r"is loopback; to fetch from it, set \[fetch\]"):
        fetch(RemoteSource("ftp://127.0.0.1/a.csv"), None, DEFAULT)


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


# -- IPv6 forms that carry an IPv4 address, and what allow_private leaves closed ------------

EMBEDDED = [
    # (address, what it carries, the refusal)
    ("::ffff:127.0.0.1", "127.0.0.1", "loopback"),  # IPv4-mapped
    ("::127.0.0.1", "127.0.0.1", "loopback"),  # IPv4-compatible
    ("::10.0.0.5", "10.0.0.5", "private"),
    ("::ffff:0:7f00:1", "127.0.0.1", "loopback"),  # IPv4-translated (RFC 2765)
    ("64:ff9b::7f00:1", "127.0.0.1", "loopback"),  # NAT64 well-known prefix
    ("64:ff9b::a9fe:a9fe", "169.254.169.254", "a cloud metadata address"),
    ("64:ff9b:1::7f00:1", "127.0.0.1", "loopback"),  # local-use NAT64, /96
    ("2002:7f00:1::", "127.0.0.1", "loopback"),  # 6to4
    ("2002:a9fe:a9fe::1", "169.254.169.254", "a cloud metadata address"),
    ("2002:c0a8:101::", "192.168.1.1", "private"),
    # Teredo: a public server (94.245.121.251) and the client 127.0.0.1, XOR 0xffffffff
    ("2001:0:5ef5:79fb::80ff:fffe", "127.0.0.1", "loopback"),
    ("2001:0:5ef5:79fb::5601:5601", "169.254.169.254", "a cloud metadata address"),
]


@pytest.mark.parametrize(("address", "carried", "reason"), EMBEDDED)
def test_ipv6_forms_are_judged_by_the_ipv4_address_they_carry(
    address: str, carried: str, reason: str
) -> None:
    parsed = ipaddress.IPv6Address(address)
    assert ipaddress.IPv4Address(carried) in embedded_ipv4(parsed)
    assert refusal(parsed, DEFAULT) == reason


def test_local_use_nat64_is_judged_at_every_prefix_length_it_may_use() -> None:
    at_48 = ipaddress.IPv6Address("64:ff9b:1:7f00:0:100::")  # 127.0.0.1 after a /48 prefix
    assert embedded_ipv4(at_48) == [
        ipaddress.IPv4Address(ipv4) for ipv4 in ("0.1.0.0", "0.0.1.0", "127.0.0.1")
    ]
    other_readings_open = FetchPolicy(allowed_networks=("0.0.0.0/8",))
    assert refusal(at_48, other_readings_open) == "loopback"


@pytest.mark.parametrize(
    "address",
    ["64:ff9b::808:808", "2002:808:808::1", "::ffff:1.1.1.1", "2001:0:5ef5:79fb::f7f7:f7f7"],
)
def test_ipv6_forms_that_carry_a_public_ipv4_address_pass(address: str) -> None:
    assert refusal(ipaddress.IPv6Address(address), DEFAULT) is None


def test_the_refusal_of_an_ipv6_form_names_the_ipv4_address_it_carries() -> None:
    with pytest.raises(FetchError) as caught:
        check_address("64:ff9b::7f00:1", "files.example", DEFAULT)
    assert str(caught.value) == (
        "address 64:ff9b::7f00:1 of host files.example carries 127.0.0.1, which is loopback; "
        "to fetch from it, set [fetch] allow_private = true, or name its network in "
        "[fetch] allowed_networks, in DATA_DIR/contacthub.conf"
    )


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",
        "169.254.170.2",
        "169.254.170.23",
        "fd00:ec2::254",
        "fd00:ec2::23",
        "fd20:ce::254",
        "100.100.100.200",
        "168.63.129.16",
        "::ffff:169.254.170.2",
        "64:ff9b::6464:64c8",  # NAT64 of 100.100.100.200
    ],
)
def test_cloud_metadata_endpoints_stay_closed_with_allow_private(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), DEFAULT) == "a cloud metadata address"
    assert refusal(ipaddress.ip_address(address), OPEN) == "a cloud metadata address"


@pytest.mark.parametrize(
    "address", ["169.254.10.10", "fe80::1", "fe80::a9fe:a9fe", "::169.254.0.1"]
)
def test_link_local_addresses_stay_closed_with_allow_private(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), OPEN) == "link-local"


def test_allowed_networks_open_a_metadata_or_link_local_address_they_name() -> None:
    named = FetchPolicy(allow_private=True, allowed_networks=("169.254.170.2/32", "fe80::/10"))
    for address in ("169.254.170.2", "fe80::1", "::ffff:169.254.170.2", "64:ff9b::a9fe:aa02"):
        assert refusal(ipaddress.ip_address(address), named) is None
    assert refusal(ipaddress.ip_address("169.254.169.254"), named) == "a cloud metadata address"
    assert refusal(ipaddress.ip_address("169.254.10.10"), named) == "link-local"


def test_with_allow_private_a_refusal_says_allowed_networks_opens_it() -> None:
    with pytest.raises(FetchError) as caught:
        check_address("169.254.170.2", "creds.example", OPEN)
    assert str(caught.value) == (
        "address 169.254.170.2 of host creds.example is a cloud metadata address; "
        "only [fetch] allowed_networks naming it in DATA_DIR/contacthub.conf opens it"
    )
    with pytest.raises(FetchError, match=r"fe80::1 of host h is link-local; only \[fetch\]"):
        check_address("fe80::1", "h", OPEN)


def answering(*addresses: str) -> Callable[..., Any]:
    """A socket.getaddrinfo that answers every name with *addresses* (none: not found),
    so a test names any host without asking DNS."""

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if not addresses:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [
            (
                socket.AF_INET6 if ":" in address else socket.AF_INET,
                socket.SOCK_STREAM,
                socket.IPPROTO_TCP,
                "",
                (address, port),
            )
            for address in addresses
        ]

    return getaddrinfo


@pytest.fixture
def no_connections(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection a socket tries to open."""

    def refuse(sock: socket.socket, address: Any) -> None:
        raise AssertionError(f"connected to {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.mark.parametrize(("address", "carried", "reason"), EMBEDDED)
@pytest.mark.usefixtures("no_connections")
def test_a_host_resolving_to_an_ipv6_form_is_refused_before_connecting(
    monkeypatch: pytest.MonkeyPatch, address: str, carried: str, reason: str
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", answering("93.184.216.34", address))
    with pytest.raises(FetchError) as caught:
        fetch(RemoteSource("https://files.example/a.csv"), None, DEFAULT)
    assert f"of host files.example carries {carried}, which is {reason};" in str(caught.value)


@pytest.mark.parametrize("address", [address for address, _, _ in EMBEDDED])
@pytest.mark.usefixtures("no_connections")
def test_an_ipv6_literal_url_is_refused_before_connecting(address: str) -> None:
    with pytest.raises(FetchError, match=r"carries [0-9.]+, which is "):
        fetch(RemoteSource(f"http://[{address}]:8080/a.csv"), None, DEFAULT)


@pytest.mark.parametrize("address", ["169.254.170.2", "100.100.100.200", "fe80::1"])
@pytest.mark.usefixtures("no_connections")
def test_a_host_at_a_metadata_or_link_local_address_is_refused_with_allow_private(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", answering(address))
    with pytest.raises(FetchError, match="only \\[fetch\\] allowed_networks naming it"):
        fetch(RemoteSource("http://creds.example/v2/credentials"), None, OPEN)
