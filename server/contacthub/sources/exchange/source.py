"""An Exchange account as a two-way source: its Contacts folder and the book "From Exchange".

Connecting takes the email address and password (the server is found by autodiscover), or
under Advanced settings the username (DOMAIN\\user or user@domain) and the server, for when
autodiscover fails; the errors say to try them. Or, with "auth": "oauth2", as an app registered
in Azure AD (OAuth2 client credentials: client id, tenant id, client secret, and the server,
which autodiscover cannot find for an app), impersonating the mailbox. Nothing is saved until
the login works. The password or client secret is sealed by the vault (its key is in the config
or the data directory, never in the store) and never shown again.

A run (see exchange_sync for the steps): the cards added or changed in the book since the last
run go to Exchange; then the contacts created or changed in Exchange since the stored sync
state come into the book through the reconciler. A contact changed on both sides since the
last run keeps the newer version, and the run's problems name the conflict. Deletions never
travel, in either direction. Disconnecting (deleting the source) stops the syncing; the book
and its contacts stay.

Source settings: {"account": {"email", "username", "server", "auth", "client_id", "tenant_id"},
"sealed_password" or (OAuth2) "sealed_client_secret", "sync_state", "book_token", "items",
"retry"} (exchange_sync says what the last four hold), plus the schedule and report addresses
of saved syncs. Sources saved before OAuth2 have no "auth": theirs is "password".
"""

from __future__ import annotations

import ipaddress
import logging
import re
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from contacthub.credentials import CredentialError
from contacthub.reconcile import Incoming, Policy, RunFailed, SourceReport, run_source
from contacthub.reconcile.effect import NOTHING_TO_DO
from contacthub.sources.base import record_outcome
from contacthub.sources.context import RunContext
from contacthub.sources.exchange.account import ExchangeAccount, service_endpoint
from contacthub.sources.exchange.errors import (
    AutodiscoverFailed,
    ExchangeError,
    ExchangeLoginRefused,
    ServerNotFound,
    ServerRefused,
)
from contacthub.sources.mail_account import AccountError, account_book
from contacthub.store import AlreadyExists, RunRecord, SourceRecord, Transaction

if TYPE_CHECKING:
    from exchangelib import Account

    from contacthub.sources.exchange.sync import Local, Sent

# The modules that speak to Exchange (client, sync) are imported by the functions that log
# in or run: importing exchangelib takes 0.2 s, and every `serve` and most commands import
# this module to list the kinds of source.

logger = logging.getLogger(__name__)

KIND = "exchange"
BOOK_TITLE = "From Exchange"
# Deletions in Exchange are not even reported by the pull; none are made here either.
POLICY = Policy(update_existing=True, delete_missing=False)

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
_USERNAME = re.compile(r"[^\\@\s]+(\\[^\\@\s]+|@[^\\@\s]+)?")
_HOST = re.compile(r"([A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(:\d{1,5})?/?")
# A tenant is named in the token URL's path: its id (a GUID) or a domain name.
_TENANT = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?")
AUTHS = ("password", "oauth2")
SECRETS = ("sealed_password", "sealed_client_secret")


# -- the account form -----------------------------------------------------------------------


def parse_form(
    ctx: RunContext, form: Mapping[str, Any], previous: SourceRecord | None = None
) -> ExchangeAccount:
    """The account of the whole form: email, "auth" ("password", the default, or "oauth2"),
    then the password and the optional username and server, or for OAuth2 client_id,
    tenant_id, client_secret and the server (left out or empty: none; the server is a
    host[:port] or an https:// URL, or an EWS URL).

    Without a password or client secret, an update keeps the sealed one of `previous`, and
    without "auth" its way of logging in. Raises AccountError naming the field at fault.
    """
    email = _text(form, "email")
    if not email:
        raise AccountError("email", "Enter the email address of the Exchange mailbox.")
    if not _EMAIL.fullmatch(email):
        raise AccountError(
            "email", f"{email!r} is not an email address: enter it as name@example.org."
        )
    auth = _auth(form, previous)
    username = (_text(form, "username") or None) if auth == "password" else None
    if username is not None and not _USERNAME.fullmatch(username):
        raise AccountError("username", "Enter the username as DOMAIN\\user or user@domain.")
    server = _text(form, "server") or None
    if server is not None:
        _check_server(server)
    if auth == "oauth2":
        return _oauth2_account(ctx, form, previous, email, server)
    password = _password(ctx, form, previous)
    return ExchangeAccount(email=email, password=password, username=username, server=server)


