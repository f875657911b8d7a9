"""What every admin page uses: rendering, the banner of open alerts, errors shown next to
their fields, and times in words ("3 hours ago")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, g, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from contacthub.errors import UserError
from contacthub.services.alerts import alerts_of
from contacthub.web.context import run_context

FORM = "_form"  # the key of an error that belongs to the whole form, not to one field


def page(template: str, *, status: int = 200, **context: Any) -> Response:
    response = Response(
        render_template(f"admin/{template}", **context), status=status, mimetype="text/html"
    )
    return response


def context() -> dict[str, Any]:
    """What every template may use: who is signed in, the clock, and the open alerts of a
    client that deleted much of a book (the layout's banner)."""
    caller = getattr(g, "caller", None)
    return {
        "login": caller.login if caller else None,
        "now": run_context().now(),
        "open_alerts": alerts_of(run_context(), caller.user, only_open=True) if caller else [],
    }


# --- errors ---------------------------------------------------------------------------------


class FormErrors(dict[str, str]):
    """Messages by field name, filled by `catching`; FORM holds one for the whole form."""

    @contextmanager
    def catching(self, *, rename: dict[str, str] | None = None) -> Iterator[None]:
        """A UserError from the services becomes the message next to its field (`rename`
        maps the services' field names, which are the API's, to the form's)."""
        try:
            yield
        except UserError as error:
            if error.status in (401, 403, 404):
                raise
            field = str(error.field or FORM)
            self[(rename or {}).get(field, field)] = error.message

    @property
    def status(self) -> int:
        return 422 if self else 200


def register_errors(blueprint: Blueprint) -> None:
    blueprint.register_error_handler(UserError, _user_error)
    blueprint.register_error_handler(CSRFError, _csrf_error)
    blueprint.register_error_handler(HTTPException, _http_error)


def _error_page(status: int, message: str) -> Response:
    return page("error.html", status=status, message=message, title="Error")


def _user_error(error: UserError) -> Response:
    return _error_page(error.status, error.message)


def _csrf_error(error: CSRFError) -> Response:
    return _error_page(
        400,
        "This form has expired or did not come from this site. "
        "Go back, reload the page and send the form again.",
    )


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    if status == 413:
        return _error_page(413, "The file or form is larger than this server accepts.")
    return _error_page(status, error.description or "The request could not be handled.")


# --- times in words -------------------------------------------------------------------------

# The words people know from web apps ("seconds ago", "a minute ago", "in 3 hours"), as
# the issue spells them; humanize and Babel say "30 seconds ago" / "1 minute ago".
_STEPS = (  # (below this many seconds, unit in seconds, one, many)
    (45, 1, "seconds", "seconds"),
    (90, 60, "a minute", "{} minutes"),
    (45 * 60, 60, "a minute", "{} minutes"),
    (90 * 60, 3600, "an hour", "{} hours"),
    (22 * 3600, 3600, "an hour", "{} hours"),
    (36 * 3600, 86400, "a day", "{} days"),
    (26 * 86400, 86400, "a day", "{} days"),
    (45 * 86400, 30 * 86400, "a month", "{} months"),
    (320 * 86400, 30 * 86400, "a month", "{} months"),
    (548 * 86400, 365 * 86400, "a year", "{} years"),
)


def in_words(seconds: float) -> str:
    """A duration, rounded as people say it: "seconds", "a minute", "3 hours"."""
    seconds = abs(seconds)
    for below, unit, one, many in _STEPS:
        if seconds < below:
            count = max(round(seconds / unit), 1)
            return one if count == 1 or unit == 1 else many.format(count)
    return f"{max(round(seconds / (365 * 86400)), 2)} years"


def ago(moment: float | None, now: float | None = None) -> str:
    """ "3 hours ago" for a past moment, "in 3 hours" for a future one."""
    if moment is None:
        return ""
    now = run_context().now() if now is None else now
    words = in_words(now - moment)
    return f"{words} ago" if moment <= now else f"in {words}"


def exact(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="seconds")
