"""The web sidecar: a Flask app answering under /api/ (JSON, HTTP Basic) and /admin/
(the admin web page: Jinja pages, a signed-in session, CSRF-checked forms)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

from contacthub.config import Settings
from contacthub.errors import BadRequest
from contacthub.logins import AppPasswords
from contacthub.signin_throttle import SignInThrottle
from contacthub.sources.context import RunContext
from contacthub.store import Store
from contacthub.users import UsersFile
from contacthub.web import errors
from contacthub.web.auth import Authenticator

SESSION_HOURS = 12


@dataclass(frozen=True)
class Parts:
    """What every request of the app uses (web.context hands them to the views)."""

    settings: Settings
    store: Store
    authenticator: Authenticator
    syncs: RunContext
    throttle: SignInThrottle  # shared with CardDAV by app.py: one count of wrong passwords


class SessionCookies(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over TLS (directly, or
    through a proxy named in [contacthub] trusted_proxy); a plain-HTTP test server on
    127.0.0.1 still works, and a TLS deployment never sends the cookie in the clear."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure


def refuse_nul() -> None:
    """PostgreSQL cannot hold NUL in text, and no name or search has one: refuse it early."""
    if "\x00" in request.path or any(
        "\x00" in key + value for key, value in request.args.items(multi=True)
    ):
        raise BadRequest("The address contains a NUL character.")


def create_app(settings: Settings, store: Store, throttle: SignInThrottle | None = None) -> Flask:
    app = Flask(__name__)
    # Werkzeug refuses larger bodies with 413 before a view reads them.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_content_length
    app.json.sort_keys = False  # type: ignore[attr-defined]
    parts = Parts(
        settings,
        store,
        Authenticator(
            settings.users_file,
            AppPasswords(store, UsersFile(settings.users_file)),
        ),
        RunContext(store, settings),
        throttle or SignInThrottle(settings.throttle),
    )
    app.extensions["contacthub"] = parts
    _sessions(app, parts)
    errors.register(app)
    app.before_request(refuse_nul)
    from contacthub.web.admin import admin
    from contacthub.web.api import api

    app.register_blueprint(api)
    app.register_blueprint(admin)
    CSRFProtect(app)  # checks only where the admin blueprint asks (WTF_CSRF_CHECK_DEFAULT)
    return app


def _sessions(app: Flask, parts: Parts) -> None:
    # Derived from the server's secret: every process on one store signs alike, and a
    # restart does not sign everybody out.
    app.secret_key = parts.syncs.vault.derive_key("web sessions")
    app.session_interface = SessionCookies()
    app.config.update(
        SESSION_COOKIE_NAME="contacthub_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=SESSION_HOURS),
        # A form's token is good as long as the session: a wizard left open over lunch
        # still submits.
        WTF_CSRF_TIME_LIMIT=None,
        # The admin page's forms are checked (admin.protect_forms); the API takes no
        # cookies, every request of it carries its own credentials.
        WTF_CSRF_CHECK_DEFAULT=False,
    )