def _auth(form: Mapping[str, Any], previous: SourceRecord | None) -> str:
    auth = _text(form, "auth") or (_auth_of(previous) if previous else "password")
    if auth not in AUTHS:
        raise AccountError(
            "auth", 'The auth is "password" or "oauth2" (an app registered in Azure AD).'
        )
    return auth


def _auth_of(source: SourceRecord) -> str:
    return str((source.settings.get("account") or {}).get("auth") or "password")


def _oauth2_account(
    ctx: RunContext,
    form: Mapping[str, Any],
    previous: SourceRecord | None,
    email: str,
    server: str | None,
) -> ExchangeAccount:
    """The app's client credentials; the server is needed (autodiscover takes no app token)."""
    client_id = _client_id(form)
    tenant_id = _tenant_id(form)
    secret = _client_secret(ctx, form, previous)
    if server is None:
        raise AccountError(
            "server",
            "With OAuth2, enter the server in Advanced settings "
            "(outlook.office365.com for Exchange Online).",
        )
    if not service_endpoint(server).lower().startswith("https://"):
        raise AccountError(
            "server",
            "With OAuth2, the server URL must start with https:// (the app's token is sent to it).",
        )
    return ExchangeAccount(
        email=email, server=server, client_id=client_id, tenant_id=tenant_id, client_secret=secret
    )


def _client_id(form: Mapping[str, Any]) -> str:
    value = _text(form, "client_id")
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise AccountError(
            "client_id",
            "Enter the Application (client) ID of the app in Azure "
            "AD, like 00000000-0000-0000-0000-000000000000.",
        ) from None


def _tenant_id(form: Mapping[str, Any]) -> str:
    value = _text(form, "tenant_id")
    if not value:
        raise AccountError("tenant_id", "Enter the Directory (tenant) ID of the app in Azure AD.")
    if not _TENANT.fullmatch(value) or value.lower() in ("common", "organizations", "consumers"):
        raise AccountError(
            "tenant_id",
            f"{value!r} is not a tenant: enter the Directory (tenant) "
            "ID, or the directory's domain name (contoso.onmicrosoft.com).",
        )
    return value


def _client_secret(ctx: RunContext, form: Mapping[str, Any], previous: SourceRecord | None) -> str:
    value = form.get("client_secret")
    if value is None or value == "":
        if previous is None or "sealed_client_secret" not in previous.settings:
            raise AccountError(
                "client_secret", "Enter the client secret of the app (its value, not its id)."
            )
        return _unsealed(ctx, previous, "sealed_client_secret", "client_secret")
    return _secret_text(value, "client_secret", "client secret")


def _text(form: Mapping[str, Any], name: str) -> str:
    value = form.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise AccountError(name, f"The {name} is text.")
    if _CONTROL.search(value):
        raise AccountError(name, f"Invalid characters found in the {name}.")
    return value.strip()


def _password(ctx: RunContext, form: Mapping[str, Any], previous: SourceRecord | None) -> str:
    value = form.get("password")
    if value is None or value == "":
        if previous is None or "sealed_password" not in previous.settings:
            raise AccountError("password", "Enter the password of the Exchange mailbox.")
        return _unsealed(ctx, previous, "sealed_password", "password")
    return _secret_text(value, "password", "password")


def _secret_text(value: Any, field: str, words: str) -> str:
    if not isinstance(value, str):
        raise AccountError(field, f"The {words} is text.")
    if "\n" in value or "\r" in value or "\x00" in value:
        raise AccountError(field, f"Invalid characters found in the {words}.")
    return value


def _unsealed(ctx: RunContext, source: SourceRecord, key: str, field: str) -> str:
    try:
        return ctx.vault.open(source.settings[key])
    except CredentialError as error:
        raise AccountError(field, str(error)) from None


def _check_server(server: str) -> None:
    """A host[:port], an https:// URL, or an http:// URL on this machine (a test server)."""
    if "://" not in server:
        if not _HOST.fullmatch(server):
            raise AccountError(
                "server",
                f"{server!r} is not a server name: enter it as "
                "mail.example.org, or as an https:// URL.",
            )
        return
    try:
        parts = urlsplit(server)
        host = parts.hostname
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        host = None
    if not host or parts.username or parts.password or parts.query or parts.fragment:
        raise AccountError(
            "server", f"{server!r} is not a server URL: enter it as https://mail.example.org."
        )
    scheme = parts.scheme.lower()
    if scheme == "https" or (scheme == "http" and _is_loopback(host)):
        return
    raise AccountError(
        "server", "The server URL must start with https:// (the password is sent to it)."
    )


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def account_json(source: SourceRecord) -> dict[str, Any]:
    """The account as the API shows it: never the password or the client secret."""
    account = source.settings.get("account") or {}
    return {
        "email": account.get("email"),
        "username": account.get("username"),
        "server": account.get("server"),
        "auth": _auth_of(source),
        "client_id": account.get("client_id"),
        "tenant_id": account.get("tenant_id"),
        "has_client_secret": "sealed_client_secret" in source.settings,
    }


