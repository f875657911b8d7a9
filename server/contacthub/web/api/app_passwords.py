"""App passwords (a password per device, with how CardDAV shows that device the books)
and the sign-in settings, managed only by a request signed in with the account's own
password: a device's password cannot make itself a successor before it is revoked."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g

from contacthub.services import app_passwords
from contacthub.store import AppPassword
from contacthub.web.api.common import json_body, location
from contacthub.web.auth import Caller, current_user
from contacthub.web.context import run_context
from contacthub.web.errors import ApiError
from contacthub.web.shapes import iso

bp = Blueprint("app_passwords", __name__)


@bp.before_request
def require_own_password() -> None:
    caller: Caller = g.caller
    if caller.app_password is not None:
        raise ApiError(
            403,
            "forbidden",
            "App passwords are managed with the account's own password, not with an app password.",
        )


def _app_password_json(password: AppPassword) -> dict[str, Any]:
    return {
        "name": password.name,
        "created_at": iso(password.created_at),
        "last_used_at": iso(password.last_used_at),
        "last_user_agent": password.last_user_agent,
        "books": app_passwords.books_choice(password),
    }


def _settings_json(required: bool) -> dict[str, Any]:
    return {"carddav_requires_app_password": required}


@bp.get("/app-passwords")
def list_app_passwords() -> dict[str, Any]:
    found = app_passwords.app_passwords_of(run_context(), current_user())
    return {"app_passwords": [_app_password_json(password) for password in found]}


@bp.post("/app-passwords")
def create_app_password() -> tuple[dict[str, Any], int, dict[str, str]]:
    user = current_user()
    body = json_body()
    created = app_passwords.create_app_password(
        run_context(), user, body["name"], body.get("books", app_passwords.AS_RECOGNISED)
    )
    answer = {**_app_password_json(created.password), "password": created.secret}
    headers = {
        "Location": location(".get_app_password", name=created.password.name),
        "Cache-Control": "no-store",  # the secret, shown this once
    }
    return answer, 201, headers


@bp.get("/app-passwords/<name>")
def get_app_password(name: str) -> dict[str, Any]:
    return _app_password_json(app_passwords.app_password_of(run_context(), current_user(), name))


@bp.patch("/app-passwords/<name>")
def change_app_password(name: str) -> dict[str, Any]:
    user, books = current_user(), json_body().get("books")
    if books is None:  # nothing to change
        return get_app_password(name)
    changed = app_passwords.set_app_password_books(run_context(), user, name, books)
    return _app_password_json(changed)


@bp.delete("/app-passwords/<name>")
def revoke_app_password(name: str) -> Response:
    app_passwords.revoke_app_password(run_context(), current_user(), name)
    return Response(status=204)


@bp.get("/sign-in-settings")
def get_sign_in_settings() -> dict[str, Any]:
    required = app_passwords.carddav_requires_app_password(run_context(), current_user())
    return _settings_json(required)


@bp.put("/sign-in-settings")
def set_sign_in_settings() -> dict[str, Any]:
    required = json_body()["carddav_requires_app_password"]  # a body SignInSettings took
    user = current_user()
    return _settings_json(
        app_passwords.require_app_password_for_carddav(run_context(), user, required)
    )
