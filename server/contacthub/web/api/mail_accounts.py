"""Mail accounts: IMAP mailboxes and Exchange accounts whose contacts come into a book
(contacthub.services.mail_accounts). Disconnecting removes the account; its contacts
and book stay."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response

from contacthub.services import mail_accounts as accounts
from contacthub.services.sources import delete_source, run_now, runs_of
from contacthub.sources.base import MailAccountKind
from contacthub.sources.imap.connection import PRESETS
from contacthub.sources.registry import MAIL_ACCOUNTS
from contacthub.store import SourceRecord
from contacthub.web.api.common import (
    json_body,
    location,
    override_mass_deletion,
    run_state_json,
    runs_limit,
)
from contacthub.web.auth import current_user
from contacthub.web.context import run_context
from contacthub.web.shapes import book_id_of, sync_run_json

bp = Blueprint("accounts", __name__)


def _account_json(state: accounts.AccountState) -> dict[str, Any]:
    source = state.source
    return {
        "id": source.id,
        "type": source.kind,
        "name": source.name,
        "book": book_id_of(source.book_path),
        "account": accounts.account_settings(source),
    } | run_state_json(source, state.status)


def _shown(source: SourceRecord) -> dict[str, Any]:
    return _account_json(accounts.state_of(run_context(), source))


def _account(account_id: int) -> SourceRecord:
    return accounts.require_account(run_context(), current_user(), account_id)


def _kind(body: dict[str, Any]) -> MailAccountKind:
    """The source module of the account type a body AccountInput took names, taken out."""
    return MAIL_ACCOUNTS[body.pop("type")]


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
    return {"ok": True, **accounts.try_connection(run_context(), kind, body)}


@bp.get("/accounts")
def list_accounts() -> dict[str, Any]:
    states = accounts.account_states(run_context(), current_user())
    return {"accounts": [_account_json(state) for state in states]}


@bp.post("/accounts")
def connect_account() -> tuple[dict[str, Any], int, dict[str, str]]:
    """Test the connection, then save the account; nothing is saved when it fails."""
    user = current_user()
    ctx = run_context()
    body = json_body()
    kind = _kind(body)
    schedule = accounts.scheduling(ctx, body)
    name = body.pop("name", None)
    source = accounts.connect(ctx, user, kind, body, name=name, schedule=schedule)
    return (_shown(source), 201, {"Location": location(".get_account", account_id=source.id)})


@bp.get("/accounts/<int:account_id>")
def get_account(account_id: int) -> dict[str, Any]:
    return _shown(_account(account_id))


@bp.patch("/accounts/<int:account_id>")
def update_account(account_id: int) -> dict[str, Any]:
    source = _account(account_id)
    ctx = run_context()
    body = json_body()
    schedule = accounts.scheduling(ctx, body)
    return _shown(accounts.update_account(ctx, source, body, schedule=schedule))


@bp.delete("/accounts/<int:account_id>")
def disconnect_account(account_id: int) -> Response:
    """The account stops syncing and goes; its contacts and book stay."""
    delete_source(run_context(), _account(account_id), "account")
    return Response(status=204)


@bp.post("/accounts/<int:account_id>/run")
def sync_now(account_id: int) -> dict[str, Any]:
    source = _account(account_id)
    run = run_now(run_context(), source, override_mass_deletion=override_mass_deletion())
    return sync_run_json(run)


@bp.get("/accounts/<int:account_id>/runs")
def list_account_runs(account_id: int) -> dict[str, Any]:
    source = _account(account_id)
    runs = runs_of(run_context(), source, runs_limit())
    return {"runs": [sync_run_json(run) for run in runs]}