def _account_settings(account: ExchangeAccount) -> dict[str, Any]:
    return {
        "email": account.email,
        "username": account.username,
        "server": account.server,
        "auth": "oauth2" if account.oauth2 else "password",
        "client_id": account.client_id,
        "tenant_id": account.tenant_id,
    }


def _sealed(ctx: RunContext, account: ExchangeAccount) -> dict[str, str]:
    """The secret of the account's login, sealed: the client secret or the password."""
    if account.oauth2:
        return {"sealed_client_secret": ctx.vault.seal(account.client_secret or "")}
    return {"sealed_password": ctx.vault.seal(account.password)}


# -- connecting -----------------------------------------------------------------------------


def test_connection(ctx: RunContext, account: ExchangeAccount) -> dict[str, Any]:
    """Log in and find the Contacts folder: {"contacts": how many it holds, if told}.
    Raises AccountError naming the field to fix ("password" for a refused login,
    "server", or "account" for the connection as a whole) with what to do."""
    mailbox = _open(ctx, account, "account")
    try:
        count = mailbox.contacts.total_count
    except Exception:  # the count is a nicety: the folder was found
        count = None
    return {"contacts": count if isinstance(count, int) else None}


def _open(ctx: RunContext, account: ExchangeAccount, field: str) -> Account:
    from contacthub.sources.exchange.client import connect

    try:
        return connect(account, verify=_verify(ctx), policy=ctx.fetch_policy)
    except ServerRefused as error:
        # The server the user named is at fault; one autodiscover found is not theirs.
        raise AccountError("server" if account.server else field, str(error)) from None
    except (ServerNotFound, AutodiscoverFailed) as error:
        # The server named is not found, or autodiscover found none from the email address:
        # either way the server is what to enter.
        raise AccountError("server", str(error)) from None
    except ExchangeLoginRefused as error:
        raise AccountError(error.field or "password", str(error)) from None
    except ExchangeError as error:
        raise AccountError(field, str(error)) from None


def _verify(ctx: RunContext) -> bool | str:
    """The CAs to trust: the hub's CA bundle ([fetch] ca_bundle), else the system's."""
    return ctx.fetch_policy.ca_bundle or True


def connect_account(
    ctx: RunContext, owner: str, form: Mapping[str, Any], *, name: str | None = None
) -> SourceRecord:
    """Check the account, then make its book "From Exchange" and its source; nothing is
    saved when the login or the form fails."""
    account = parse_form(ctx, form)
    name = _name(name, account)
    with ctx.store.read() as tx:
        _check_unique(tx, owner, name, account)
    test_connection(ctx, account)
    settings = {
        "account": _account_settings(account),
        **_sealed(ctx, account),
        "sync_state": None,
        "book_token": None,
        "items": {},
    }
    with ctx.store.write([owner]) as tx:  # one new account at a time: names stay unique
        _check_unique(tx, owner, name, account)
        book = _new_book(tx, owner, name)
        try:
            return tx.create_source(owner, KIND, name, book, settings)
        except AlreadyExists:
            raise AccountError(
                "name", f"An Exchange account named {name!r} is connected already."
            ) from None


def _name(name: str | None, account: ExchangeAccount) -> str:
    if name is None:
        return account.email
    if not isinstance(name, str) or _CONTROL.search(name) or not name.strip():
        raise AccountError("name", "The name is text on one line.")
    return name.strip()


def _check_unique(tx: Transaction, owner: str, name: str, account: ExchangeAccount) -> None:
    sources = tx.list_sources(owner, KIND)
    for source in sources:
        if str(account_json(source)["email"]).lower() == account.email.lower():
            raise AccountError(
                "email", f"{account.email} is connected already (as {source.name!r})."
            )
    if any(source.name == name for source in sources):
        raise AccountError("name", f"An Exchange account named {name!r} is connected already.")


def _new_book(tx: Transaction, owner: str, name: str) -> str:
    """ "From Exchange", or "From Exchange (NAME)" when the owner has a book of that title."""
    titles = {book.display_name for book in tx.list_children(owner)}
    if BOOK_TITLE not in titles:
        return account_book(tx, owner, "from-exchange", BOOK_TITLE)
    return account_book(tx, owner, f"from-exchange-{name}", f"{BOOK_TITLE} ({name})")


