"""Mail accounts: IMAP mailboxes and Exchange accounts whose contacts come into a book.

An account is a source (contacthub.sources.imap.source, contacthub.sources.exchange.source) with the
schedules, runs and report emails of a CSV sync. Its password is sealed in the store
and never shown again. Disconnecting removes the account; its contacts and book stay.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from flask import Blueprint, Response

from contacthub.sources.base import MailAccountKind
from contacthub.sources.imap.connection import PRESETS
from contacthub.sources.mail_account import AccountError
from contacthub.sources.registry import MAIL_ACCOUNTS
from contacthub.sources.settings import SyncError, parse_notify, parse_schedule, save_settings
from contacthub.store import Transaction
from contacthub.store.errors import AlreadyExists
from contacthub.store.sources import SourceRecord
from contacthub.web.api.common import json_body, location, run_context, store
from contacthub.web.api.imports import MAX_ID, book_id, run_now
from contacthub.web.api.syncs import delete_now, run_state_json, runs_json, sync_run_json
from contacthub.web.auth import current_user
from contacthub.web.errors import invalid, not_found, quoted, sentence

bp = Blueprint("accounts", __name__)

SCHEDULING = ("schedule", "notify")


# --- JSON -------------------------------------------------------------------------------


def _account_json(tx: Transaction, source: SourceRecord, now: float) -> dict[str, Any]:
    return {
        "id": source.id,
        "type": source.kind,
        "name": source.name,
        "book": book_id(source),
        "account": MAIL_ACCOUNTS[source.kind].account_json(source),
    } | run_state_json(tx, source, now)


def _shown(source: SourceRecord) -> dict[str, Any]:
    with store().read() as tx:
        return _account_json(tx, tx.require_source(source.id), run_context().now())


# --- checking what a client sends -------------------------------------------------------


@contextmanager
def _refusals() -> Iterator[None]:
    """A form, a connection or a schedule that cannot be used: 422 naming the field."""
    try:
        yield
    except (AccountError, SyncError) as error:
        raise invalid(sentence(str(error)), field=error.field) from None


def _kind(body: dict[str, Any]) -> MailAccountKind:
    """The source module of the account type a body AccountInput took names."""
    return MAIL_ACCOUNTS[body.pop("type")]


def _scheduling(body: dict[str, Any]) -> dict[str, Any]:
    """Schedule and notification addresses out of the body, checked (for save_settings)."""
    changes: dict[str, Any] = {}
    with _refusals():
        if "schedule" in body:
            changes["schedule"] = parse_schedule(body.pop("schedule"), None, run_context().now())
        if "notify" in body:
            changes["notify"] = parse_notify(body.pop("notify"))
    return changes


def require_account(account_id: int) -> SourceRecord:
    """The caller's mail account `account_id` (404 for anybody else's, or a sync)."""
    user = current_user()
    with store().read() as tx:
        source = tx.get_source(account_id) if account_id <= MAX_ID else None
    if source is None or source.owner != user or source.kind not in MAIL_ACCOUNTS:
        raise not_found(f"There is no mail account {account_id}.")
    return source


# --- what the API and the admin page do ------------------------------------------------


def accounts_of(tx: Transaction, user: str) -> list[SourceRecord]:
    """The user's mail accounts, oldest first."""
    found = [source for kind in MAIL_ACCOUNTS for source in tx.list_sources(owner=user, kind=kind)]
    return sorted(found, key=lambda source: source.id)


def try_connection(kind: MailAccountKind, form: Mapping[str, Any]) -> dict[str, Any]:
    """Log in with what a person entered, saving nothing: what the server showed (IMAP:
    "folders", "sent_folder"; Exchange: "contacts"); 422 naming the field at fault."""
    ctx = run_context()
    with _refusals():
        account = kind.parse_form(ctx, form)
        return kind.test_connection(ctx, account)


def connect(
    user: str,
    kind: MailAccountKind,
    form: Mapping[str, Any],
    *,
    name: Any = None,
    scheduling: dict[str, Any] | None = None,
) -> SourceRecord:
    """Test the connection, then save the account (with `scheduling` from _scheduling);
    nothing is saved when it fails."""
    ctx = run_context()
    with _refusals():
        try:
            source = kind.connect_account(ctx, user, form, name=name)
        except AlreadyExists:
            raise AccountError(
                "name", f"You already have an account named {quoted(name)}; choose another name."
            ) from None
    if scheduling:
        source = save_settings(ctx, source, **scheduling)
    return source


# --- views ------------------------------------------------------------------------------


@bp.get("/accounts/presets")
def presets() -> dict[str, Any]:
    return {
        "presets": [
            {
                "id": key,
                "label": preset.label,
                "host": preset.host,
                "port": preset.port,
                "ssl": preset.ssl,
                "note": preset.note,
            }
            for key, preset in PRESETS.items()
        ]
    }


@bp.post("/accounts/test")
def test_account() -> dict[str, Any]:
    """Try the connection without saving anything."""
    body = json_body()
    kind = _kind(body)
    return {"ok": True, **try_connection(kind, body)}


@bp.get("/accounts")
def list_accounts() -> dict[str, Any]:
    user = current_user()
    now = run_context().now()
    with store().read() as tx:
        return {"accounts": [_account_json(tx, source, now) for source in accounts_of(tx, user)]}


@bp.post("/accounts")
def connect_account() -> tuple[dict[str, Any], int, dict[str, str]]:
    """Test the connection, then save the account; nothing is saved when it fails."""
    user = current_user()
    body = json_body()
    kind = _kind(body)
    scheduling = _scheduling(body)
    name = body.pop("name", None)
    source = connect(user, kind, body, name=name, scheduling=scheduling)
    return (_shown(source), 201, {"Location": location(".get_account", account_id=source.id)})


@bp.get("/accounts/<int:account_id>")
def get_account(account_id: int) -> dict[str, Any]:
    return _shown(require_account(account_id))


@bp.patch("/accounts/<int:account_id>")
def update_account(account_id: int) -> dict[str, Any]:
    source = require_account(account_id)
    body = json_body()
    scheduling = _scheduling(body)
    ctx = run_context()
    if body:
        with _refusals():
            source = MAIL_ACCOUNTS[source.kind].update_account(ctx, source, body)
    if scheduling:
        source = save_settings(ctx, source, **scheduling)
    return _shown(source)


@bp.delete("/accounts/<int:account_id>")
def disconnect_account(account_id: int) -> Response:
    """The account stops syncing and goes; its contacts and book stay."""
    return delete_now(require_account(account_id), "account")


@bp.post("/accounts/<int:account_id>/run")
def sync_now(account_id: int) -> dict[str, Any]:
    return sync_run_json(run_now(require_account(account_id)))


@bp.get("/accounts/<int:account_id>/runs")
def list_account_runs(account_id: int) -> dict[str, Any]:
    return runs_json(require_account(account_id))
