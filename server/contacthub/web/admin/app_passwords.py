"""App passwords: a password per phone or program, with when it was made and last used
(and by which app); make one (its secret is on that answer only), choose how CardDAV
shows its device the books, revoke one, and choose whether CardDAV refuses the account's
own password. The same services as /api/v1/app-passwords.

Only the account's own password signs in to this page, so a device's password cannot
make itself a successor here.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for
from werkzeug.wrappers import Response

from contacthub.errors import Invalid, NotFound
from contacthub.services import app_passwords
from contacthub.services.app_passwords import NewAppPassword
from contacthub.web.admin.pages import FormErrors, page
from contacthub.web.context import run_context

bp = Blueprint("app_passwords", __name__, url_prefix="/app-passwords")

# The choices of "Books on this device" (services.app_passwords.BOOKS_CHOICES), in words.
BOOKS_CHOICES = (
    ("as-recognised", "As recognised: one book on a Mac"),
    ("one-book", "All books as one"),
    ("apart", "Each book apart"),
)
_CHOSEN = {
    "as-recognised": "sees your books as its app is recognised: as one book if it is "
    "macOS Contacts, else apart",
    "one-book": "sees all your books as one book",
    "apart": "sees each of your books apart",
}


def _page(
    errors: FormErrors | None = None, created: NewAppPassword | None = None, name: str = ""
) -> Response:
    user = g.caller.user
    errors = errors or FormErrors()
    response = page(
        "app_passwords.html",
        status=errors.status,
        passwords=app_passwords.app_passwords_of(run_context(), user),
        required=app_passwords.carddav_requires_app_password(run_context(), user),
        created=created,
        errors=errors,
        name=name,
        books_choices=BOOKS_CHOICES,
        books_choice=app_passwords.books_choice,
        title="App passwords",
    )
    if created is not None:
        response.headers["Cache-Control"] = "no-store"  # the secret, shown this once
    return response


@bp.get("/")
def index() -> Response:
    return _page()


@bp.post("/")
def create() -> Response:
    """Answered with the page itself, not a redirect: the secret is never in a cookie."""
    name = request.form.get("name", "")
    errors = FormErrors()
    with errors.catching():
        created = app_passwords.create_app_password(run_context(), g.caller.user, name)
        return _page(created=created)
    return _page(errors, name=name)


@bp.post("/revoke")
def revoke() -> Response:
    name = request.form.get("name", "")
    try:
        app_passwords.revoke_app_password(run_context(), g.caller.user, name)
    except NotFound:
        flash(f"There is no app password “{name}” any more: it was revoked already.", "error")
    else:
        flash(f"The app password for “{name}” is revoked: that device can no longer sign in.")
    return redirect(url_for(".index"))


@bp.post("/books")
def books() -> Response:
    name, choice = request.form.get("name", ""), request.form.get("books", "")
    try:
        app_passwords.set_app_password_books(run_context(), g.caller.user, name, choice)
    except NotFound:
        flash(f"There is no app password “{name}” any more: it was revoked.", "error")
    except Invalid as error:
        flash(str(error), "error")
    else:
        flash(f"“{name}” now {_CHOSEN[choice]}, from its next sync on.")
    return redirect(url_for(".index"))


@bp.post("/carddav")
def carddav() -> Response:
    user = g.caller.user
    required = request.form.get("carddav_requires_app_password") == "yes"
    app_passwords.require_app_password_for_carddav(run_context(), user, required)
    if not required:
        flash("Phones and programs may sign in with your account's password again.")
    elif app_passwords.app_passwords_of(run_context(), user):
        flash("Phones and programs must now sign in with an app password.")
    else:
        flash(
            "Phones and programs must now sign in with an app password, and you have none "
            "yet: add one for each device.",
            "error",
        )
    return redirect(url_for(".index"))
