"""Alerts: a CardDAV client deleted much of a book. While one is open a banner on every
page (layout.html, from pages.context) names the client, the book and how many, with one
action, "Restore them", and "Dismiss"; the alert's own page is the link in its email.
The same services as /api/v1/alerts."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for
from werkzeug.wrappers import Response

from contacthub.errors import Conflict
from contacthub.services import alerts
from contacthub.web.admin.pages import page
from contacthub.web.admin.session import local_page
from contacthub.web.context import run_context

bp = Blueprint("alerts", __name__, url_prefix="/alerts")


def _back(alert_id: int) -> Response:
    """To the page the action was taken on (a banner is on every page), else the alert's."""
    target = local_page(request.form.get("next"))
    return redirect(target or url_for(".show", alert_id=alert_id))


def _contacts(count: int) -> str:
    return f"{count} contact{'s' if count != 1 else ''}"


@bp.get("/")
def index() -> Response:
    found = alerts.alerts_of(run_context(), g.caller.user)
    return page("alerts.html", alerts=found, title="Deleted by a client")


@bp.get("/<int:alert_id>")
def show(alert_id: int) -> Response:
    alert = alerts.alert_of(run_context(), g.caller.user, alert_id)
    return page("alert.html", alert=alert, title=f"{_contacts(alert.deleted)} deleted")


@bp.post("/<int:alert_id>/restore")
def restore(alert_id: int) -> Response:
    try:
        done = alerts.restore_alert(run_context(), g.caller.user, alert_id, via="admin")
    except Conflict as refused:
        flash(refused.message, "error")
        return _back(alert_id)
    if done.kind == "book":
        flash(
            f"“{done.book_name}” is back with {_contacts(done.restored or 0)}: phones and "
            "programs find it at their next sync."
        )
    elif done.restored:
        flash(
            f"{_contacts(done.restored)} are back in “{done.book_name}”: phones and programs "
            "get them at their next sync."
        )
    else:
        flash(
            f"Nothing to bring back: the contacts deleted then are in “{done.book_name}” already."
        )
    return _back(alert_id)


@bp.post("/<int:alert_id>/dismiss")
def dismiss(alert_id: int) -> Response:
    try:
        done = alerts.dismiss_alert(run_context(), g.caller.user, alert_id)
    except Conflict as refused:
        flash(refused.message, "error")
        return _back(alert_id)
    if done.kind == "book":
        flash(
            f"Dismissed. “{done.book_name}” stays deleted; until the history forgets it, it "
            "is among the deleted address books."
        )
        return _back(alert_id)
    flash(
        f"Dismissed. The {_contacts(done.deleted)} stay deleted; until the history forgets "
        f"them they are in the trash of “{done.book_name}”."
    )
    return _back(alert_id)
