"""Connections pinned to the addresses the guard checked (DNS rebinding).

The loopback DNS server answers the file server's name with an address the policy opens
(127.0.0.2) and then with one it refuses (127.0.0.1), or the other way round. The file server
listens on the open address; a tripwire listens on the refused one at the same port and
counts any connection that reaches it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from contacthub.fetch import FetchError, FetchPolicy, RemoteSource, fetch
from contacthub.fetch.pinned import open_socket
from tests.fetch.http_server import LocalHTTPServer, ServedFile, Site
from tests.support.dns_server import DnsServer
from tests.support.net import LOOPBACK, Tripwire

ALLOWED = "127.0.0.2"
REFUSED = LOOPBACK
HOST = "files.rebind.test"
POLICY = FetchPolicy(timeout=5, allowed_networks=(f"{ALLOWED}/32",))
CSV = b"name,email\nAnn Lee,ann@example.org\n"


@pytest.fixture
def tripwire() -> Iterator[Tripwire]:
    with Tripwire(REFUSED) as wire:
        yield wire


@pytest.fixture
def server(site: Site, tripwire: Tripwire) -> Iterator[LocalHTTPServer]:
    site.files["/a.csv"] = ServedFile(CSV)
    with LocalHTTPServer(site, address=ALLOWED, port=tripwire.port) as server:
        yield server


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Iterator[DnsServer]:
    with DnsServer({}) as server:
        monkeypatch.setattr(socket, "getaddrinfo", server.getaddrinfo(HOST))
        yield server


def test_a_fetch_connects_to_the_address_the_guard_checked(
    server: LocalHTTPServer, site: Site, tripwire: Tripwire, dns: DnsServer
) -> None:
    dns.answer(HOST, ALLOWED, REFUSED)
    result = fetch(RemoteSource(f"http://{HOST}:{server.port}/a.csv"), None, POLICY)
    assert result.content == CSV
    assert site.requests[0]["Host"] == f"{HOST}:{server.port}"
    assert tripwire.connections() == 0
    assert dns.asked.count((HOST, "A")) == 1  # looked up once: checked and connected to


def test_a_name_answering_the_refused_address_first_is_refused(
    server: LocalHTTPServer, site: Site, tripwire: Tripwire, dns: DnsServer
) -> None:
    dns.answer(HOST, REFUSED, ALLOWED)
    with pytest.raises(FetchError) as caught:
        fetch(RemoteSource(f"http://{HOST}:{server.port}/a.csv"), None, POLICY)
    assert str(caught.value) == (
        f"address {REFUSED} of host {HOST} is loopback; "
        "to fetch from it, set [fetch] allow_private = true, or name its network in "
        "[fetch] allowed_networks, in DATA_DIR/contacthub.conf"
    )
    assert tripwire.connections() == 0
    assert site.requests == []


def test_the_checked_addresses_are_tried_in_turn(monkeypatch: pytest.MonkeyPatch) -> None:
    closed = "127.0.0.3"  # nothing listens there: the connection is refused
    with socket.create_server((ALLOWED, 0)) as listener:
        port = listener.getsockname()[1]

        def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> list[Any]:
            assert host == HOST, f"{host} was looked up"  # an address is never looked up
            return [
                (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))
                for address in (closed, ALLOWED)
            ]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        policy = FetchPolicy(allowed_networks=("127.0.0.0/8",))
        with open_socket(HOST, port, policy, timeout=5) as sock:
            assert sock.getpeername() == (ALLOWED, port)
