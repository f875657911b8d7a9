"""Signing in and out of the admin page with a CardDAV account.

The session (a signed cookie: HttpOnly, SameSite=Lax, Secure over TLS) holds the
login, a keyed digest of the account's password hash, so a new password or a
removed account ends every session of that account at its next request, and a random
id, so that signing out ends that session on the server too.

Signing out records the id in the store until the cookie would have expired anyway
(store.sessions). The store, not the process, remembers it: every `serve` process on
one store refuses a copy of the signed-out cookie. An id per session rather than one
"signed in after" time per account: signing out in one browser leaves the account's
other browsers signed in, as people expect of a sign-out button.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response

from contacthub.signin_throttle import SignInThrottle, Throttled
from contacthub.web.admin.pages import page
from contacthub.web.auth import Authenticator, Caller, ensure_default_book
from contacthub.web.context import store

bp = Blueprint("session", __name__)

PUBLIC_ENDPOINTS = {"admin.session.sign_in", "admin.static"}
MAX_LOGIN = 255


def _authenticator() -> Authenticator:
    found: Authenticator = current_app.extensions["contacthub"].authenticator
    return found


def _throttle() -> SignInThrottle:
    found: SignInThrottle = current_app.extensions["contacthub"].throttle
    return found


def _stamp(login: str) -> str | None:
    """Changes with the account's password; None when the account is gone."""
    hashed = _authenticator().users.password_hash(login)
    if hashed is None:
        return None
    key = current_app.secret_key
    assert isinstance(key, bytes)  # derived from the server's secret in create_app
    return hmac.new(key, hashed.encode(), hashlib.sha256).hexdigest()[:32]


def protect_forms() -> None:
    """Every form of the admin page, sign-in included, must carry its CSRF token."""
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf: CSRFProtect = current_app.extensions["csrf"]
        csrf.protect()


def require_sign_in() -> Response | None:
    """Before every admin page: the signed-in account, or the sign-in page."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    caller = _signed_in()
    if caller is None:
        session.clear()
        return redirect(url_for("admin.session.sign_in", next=local_page(request.full_path)))
    ensure_default_book(store(), caller.login)
    g.caller = caller
    return None


def _signed_in() -> Caller | None:
    """The account of a session that is neither signed out nor of an old password."""
    login, session_id = session.get("login"), session.get("id")
    if not isinstance(login, str) or not isinstance(session_id, str):
        return None
    if session.get("stamp") != _stamp(login):
        return None
    with store().read() as tx:
        if tx.session_ended(session_id):
            return None
        is_admin = tx.is_admin(login)
    return Caller(login=login, user=login, is_admin=is_admin)


def local_page(target: str | None) -> str | None:
    """A page of ours to go back to after signing in; never another site."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin/"):
        return None
    return target.rstrip("?")


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response | str:
    errors: dict[str, str] = {}
    if request.method == "POST":
        login = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        if not login or len(login) > MAX_LOGIN:
            errors["username"] = "Enter your user name."
        elif not password:
            errors["password"] = "Enter your password."
        else:
            try:
                if _password_is_right(login, password):
                    return _start_session(login)
                errors["password"] = "The user name or password is wrong."
            except Throttled as throttled:
                errors["password"] = throttled.message
                refused = page("sign_in.html", errors=errors, status=429, title="Sign in")
                refused.headers.update(throttled.headers)
                return refused
    return page("sign_in.html", errors=errors, status=422 if errors else 200, title="Sign in")


def _password_is_right(login: str, password: str) -> bool:
    """The check, counted by the throttle; Throttled while it makes this address or
    account wait."""
    return _throttle().check(
        request.remote_addr or "", login, lambda: _authenticator().check(login, password)
    )


def _start_session(login: str) -> Response:
    session.clear()  # a new session for a new sign-in (no fixation)
    session.permanent = True
    session["id"] = secrets.token_urlsafe(24)
    session["login"] = login
    session["stamp"] = _stamp(login)
    return redirect(local_page(request.args.get("next")) or url_for("admin.home"))


@bp.post("/sign-out")
def sign_out() -> Response:
    _end(session["id"])  # require_sign_in found a session with its id
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("admin.session.sign_in"))


def _end(session_id: str) -> None:
    """Refuse the session's cookie from now on, on every process, until it would expire:
    each answer signs it anew, so a copy taken now is good for one lifetime at most."""
    now = time.time()
    lifetime = current_app.permanent_session_lifetime.total_seconds()
    with store().write() as tx:
        tx.end_session(session_id, expires_at=now + lifetime, now=now)
