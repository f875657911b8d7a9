"""NTLM, the usual login of an on-premises Exchange: the EWS double logs in by NTLM only
(pyspnego's acceptor, as IIS does it per connection), and a run with exchangelib's NTLM
(requests_ntlm) finds the auth type itself and syncs both ways."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from exchangelib.transport import NTLM

from contacthub import config
from contacthub.config import Settings
from contacthub.fetch import FetchPolicy
from contacthub.jobs.runner import run_sync
from contacthub.sources.context import RunContext
from contacthub.sources.exchange import source as exchange_source
from contacthub.sources.exchange.client import ExchangeAccount, connect
from contacthub.sources.mail_account import AccountError
from tests.exchange.conftest import EMAIL, LOOPBACK_POLICY, PASSWORD, USERS
from tests.exchange.test_exchange_source import card, put
from tests.support.ews_server import EwsServer, write_ntlm_users

LOGIN = "EXAMPLE\\alice"


@pytest.fixture
def ntlm_ews(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EwsServer]:
    monkeypatch.setenv("NTLM_USER_FILE", str(write_ntlm_users(USERS, tmp_path / "ntlm-users")))
    with EwsServer(users=USERS, ntlm=True) as server:
        yield server


@pytest.fixture
def hub_settings(tmp_path: Path) -> Settings:
    loaded = config.load(tmp_path / "data")
    loaded.smtp = {}
    loaded.fetch_policy = FetchPolicy(allowed_networks=("127.0.0.0/8",))
    return loaded


def test_connect_finds_ntlm_and_logs_in(ntlm_ews: EwsServer) -> None:
    account = connect(
        ExchangeAccount(email=EMAIL, password=PASSWORD, username=LOGIN, server=ntlm_ews.url),
        policy=LOOPBACK_POLICY,
    )
    assert account.protocol.auth_type == NTLM
    # Each connection logs in once (NEGOTIATE, CHALLENGE, AUTHENTICATE), then is trusted.
    assert {login for operation, login in ntlm_ews.requests if operation != "401"} == {LOGIN}


def test_a_run_over_ntlm_syncs_both_ways(ctx: RunContext, ntlm_ews: EwsServer) -> None:
    ntlm_ews.mailbox.create({"DisplayName": "Ann Lee"})
    form = {"email": EMAIL, "password": PASSWORD, "username": LOGIN, "server": ntlm_ews.url}
    source = exchange_source.connect_account(ctx, "alice", form)
    put(ctx, source, card("hub-1", "Cy Young"))

    run = run_sync(ctx, source)

    assert (run.status, run.message) == ("ok", "1 added, 1 created in Exchange")
    names = {ntlm_ews.mailbox.text(c.item_id, "DisplayName") for c in ntlm_ews.mailbox.live()}
    assert names == {"Ann Lee", "Cy Young"}


def test_a_wrong_ntlm_password_names_the_password(ctx: RunContext, ntlm_ews: EwsServer) -> None:
    form = {"email": EMAIL, "password": "wrong", "username": LOGIN, "server": ntlm_ews.url}
    with pytest.raises(AccountError) as caught:
        exchange_source.connect_account(ctx, "alice", form)
    assert caught.value.field == "password"
    assert ntlm_ews.mailbox.live() == []
