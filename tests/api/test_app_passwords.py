"""App passwords through the API: made, listed, revoked by their owner (or an
administrator), signing in to the API, and managed only with the account's own password."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from flask import Flask

from contacthub.store import Store
from tests.api.conftest import ApiClient

LIST = "/api/v1/app-passwords"
SETTINGS = "/api/v1/sign-in-settings"
SECRET = re.compile(r"^[a-km-np-z2-9]{4}(-[a-km-np-z2-9]{4}){4}$")


def create(api: ApiClient, name: str, **kwargs: Any) -> str:
    created = api.post(LIST, json={"name": name}, **kwargs)
    assert created.status_code == 201, created.get_json()
    return str(created.get_json()["password"])


def names(api: ApiClient, **kwargs: Any) -> list[str]:
    answer = api.get(LIST, **kwargs)
    assert answer.status_code == 200, answer.get_json()
    return [found["name"] for found in answer.get_json()["app_passwords"]]


def test_the_secret_is_in_the_answer_that_made_it_and_nowhere_else(
    api: ApiClient, store: Store
) -> None:
    created = api.post(LIST, json={"name": " Anna’s iPhone "})
    assert created.status_code == 201
    shown = created.get_json()
    assert shown["name"] == "Anna’s iPhone" and shown["last_used_at"] is None
    assert SECRET.match(shown["password"]), shown["password"]
    assert created.headers["Cache-Control"] == "no-store"
    assert created.headers["Location"] == "/api/v1/app-passwords/Anna%E2%80%99s%20iPhone"
    listed = api.get(LIST).get_json()["app_passwords"]
    assert listed == [{k: v for k, v in shown.items() if k != "password"}]
    assert api.get(created.headers["Location"]).get_json() == listed[0]
    with store.read() as tx:
        row = tx.conn.exec_driver_sql("SELECT * FROM app_passwords").one()
    kept = [str(value) for value in row]
    assert shown["password"] not in kept and shown["password"].replace("-", "") not in kept


def test_an_app_password_signs_in_to_the_api_until_it_is_revoked(api: ApiClient) -> None:
    secret = create(api, "Phone")
    assert api.get("/api/v1/books", password=secret).status_code == 200
    # As a phone's keyboard may type it: a capital first letter, the dashes left out.
    typed = secret.replace("-", "").capitalize()
    assert api.get("/api/v1/books", password=typed).status_code == 200
    assert api.get("/api/v1/books", user="bob", password=secret).status_code == 401
    assert api.delete(f"{LIST}/Phone").status_code == 204
    refused = api.get("/api/v1/books", password=secret)
    assert refused.status_code == 401
    assert refused.get_json()["error"]["message"] == "The user name or password is wrong."
    assert api.get("/api/v1/books").status_code == 200  # the account's own password


def test_names_are_checked_and_unique_per_user(api: ApiClient) -> None:
    create(api, "iPhone")
    for name, field_message in (
        ("iPhone", "You already have an app password named 'iPhone'"),
        ("  ", "Give the app password the name of its device"),
        ("work/phone", "without slashes"),
        ("tab\there", "without slashes or control characters"),
        ("x" * 101, "at most 100 characters"),
    ):
        refused = api.post(LIST, json={"name": name}, bad_request=len(name) > 100)
        assert refused.status_code == 422, name
        error = refused.get_json()["error"]
        assert error["field"] == "name" and field_message in error["message"], error
    assert api.post(LIST, json={"name": "iPhone"}, user="bob").status_code == 201  # bob's own
    assert names(api) == ["iPhone"] and names(api, user="bob") == ["iPhone"]


def test_nobody_else_lists_or_revokes_them_but_an_administrator(api: ApiClient) -> None:
    secret = create(api, "iPhone")
    assert names(api, user="bob") == []
    assert api.delete(f"{LIST}/iPhone", user="bob").status_code == 404  # bob has none
    assert api.get(f"{LIST}/iPhone", user="bob").status_code == 404
    for request in (
        lambda: api.get(f"{LIST}?user=alice", user="bob"),
        lambda: api.delete(f"{LIST}/iPhone?user=alice", user="bob"),
        lambda: api.post(f"{LIST}?user=alice", user="bob", json={"name": "Bob's"}),
    ):
        refused = request()
        assert refused.status_code == 403 and refused.get_json()["error"]["field"] == "user"
    assert names(api) == ["iPhone"]
    assert api.get("/api/v1/books", password=secret).status_code == 200

    # carol is an administrator: she lists, makes and revokes them for alice.
    assert names(api, user="carol") == []  # her own
    assert names(api, user="carol", query_string={"user": "alice"}) == ["iPhone"]
    made = api.post(f"{LIST}?user=alice", user="carol", json={"name": "Tablet"})
    assert made.status_code == 201
    assert made.headers["Location"] == "/api/v1/app-passwords/Tablet?user=alice"
    assert api.delete(f"{LIST}/iPhone?user=alice", user="carol").status_code == 204
    assert names(api) == ["Tablet"]
    assert api.get("/api/v1/books", password=secret).status_code == 401


def test_an_app_password_cannot_manage_app_passwords(api: ApiClient) -> None:
    secret = create(api, "iPhone")
    for method, path, body in (
        ("GET", LIST, None),
        ("POST", LIST, {"name": "Successor"}),
        ("GET", f"{LIST}/iPhone", None),
        ("DELETE", f"{LIST}/iPhone", None),
        ("GET", SETTINGS, None),
        ("PUT", SETTINGS, {"carddav_requires_app_password": False}),
    ):
        kwargs: dict[str, Any] = {"json": body} if body is not None else {}
        refused = api.request(method, path, password=secret, **kwargs)
        assert refused.status_code == 403, (method, path)
        assert "account's own password" in refused.get_json()["error"]["message"]
    assert names(api) == ["iPhone"]


def test_the_carddav_setting_leaves_the_api_its_own_password(api: ApiClient) -> None:
    assert api.get(SETTINGS).get_json() == {"carddav_requires_app_password": False}
    turned = api.put(SETTINGS, json={"carddav_requires_app_password": True})
    assert turned.get_json() == {"carddav_requires_app_password": True}
    assert api.get(SETTINGS).get_json() == {"carddav_requires_app_password": True}
    assert api.get(SETTINGS, user="bob").get_json() == {"carddav_requires_app_password": False}
    assert api.get("/api/v1/books").status_code == 200  # the API still takes it
    refused = api.put(SETTINGS, json={"carddav_requires_app_password": "yes"}, bad_request=True)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["field"] == "carddav_requires_app_password"


def test_the_last_use_is_recorded_once_a_minute_at_most(
    api: ApiClient, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = create(api, "iPhone")
    writes: list[dict[int, float]] = []
    uses = app.extensions["contacthub"].authenticator.app_passwords.uses
    flush = uses.flush
    monkeypatch.setattr(uses, "flush", lambda: writes.append(dict(uses._due)) or flush())
    for _ in range(5):
        assert api.get("/api/v1/books", password=secret).status_code == 200
    last_used = wait_for_last_use(api, "iPhone")
    assert last_used is not None
    assert sum(len(batch) for batch in writes) == 1  # five uses, one write


def wait_for_last_use(api: ApiClient, name: str, timeout: float = 10.0) -> str | None:
    """The app password's last use, once the thread that records it has written it."""
    deadline = time.monotonic() + timeout
    while True:
        shown = api.get(f"{LIST}/{name}").get_json()["last_used_at"]
        if shown is not None or time.monotonic() > deadline:
            return shown  # type: ignore[no-any-return]
        time.sleep(0.05)