def update_account(ctx: RunContext, source: SourceRecord, form: Mapping[str, Any]) -> SourceRecord:
    """New login details for the same mailbox, checked before they are saved."""
    account = parse_form(ctx, form, previous=source)
    if account.email.lower() != str(account_json(source)["email"]).lower():
        raise AccountError(
            "email",
            "An account keeps its mailbox: to sync another one, connect it as a new account.",
        )
    test_connection(ctx, account)
    with ctx.store.write() as tx:
        current = tx.require_source(source.id)
        kept = {key: value for key, value in current.settings.items() if key not in SECRETS}
        return tx.update_source(
            current,
            settings={**kept, "account": _account_settings(account), **_sealed(ctx, account)},
        )


def stored_account(ctx: RunContext, source: SourceRecord) -> ExchangeAccount:
    """The account of a source, its password or client secret unsealed (CredentialError if
    it cannot be)."""
    saved = source.settings["account"]
    if _auth_of(source) == "oauth2":
        return ExchangeAccount(
            email=saved["email"],
            server=saved.get("server"),
            client_id=saved["client_id"],
            tenant_id=saved["tenant_id"],
            client_secret=ctx.vault.open(source.settings["sealed_client_secret"]),
        )
    return ExchangeAccount(
        email=saved["email"],
        password=ctx.vault.open(source.settings["sealed_password"]),
        username=saved.get("username"),
        server=saved.get("server"),
    )


# -- a run ----------------------------------------------------------------------------------


def run(
    ctx: RunContext, source: SourceRecord, started: float, trigger: str, override: bool
) -> RunRecord:
    """One run both ways (`override`, for the mass-deletion guard, has nothing to do here:
    nothing is ever deleted). A login or server failure is recorded as a failed run."""
    from contacthub.sources.exchange import sync
    from contacthub.sources.exchange.client import connect

    try:
        account = stored_account(ctx, source)
        mailbox = connect(account, verify=_verify(ctx), policy=ctx.fetch_policy)
        local = sync.read_local(ctx.store, source)
        sent = sync.Sent()
        try:
            sync.push_local(mailbox, local, sent)
        finally:
            with ctx.store.write() as tx:  # what reached Exchange is never sent twice
                sync.note_sent(tx, source, sent)
        pulled, sync_state = sync.pull_changes(mailbox, source.settings.get("sync_state"))
        records = sync.incoming(mailbox, ctx.store, source, local, sent, pulled)
    except (ExchangeError, CredentialError, AccountError) as error:
        logger.warning("Exchange source %s: syncing the mailbox failed: %s", source.id, error)
        return record_outcome(ctx, source, started, trigger, "failed", str(error))
    logger.info(
        "Exchange source %s: %d created and %d updated in Exchange, %d conflicts, %d not sent; "
        "%d changes pulled",
        source.id,
        sent.created,
        sent.updated,
        sent.conflicts,
        sent.counts["errors"],
        len(pulled),
    )
    return _reconcile(ctx, source, trigger, local, sent, records, sync_state)


def _reconcile(
    ctx: RunContext,
    source: SourceRecord,
    trigger: str,
    local: Local,
    sent: Sent,
    records: list[Incoming],
    sync_state: str,
) -> RunRecord:
    from contacthub.sources.exchange.sync import state_saver

    try:
        report = SourceReport(
            sent.counts,
            changed_elsewhere=bool(sent.created or sent.updated or sent.conflicts),
            describe=summary,
        )
        outcome = run_source(
            ctx.store,
            source,
            lambda: (records, sent.problems),
            POLICY,
            trigger=trigger,
            report=report,
            on_applied=state_saver(source, local, sent, records, sync_state),
        )
    except RunFailed as failed:
        return failed.run
    assert outcome.run is not None
    return outcome.run


def summary(counts: Mapping[str, int]) -> str:
    """E.g. "2 added, 1 created in Exchange, 1 conflict"; NOTHING_TO_DO for none."""
    parts = [
        f"{counts.get(name, 0)} {words}"
        for name, words in (
            ("added", "added"),
            ("updated", "updated"),
            ("pushed_created", "created in Exchange"),
            ("pushed_updated", "updated in Exchange"),
        )
        if counts.get(name)
    ]
    conflicts = counts.get("conflicts", 0)
    if conflicts:
        parts.append(f"{conflicts} conflict{'s' if conflicts != 1 else ''}")
    return ", ".join(parts) or NOTHING_TO_DO
