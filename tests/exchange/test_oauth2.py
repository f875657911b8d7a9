"""Exchange accounts that log in as an app registered in Azure AD: OAuth2 client credentials,
end to end over sockets.

exchangelib fetches the app's token from https://login.microsoftonline.com/TENANT/oauth2/v2.0/
token and sends it to EWS as "Authorization: Bearer ...", impersonating the mailbox. Here that
host name resolves through a loopback DNS server (socket.getaddrinfo is patched for it) to the
token endpoint of tests/support/azure_token.py on port 443 of a loopback address of its own,
over TLS with a test CA's certificate; the EWS double (over TLS too: requests-oauthlib sends
tokens over https only) accepts the tokens it issued. The CA is trusted the way the hub does:
connect(verify=), with a guard that opens loopback (policy=), the [fetch] ca_bundle for sources.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from contacthub import config
from contacthub.config import Settings
from contacthub.fetch import FetchPolicy
from contacthub.jobs.runner import run_sync
from contacthub.sources.context import RunContext
from contacthub.sources.exchange import source as exchange_source
from contacthub.sources.exchange.client import (
    ExchangeAccount,
    ExchangeError,
    connect,
    pull,
    uid_for,
)
from contacthub.sources.mail_account import AccountError
from contacthub.store import SourceRecord
from tests.api.spec import validate
from tests.exchange.conftest import EMAIL, LOOPBACK_POLICY, USERS, loopback_dns
from tests.fetch.certs import CertificateFiles, make_certificates
from tests.jobs.helpers import stored_settings_json
from tests.support.azure_token import ADDRESS, HOST, SCOPE, App, TokenRequest, TokenServer
from tests.support.ews_faults import Fault
from tests.support.ews_server import EwsServer

TENANT = "0b6f5c1a-2c4d-4e8f-9a10-3b5c7d9e1f20"
CLIENT_ID = "5a1e3c9b-7d2f-4b8e-a6c4-1f0e9d8c7b6a"
CLIENT_SECRET = "Qx8~contacthub.app-secret_0123456789"
APP = App(TENANT, CLIENT_ID, CLIENT_SECRET)
OWNER = "alice"
ISSUED = TokenRequest(TENANT, "client_credentials", CLIENT_ID, SCOPE, "issued")
REFUSED_APP = (
    f"Azure AD refused the app credentials for tenant {TENANT}: check the client id and secret"
)


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return make_certificates(tmp_path_factory.mktemp("certs"), dns_names=[HOST])


@pytest.fixture
def ca(certificates: CertificateFiles) -> str:
    return str(certificates.ca_file)


@pytest.fixture
def tls_ews(certificates: CertificateFiles) -> Iterator[EwsServer]:
    with EwsServer(users=USERS, tls=(certificates.cert_file, certificates.key_file)) as server:
        yield server


@pytest.fixture
def azure(
    monkeypatch: pytest.MonkeyPatch, tls_ews: EwsServer, certificates: CertificateFiles
) -> Iterator[TokenServer]:
    try:
        server = TokenServer(
            tls_ews, APP, mailbox=EMAIL, tls=(certificates.cert_file, certificates.key_file)
        )
    except OSError as error:
        pytest.fail(
            f"the token endpoint must listen on {ADDRESS}:443 (the port is in the URL "
            f"exchangelib asks), and binding it failed: {error}. Run the tests as root "
            "(or with CAP_NET_BIND_SERVICE), with nothing else on that port.",
            pytrace=False,
        )
    with server, loopback_dns(monkeypatch, {HOST: ADDRESS}, zone=HOST):
        yield server


@pytest.fixture
def app_account(tls_ews: EwsServer) -> ExchangeAccount:
    return ExchangeAccount(
        email=EMAIL,
        server=tls_ews.url,
        client_id=CLIENT_ID,
        tenant_id=TENANT,
        client_secret=CLIENT_SECRET,
    )


def add_contacts(ews: EwsServer) -> list[str]:
    return [
        ews.mailbox.create({"DisplayName": "Ann Lee", "GivenName": "Ann", "Surname": "Lee"}),
        ews.mailbox.create({"DisplayName": "Bob Ray", "GivenName": "Bob", "Surname": "Ray"}),
    ]


# -- connecting -----------------------------------------------------------------------------


def test_an_app_connects_with_its_client_credentials_and_pulls(
    azure: TokenServer, tls_ews: EwsServer, app_account: ExchangeAccount, ca: str
) -> None:
    ids = add_contacts(tls_ews)

    account = connect(app_account, verify=ca, policy=LOOPBACK_POLICY)
    pulled, _ = pull(account, None)

    assert sorted(contact.item_id for contact in pulled) == sorted(ids)
    assert {contact.card.split("FN:")[1].split("\r\n")[0] for contact in pulled} == {
        "Ann Lee",
        "Bob Ray",
    }
    assert azure.requests == [ISSUED]
    assert tls_ews.requests and {login for _, login in tls_ews.requests} == {EMAIL}
    assert CLIENT_SECRET not in repr(app_account)


def test_a_wrong_client_secret_names_azure_ad_and_reaches_no_mailbox(
    azure: TokenServer, tls_ews: EwsServer, app_account: ExchangeAccount, ca: str
) -> None:
    with pytest.raises(ExchangeError) as caught:
        connect(replace(app_account, client_secret="wrong"), verify=ca, policy=LOOPBACK_POLICY)
    assert str(caught.value).startswith(f"{REFUSED_APP} (AADSTS7000215: Invalid client secret")
    assert [request.outcome for request in azure.requests] == ["invalid_client"]
    assert tls_ews.requests == []
    # Nothing of the refused login is kept: the right secret works at once.
    assert connect(app_account, verify=ca, policy=LOOPBACK_POLICY).primary_smtp_address == EMAIL


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"client_id": "00000000-0000-0000-0000-000000000001"}, REFUSED_APP),
        (
            {"tenant_id": "other.onmicrosoft.com"},
            "Azure AD knows no tenant other.onmicrosoft.com: check the tenant id",
        ),
    ],
    ids=["unknown app", "unknown tenant"],
)
def test_an_unknown_app_or_tenant_says_which_to_check(
    azure: TokenServer,
    tls_ews: EwsServer,
    app_account: ExchangeAccount,
    ca: str,
    changes: dict[str, str],
    message: str,
) -> None:
    with pytest.raises(ExchangeError) as caught:
        connect(replace(app_account, **changes), verify=ca, policy=LOOPBACK_POLICY)
    assert str(caught.value).startswith(message)
    assert tls_ews.requests == []


@pytest.mark.parametrize(
    ("server", "message"),
    [
        (None, "with OAuth2, enter the server in Advanced settings"),
        ("http://127.0.0.1:8080", "with OAuth2, the server must be an https:// URL"),
    ],
)
def test_oauth2_needs_the_server_over_https(
    azure: TokenServer, app_account: ExchangeAccount, ca: str, server: str | None, message: str
) -> None:
    with pytest.raises(ExchangeError) as caught:
        connect(replace(app_account, server=server), verify=ca, policy=LOOPBACK_POLICY)
    assert message in str(caught.value)
    assert azure.requests == []


def test_a_token_refused_by_exchange_says_to_check_the_apps_permission(
    azure: TokenServer, tls_ews: EwsServer, app_account: ExchangeAccount, ca: str
) -> None:
    account = connect(app_account, verify=ca, policy=LOOPBACK_POLICY)
    # As when the admin withdraws full_access_as_app: Azure AD still issues tokens, and
    # Exchange refuses each.
    tls_ews.plan(Fault.expire_token("SyncFolderItems", times=None))
    with pytest.raises(ExchangeError) as caught:
        pull(account, None)
    assert str(caught.value) == (
        f"Exchange refused the token of the app {CLIENT_ID} for {EMAIL}: check that the app "
        "has the Exchange permission full_access_as_app, with admin consent"
    )
    # Sent again once with a new token, then no more.
    assert tls_ews.operations()[-3:] == ["GetFolder", "401", "401"]
    assert set(azure.requests) == {ISSUED}


def test_a_token_exchange_ends_midway_is_fetched_anew_and_the_pull_goes_on(
    azure: TokenServer, tls_ews: EwsServer, app_account: ExchangeAccount, ca: str
) -> None:
    ids = add_contacts(tls_ews)
    account = connect(app_account, verify=ca, policy=LOOPBACK_POLICY)
    tls_ews.plan(Fault.expire_token("GetItem"))  # after SyncFolderItems went through

    pulled, _ = pull(account, None)

    assert sorted(contact.item_id for contact in pulled) == sorted(ids)
    assert tls_ews.operations()[-3:] == ["SyncFolderItems", "401", "GetItem"]
    assert azure.requests == [ISSUED, ISSUED]


def test_an_app_may_act_only_for_the_mailboxes_its_policy_allows(
    azure: TokenServer, tls_ews: EwsServer, app_account: ExchangeAccount, ca: str
) -> None:
    account = connect(app_account, verify=ca, policy=LOOPBACK_POLICY)
    with tls_ews.mailbox.lock:  # an application access policy for other mailboxes only
        tls_ews.tokens = dict.fromkeys(tls_ews.tokens, "bob@example.org")
    with pytest.raises(ExchangeError) as caught:
        pull(account, None)
    assert str(caught.value) == (
        f"Exchange denied the app {CLIENT_ID} access to the contacts of {EMAIL}: check the "
        "app's permissions and the tenant's application access policies"
    )


def test_an_expired_token_is_fetched_anew_with_the_client_credentials(
    azure: TokenServer, tls_ews: EwsServer, app_account: ExchangeAccount, ca: str
) -> None:
    """An app token has no refresh token: a refresh_token grant would be refused."""
    azure.expires_in = 2
    add_contacts(tls_ews)
    account = connect(app_account, verify=ca, policy=LOOPBACK_POLICY)
    _, state = pull(account, None)
    issued = len(azure.requests)
    time.sleep(azure.expires_in + 1)

    assert pull(account, state) == ([], state)
    assert len(azure.requests) > issued
    assert set(azure.requests) == {ISSUED}


# -- the source -----------------------------------------------------------------------------


@pytest.fixture
def hub_settings(tmp_path: Path, ca: str) -> Settings:
    loaded = config.load(tmp_path / "data")
    loaded.smtp = {}
    # The EWS double is on loopback: the address guard lets exactly that through.
    loaded.fetch_policy = FetchPolicy(allowed_networks=("127.0.0.0/8",), ca_bundle=ca)
    return loaded


def app_form(server: str, /, **changes: Any) -> dict[str, Any]:
    return {
        "email": EMAIL,
        "auth": "oauth2",
        "client_id": CLIENT_ID,
        "tenant_id": TENANT,
        "client_secret": CLIENT_SECRET,
        "server": server,
        **changes,
    }


@pytest.fixture
def source(ctx: RunContext, azure: TokenServer, tls_ews: EwsServer) -> SourceRecord:
    return exchange_source.connect_account(ctx, OWNER, app_form(tls_ews.url))


def test_the_source_seals_the_client_secret_and_never_shows_it(
    ctx: RunContext, tls_ews: EwsServer, source: SourceRecord
) -> None:
    assert CLIENT_SECRET not in stored_settings_json(ctx.store, source)
    assert ctx.vault.open(source.settings["sealed_client_secret"]) == CLIENT_SECRET
    assert "sealed_password" not in source.settings
    shown = exchange_source.account_json(source)
    assert shown == {
        "email": EMAIL,
        "username": None,
        "server": tls_ews.url,
        "auth": "oauth2",
        "client_id": CLIENT_ID,
        "tenant_id": TENANT,
        "has_client_secret": True,
    }
    assert CLIENT_SECRET not in json.dumps(shown)


def test_a_run_pulls_the_contacts_with_the_apps_token(
    ctx: RunContext, azure: TokenServer, tls_ews: EwsServer, source: SourceRecord
) -> None:
    ids = add_contacts(tls_ews)

    run = run_sync(ctx, source)

    assert (run.status, run.message) == ("ok", "2 added")
    with ctx.store.read() as tx:
        book = tx.require_collection(source.book_path)
        assert {item.uid for item in tx.iter_items(book.id)} == {uid_for(i) for i in ids}
    assert {login for _, login in tls_ews.requests} == {EMAIL}
    assert {request.outcome for request in azure.requests} == {"issued"}


def test_an_update_without_the_secret_keeps_the_sealed_one(
    ctx: RunContext, tls_ews: EwsServer, source: SourceRecord
) -> None:
    changes = {
        "email": EMAIL,
        "client_id": CLIENT_ID,
        "tenant_id": TENANT,
        "server": tls_ews.address,
    }
    updated = exchange_source.update_account(ctx, source, changes)  # "auth" kept too
    assert exchange_source.account_json(updated)["server"] == tls_ews.address
    assert ctx.vault.open(updated.settings["sealed_client_secret"]) == CLIENT_SECRET
    assert run_sync(ctx, updated).status == "no_changes"


def test_a_wrong_secret_saves_nothing(
    ctx: RunContext, azure: TokenServer, tls_ews: EwsServer
) -> None:
    with pytest.raises(AccountError) as caught:
        exchange_source.connect_account(ctx, OWNER, app_form(tls_ews.url, client_secret="wrong"))
    assert caught.value.field == "account"
    assert str(caught.value).startswith(REFUSED_APP)
    with ctx.store.read() as tx:
        assert tx.list_sources(OWNER) == []


def test_switching_to_the_password_needs_one(
    ctx: RunContext, tls_ews: EwsServer, source: SourceRecord
) -> None:
    with pytest.raises(AccountError) as caught:
        exchange_source.update_account(
            ctx, source, {"email": EMAIL, "auth": "password", "server": tls_ews.url}
        )
    assert caught.value.field == "password"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"auth": "kerberos"}, "auth"),
        ({"client_id": ""}, "client_id"),
        ({"client_id": "my-app"}, "client_id"),
        ({"tenant_id": None}, "tenant_id"),
        ({"tenant_id": "contoso/../x"}, "tenant_id"),
        ({"tenant_id": "common"}, "tenant_id"),
        ({"client_secret": ""}, "client_secret"),
        ({"client_secret": 42}, "client_secret"),
        ({"client_secret": "a\nb"}, "client_secret"),
        ({"server": None}, "server"),
        ({"server": "http://127.0.0.1:8080/EWS/Exchange.asmx"}, "server"),
    ],
)
def test_the_oauth2_form_names_the_field_at_fault(
    ctx: RunContext, tls_ews: EwsServer, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(AccountError) as caught:
        exchange_source.parse_form(ctx, app_form(tls_ews.url, **changes))
    assert caught.value.field == field


def test_the_api_takes_the_oauth2_form() -> None:
    form = {"type": "exchange", **app_form("outlook.office365.com")}
    validate(form, {"$ref": "#/components/schemas/AccountInput"})
