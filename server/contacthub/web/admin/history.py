"""A book's history in the admin page: its trash (who deleted what, when; bring back one,
some or all), a contact's versions (on the contact's page; restore one), and the book
restored to a time, previewed first.

Everything goes through services.history, as the API and the CLI do, with via="admin".
Every restore is recorded as a run of its own: the message after it links to that run,
whose page can undo it (web/admin/undo.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, request, url_for
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from contacthub.errors import Conflict, Invalid, NotFound, sentence
from contacthub.services import books, contacts, history
from contacthub.web.admin.books import LABELS, paging
from contacthub.web.admin.pages import FORM, FormErrors, page
from contacthub.web.admin.schedules import time_zones
from contacthub.web.auth import current_user
from contacthub.web.context import run_context
from contacthub.web.inputs import int_arg
from contacthub.web.shapes import book_json

bp = Blueprint("history", __name__, url_prefix="/books")

# A list of contacts in a preview longer than this starts folded.
SHOWN_OPEN = 10
# The rows of the trash a page lists (Restore all brings back every one, on any page).
LISTED_AT_MOST = 500
NOT_CHOSEN = "Select the contacts to restore."


def _retention_days() -> float:
    return run_context().store.history_retention / 86400


def _book(book_id: str) -> dict[str, Any]:
    return book_json(books.book_of(run_context(), current_user(), book_id))


def recorded(result: history.RestoreResult) -> Markup:
    """What a restore did, and a link to the run it was recorded as (for a page that
    stays where it is; a restore to a time and an undo open their run's page instead)."""
    address = url_for("admin.undo.run", run_id=result.run_id)
    return Markup('{} <a href="{}">Run {}</a> can be undone.').format(
        sentence(result.message), address, result.run_id
    )


# --- words for a contact's versions ------------------------------------------------------------

PROPERTY_WORDS = {
    **LABELS,
    "FN": "Name",
    "N": "Name",
    "ORG": "Organization",
    "EMAIL": "Email",
    "TEL": "Phone",
    "NOTE": "Note",
    "UID": "UID",
    "X-ABLABEL": "Labels",
}
ACTION_WORDS = {
    "add": "Created",
    "update": "Changed",
    "delete": "Deleted",
    "move_in": "Moved here",
    "move_out": "Moved away",
}


def property_words(names: list[str]) -> str:
    """ "Name, Email, Phone": the properties a version changed, as the contact page calls
    them, each once."""
    words = dict.fromkeys(PROPERTY_WORDS.get(name, name.title()) for name in names)
    return ", ".join(words)


def action_words(action: str) -> str:
    return ACTION_WORDS.get(action, action.replace("_", " ").capitalize())


def client_name(agent: str) -> str:
    """The client's product as its User-Agent names it first: "DAVx5/4.4.2-ose"."""
    return agent.split(" ", 1)[0]


# --- the trash --------------------------------------------------------------------------------


@bp.get("/<book_id>/trash")
def trash(book_id: str) -> Response:
    shown = _book(book_id)
    offset = int_arg("offset", 0, 0, 10**9)
    found = history.trash_page(run_context(), current_user(), book_id, LISTED_AT_MOST, offset)
    return page(
        "trash.html",
        book=shown,
        found=found,
        paging=paging(
            {"offset": offset, "limit": LISTED_AT_MOST, "total": found.total},
            ".trash",
            book_id=book_id,
        ),
        retention_days=_retention_days(),
        title=f"Trash of {shown['display_name'] or shown['id']}",
    )


def _chosen() -> list[str] | None:
    """The UIDs the form asks for: one row's, the ticked ones, or None for all."""
    form = request.form
    if form.get("uid"):
        return [form["uid"]]
    if form.get("action") == "all":
        return None
    return form.getlist("uids")


@bp.post("/<book_id>/trash/restore")
def restore_from_trash(book_id: str) -> Response:
    _book(book_id)  # another account's book: 404, before anything else
    back = redirect(url_for(".trash", book_id=book_id))
    uids = _chosen()
    if uids == []:
        flash(NOT_CHOSEN, "error")
        return back
    try:
        result = history.restore_from_trash(
            run_context(), current_user(), book_id, uids, via="admin"
        )
    except NotFound as missing:  # brought back meanwhile, from another page or client
        flash(missing.message, "error")
        return back
    flash(recorded(result))
    return back


# --- a contact's versions ---------------------------------------------------------------------


@bp.post("/<book_id>/contacts/<contact_id>/versions/<int:version_id>/restore")
def restore_version(book_id: str, contact_id: str, version_id: int) -> Response:
    item = contacts.get_contact(run_context(), current_user(), book_id, contact_id)
    result = history.restore_version(
        run_context(), current_user(), book_id, item.uid, version_id, via="admin"
    )
    flash(recorded(result))
    put_back = result.done.reverted + result.done.brought_back
    href = put_back[0].href if put_back else item.href
    return redirect(url_for("admin.books.contact", book_id=book_id, contact_id=href))


# --- the book restored to a time --------------------------------------------------------------


@dataclass(frozen=True)
class MomentForm:
    """A moment as a person picks it: a date and time on the wall clock of a time zone."""

    at: str  # as the datetime-local input sends it: 2024-05-01T14:30 or ...T14:30:15
    zone: str = "UTC"
    fresh: bool = False  # nothing chosen yet: the page may take the browser's zone and time

    @classmethod
    def blank(cls, now: float) -> MomentForm:
        moment = datetime.fromtimestamp(now, UTC)
        return cls(moment.strftime("%Y-%m-%dT%H:%M:%S"), fresh=True)

    @classmethod
    def sent(cls, values: MultiDict[str, str]) -> MomentForm:
        return cls(values.get("at", "").strip(), values.get("zone", "UTC"))

    @property
    def words(self) -> str:
        return f"{self.at.replace('T', ' ')} ({self.zone})"

    def moment(self) -> float:
        """The moment as a POSIX time (the earlier one, where a clock went back)."""
        if self.zone not in time_zones():
            raise Invalid("Choose a time zone from the list.", field="zone")
        try:
            wall = datetime.fromisoformat(self.at)
        except ValueError:
            raise Invalid("Enter a date and time, such as 2024-05-01 14:30.", field="at") from None
        if wall.tzinfo is not None:
            raise Invalid("Enter the time without a zone; choose the zone below.", field="at")
        return wall.replace(tzinfo=ZoneInfo(self.zone)).timestamp()


def _restore_page(
    book_id: str,
    form: MomentForm,
    errors: FormErrors,
    preview: history.RestorePreview | None,
    *,
    status: int | None = None,
) -> Response:
    shown = _book(book_id)
    return page(
        "restore.html",
        status=status or errors.status,
        book=shown,
        form=form,
        errors=errors,
        preview=preview,
        zones=[(zone, zone) for zone in time_zones()],
        retention_days=_retention_days(),
        shown_open=SHOWN_OPEN,
        title=f"Restore {shown['display_name'] or shown['id']}",
    )


def _preview(book_id: str, form: MomentForm, errors: FormErrors) -> history.RestorePreview | None:
    with errors.catching():
        return history.preview_restore(run_context(), current_user(), [book_id], form.moment())
    return None


@bp.get("/<book_id>/restore")
def restore(book_id: str) -> Response:
    _book(book_id)
    if "at" not in request.args:
        blank = MomentForm.blank(run_context().now())
        return _restore_page(book_id, blank, FormErrors(), None)
    form, errors = MomentForm.sent(request.args), FormErrors()
    return _restore_page(book_id, form, errors, _preview(book_id, form, errors))


@bp.post("/<book_id>/restore")
def apply_restore(book_id: str) -> Response:
    _book(book_id)
    form, errors = MomentForm.sent(request.form), FormErrors()
    with errors.catching():
        try:
            result = history.apply_restore(
                run_context(),
                current_user(),
                [book_id],
                form.moment(),
                via="admin",
                basis=request.form.get("basis") or None,
            )
        except Conflict as changed:  # since the preview: the preview of the book as it is now
            preview = _preview(book_id, form, errors)
            errors[FORM] = changed.message
            return _restore_page(book_id, form, errors, preview, status=changed.status)
        return redirect(url_for("admin.undo.run", run_id=result.run_id))
    return _restore_page(book_id, form, errors, None)
