"""Fixtures: a loopback EWS endpoint with one mailbox, and an account connected to it."""

from __future__ import annotations

from collections.abc import Iterator

import exchangelib
import pytest
from exchangelib import Account
from exchangelib.protocol import BaseProtocol

from contacthub.mail.exchange import ExchangeAccount, connect
from tests.support.ews_server import EwsServer

EMAIL = "alice@example.org"
PASSWORD = "correct horse"
USERS = {EMAIL: PASSWORD, "EXAMPLE\\alice": PASSWORD}


@pytest.fixture(autouse=True)
def _exchangelib_state() -> Iterator[None]:
    # connect() installs its HTTP adapter process-wide, and exchangelib keeps protocols
    # (with open sessions) per endpoint: leave neither behind for the next test.
    adapter = BaseProtocol.HTTP_ADAPTER_CLS
    yield
    exchangelib.close_connections()
    BaseProtocol.HTTP_ADAPTER_CLS = adapter


@pytest.fixture
def ews() -> Iterator[EwsServer]:
    with EwsServer(users=USERS) as server:
        yield server


@pytest.fixture
def settings(ews: EwsServer) -> ExchangeAccount:
    return ExchangeAccount(email=EMAIL, password=PASSWORD, server=ews.url)


@pytest.fixture
def account(settings: ExchangeAccount) -> Account:
    return connect(settings)
