"""Alerts: a CardDAV client deleted much of a book. List them, restore the contacts of one
(exactly those the client deleted then), or dismiss it (the deletions were meant)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from contacthub.errors import BadRequest, quoted
from contacthub.services import alerts
from contacthub.services.alerts import Alert
from contacthub.store.alerts import STATES
from contacthub.web.auth import current_user
from contacthub.web.context import run_context
from contacthub.web.shapes import iso

bp = Blueprint("alerts", __name__)


def alert_json(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "kind": alert.kind,
        "state": alert.state,
        "book": alert.book,
        "book_name": alert.book_name,
        "account": alert.account,
        "client": alert.client,
        "deleted": alert.deleted,
        "book_size": alert.book_size,
        "first_deletion_at": iso(alert.first_deletion_at),
        "last_deletion_at": iso(alert.last_deletion_at),
        "raised_at": iso(alert.raised_at),
        "resolved_at": iso(alert.resolved_at),
        "restore_run_id": alert.restore_run_id,
        "restored": alert.restored,
        "email": alert.email,
    }


def _state() -> str | None:
    state = request.args.get("state")
    if state is not None and state not in STATES:
        raise BadRequest(
            f"The parameter state must be one of {', '.join(STATES)}, not {quoted(state)}.",
            field="state",
        )
    return state


@bp.get("/alerts")
def list_alerts() -> dict[str, Any]:
    state = _state()
    found = alerts.alerts_of(run_context(), current_user(), only_open=state == "open")
    return {"alerts": [alert_json(alert) for alert in found if state in (None, alert.state)]}


@bp.get("/alerts/<int:alert_id>")
def get_alert(alert_id: int) -> dict[str, Any]:
    return alert_json(alerts.alert_of(run_context(), current_user(), alert_id))


@bp.post("/alerts/<int:alert_id>/restore")
def restore_alert(alert_id: int) -> dict[str, Any]:
    return alert_json(alerts.restore_alert(run_context(), current_user(), alert_id, via="api"))


@bp.post("/alerts/<int:alert_id>/dismiss")
def dismiss_alert(alert_id: int) -> dict[str, Any]:
    return alert_json(alerts.dismiss_alert(run_context(), current_user(), alert_id))
