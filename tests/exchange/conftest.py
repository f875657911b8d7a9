"""Fixtures: a loopback EWS endpoint with one mailbox, and an account connected to it."""

from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import exchangelib
import exchangelib.autodiscover.cache
import pytest
from exchangelib import Account
from exchangelib.autodiscover import Autodiscovery, clear_cache
from exchangelib.protocol import BaseProtocol

from contacthub.config import Settings
from contacthub.fetch import FetchPolicy
from contacthub.sources.context import RunContext
from contacthub.sources.exchange.client import ExchangeAccount, connect
from contacthub.store import Store
from tests.support.dns_server import DnsServer
from tests.support.ews_server import EwsServer
from tests.support.net import LOOPBACK

EMAIL = "alice@example.org"
PASSWORD = "correct horse"
USERS = {EMAIL: PASSWORD, "EXAMPLE\\alice": PASSWORD}
# The test servers are on loopback: the address guard lets exactly that through.
LOOPBACK_POLICY = FetchPolicy(allowed_networks=("127.0.0.0/8",))


@pytest.fixture(autouse=True)
def _exchangelib_state(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    # connect() installs its HTTP adapter process-wide, and exchangelib keeps protocols
    # (with open sessions) per endpoint: leave neither behind for the next test.
    # Autodiscover remembers each domain's endpoint in memory and in a file in the system's temp
    # directory, shared by every process of the user: each test gets its own, emptied after.
    monkeypatch.setattr(
        exchangelib.autodiscover.cache,
        "AUTODISCOVER_PERSISTENT_STORAGE",
        tmp_path / "exchangelib-autodiscover-cache",
    )
    adapter = BaseProtocol.HTTP_ADAPTER_CLS
    yield
    exchangelib.close_connections()
    clear_cache()
    BaseProtocol.HTTP_ADAPTER_CLS = adapter


@contextmanager
def loopback_dns(
    monkeypatch: pytest.MonkeyPatch, records: Mapping[str, str], zone: str | None = None
) -> Iterator[DnsServer]:
    """A DNS server with ``records``, asked by exchangelib's autodiscover resolver; with
    ``zone``, also by every connection to a name in it (socket.getaddrinfo)."""
    with DnsServer(records) as dns:
        monkeypatch.setattr(Autodiscovery, "DNS_RESOLVER_KWARGS", {"configure": False})
        monkeypatch.setattr(
            Autodiscovery,
            "DNS_RESOLVER_ATTRS",
            {"nameservers": [LOOPBACK], "port": dns.port, "timeout": 5},
        )
        monkeypatch.setattr(Autodiscovery, "DNS_RESOLVER_LIFETIME", 5)
        if zone:
            monkeypatch.setattr(socket, "getaddrinfo", dns.getaddrinfo(zone))
        yield dns


@pytest.fixture
def ews() -> Iterator[EwsServer]:
    with EwsServer(users=USERS) as server:
        yield server


@pytest.fixture
def settings(ews: EwsServer) -> ExchangeAccount:
    return ExchangeAccount(email=EMAIL, password=PASSWORD, server=ews.url)


@pytest.fixture
def account(settings: ExchangeAccount) -> Account:
    return connect(settings, policy=LOOPBACK_POLICY)


@pytest.fixture
def ctx(store: Store, hub_settings: Settings) -> RunContext:
    """The hub's side: the store (with alice) and the settings the test file gives."""
    return RunContext(store, hub_settings)
