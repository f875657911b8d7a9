"""Signing in and out of the admin page with a CardDAV account.

The session (a signed cookie: HttpOnly, SameSite=Lax, Secure over TLS) holds the
login and a keyed digest of the account's password hash, so a new password or a
removed account ends every session of that account at its next request.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFProtect
from werkzeug.wrappers import Response

from contacthub.web.admin.pages import page
from contacthub.web.auth import Authenticator, Caller, ensure_default_book
from contacthub.web.context import store

bp = Blueprint("session", __name__)

PUBLIC_ENDPOINTS = {"admin.session.sign_in", "admin.static"}
MAX_LOGIN = 255


def _authenticator() -> Authenticator:
    found: Authenticator = current_app.extensions["contacthub"].authenticator
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
    login = session.get("login")
    if not isinstance(login, str) or session.get("stamp") != _stamp(login):
        session.clear()
        return redirect(url_for("admin.session.sign_in", next=_local(request.full_path)))
    with store().read() as tx:
        is_admin = tx.is_admin(login)
    ensure_default_book(store(), login)
    g.caller = Caller(login=login, user=login, is_admin=is_admin)
    return None


def _local(target: str | None) -> str | None:
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
        elif not _authenticator().check(login, password):
            _authenticator().refuse_slowly()
            errors["password"] = "The user name or password is wrong."
        else:
            session.clear()  # a new session for a new sign-in (no fixation)
            session.permanent = True
            session["login"] = login
            session["stamp"] = _stamp(login)
            return redirect(_local(request.args.get("next")) or url_for("admin.home"))
    return page("sign_in.html", errors=errors, status=422 if errors else 200, title="Sign in")


@bp.post("/sign-out")
def sign_out() -> Response:
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("admin.session.sign_in"))
