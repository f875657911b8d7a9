"""Authentication (HTTP Basic, the CardDAV accounts) and acting for another user."""

from __future__ import annotations

import time
from pathlib import Path

import bcrypt
import pytest
from flask import Flask

from contacthub.config import Settings
from contacthub.signin_throttle import ThrottlePolicy
from contacthub.store import Store
from contacthub.web import create_app
from tests.api.conftest import PASSWORDS, ApiClient, write_users


def test_no_or_wrong_credentials_get_401_with_a_challenge(api: ApiClient, store: Store) -> None:
    for kwargs in (
        {"user": None},
        {"password": "wrong"},
        {"user": "nobody", "password": "x"},
        {"user": None, "headers": {"Authorization": "Bearer abc"}},
        {"user": None, "headers": {"Authorization": "Basic !!!"}},
    ):
        response = api.get("/api/v1/books", **kwargs)
        assert response.status_code == 401, kwargs
        assert response.headers["WWW-Authenticate"].startswith('Basic realm="contacthub"')
        assert response.get_json()["error"]["code"] == "unauthorized"
    with store.read() as tx:
        assert tx.list_children("") == []  # no default book for anyone


def test_a_wrong_password_is_answered_at_once_and_guessing_is_throttled(
    settings: Settings, store: Store
) -> None:
    settings.throttle = ThrottlePolicy(address_failures=3, first_delay=30)
    api = ApiClient(create_app(settings, store).test_client())
    started = time.monotonic()
    for _ in range(3):
        assert api.get("/api/v1/books", password="wrong").status_code == 401
    assert time.monotonic() - started < 5  # three bcrypt checks, no sleeping
    refused = api.get("/api/v1/books")  # the right password too, during the delay
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "30"
    assert refused.get_json()["error"] == {
        "code": "too_many_requests",
        "message": "Too many wrong passwords: try again in 30 seconds.",
    }
    assert api.get("/api/v1/books", user=None).status_code == 401  # no credentials: no count


def test_a_changed_users_file_forgets_cached_logins(api: ApiClient, settings: Settings) -> None:
    assert api.get("/api/v1/books").status_code == 200
    assert api.get("/api/v1/books").status_code == 200  # from the cache
    write_users(settings.users_file, {**PASSWORDS, "alice": "new-Secret"})
    assert api.get("/api/v1/books").status_code == 401
    assert api.get("/api/v1/books", password="new-Secret").status_code == 200
    write_users(settings.users_file, {"bob": PASSWORDS["bob"]})
    assert api.get("/api/v1/books", password="new-Secret").status_code == 401


def test_the_login_cache_saves_the_bcrypt_check(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    authenticator = app.extensions["contacthub"].authenticator
    checks: list[str] = []
    verify = authenticator.users.verify
    monkeypatch.setattr(
        authenticator.users, "verify", lambda name, pw: checks.append(name) or verify(name, pw)
    )
    api = ApiClient(app.test_client())
    for _ in range(3):
        assert api.get("/api/v1/books").status_code == 200
    assert api.get("/api/v1/books", password="wrong").status_code == 401
    assert checks == ["alice", "alice"]


def test_an_unknown_name_costs_the_bcrypt_check_of_a_wrong_password(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[bytes] = []
    checkpw = bcrypt.checkpw
    monkeypatch.setattr(
        bcrypt,
        "checkpw",
        lambda password, hashed: checks.append(password) or checkpw(password, hashed),
    )
    assert api.get("/api/v1/books", user="alice", password="wrong-1").status_code == 401
    assert api.get("/api/v1/books", user="nobody", password="wrong-2").status_code == 401
    assert checks == [b"wrong-1", b"wrong-2"]


def test_only_admins_act_for_others(api: ApiClient, store: Store) -> None:
    refused = api.get("/api/v1/books?user=bob")
    assert refused.status_code == 403
    assert refused.get_json()["error"]["field"] == "user"
    assert api.get("/api/v1/books?user=nobody").status_code == 403  # existence not revealed
    with store.read() as tx:
        assert tx.get_collection("bob") is None
    assert api.get("/api/v1/books?user=alice").status_code == 200  # oneself is fine
    as_bob = api.post("/api/v1/books?user=bob", user="carol", json={"display_name": "Kept"})
    assert as_bob.status_code == 201
    assert as_bob.headers["Location"] == "/api/v1/books/kept?user=bob"
    with store.read() as tx:
        assert [c.name for c in tx.list_children("bob")] == ["contacts", "kept"]
        assert tx.get_collection("carol/kept") is None
    missing = api.get("/api/v1/books?user=nobody", user="carol")
    assert missing.status_code == 404 and missing.get_json()["error"]["field"] == "user"


def test_unknown_paths_and_methods_answer_json(api: ApiClient) -> None:
    assert api.get("/api/v1/nothing").status_code == 404
    assert api.get("/api/v2/books").status_code == 404
    not_allowed = api.request("PUT", "/api/v1/books")
    assert not_allowed.status_code == 405
    assert set(not_allowed.headers["Allow"].split(", ")) >= {"GET", "POST"}


def test_a_bad_throttle_setting_is_a_configuration_error(tmp_path: Path) -> None:
    from contacthub.config import ConfigError, load

    for option, value in (("first_delay", "soon"), ("account_failures", "0")):
        (tmp_path / "c.conf").write_text(f"[throttle]\n{option} = {value}\n")
        with pytest.raises(ConfigError, match=rf"\[throttle\] {option}"):
            load(tmp_path, tmp_path / "c.conf")
