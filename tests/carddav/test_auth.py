"""Logins: bcrypt is paid once per login, and a changed users file takes effect at once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import bcrypt
import pytest
from radicale.auth import AuthContext

from contacthub import config
from contacthub.carddav.app import radicale_configuration
from contacthub.store import Store
from contacthub.users import UsersFile
from contacthub_radicale.auth import Auth
from tests.support.stores import new_sqlite_store


@pytest.fixture
def auth(tmp_path: Path) -> tuple[Auth, UsersFile]:
    settings = config.load(tmp_path)
    settings.radicale = {"auth": {"delay": "0"}}
    users = UsersFile(settings.users_file)
    users.add("ann", "right-password")
    store = Store.open(new_sqlite_store(tmp_path / "store.db"))
    return Auth(radicale_configuration(settings, store)), users


def login(auth: Auth, user: str, password: str) -> str:
    name, _, _ = auth.login(user, password, AuthContext())
    return str(name)


def test_a_successful_login_is_cached(
    auth: tuple[Auth, UsersFile], monkeypatch: pytest.MonkeyPatch
) -> None:
    checker, _ = auth
    assert login(checker, "ann", "right-password") == "ann"

    def no_bcrypt(*_: Any, **__: Any) -> bool:
        raise AssertionError("bcrypt checked again")

    monkeypatch.setattr(bcrypt, "checkpw", no_bcrypt)
    assert login(checker, "ann", "right-password") == "ann"


def test_a_cached_login_lasts_an_hour(
    auth: tuple[Auth, UsersFile], monkeypatch: pytest.MonkeyPatch
) -> None:
    checker, _ = auth
    checks: list[bytes] = []
    checkpw = bcrypt.checkpw

    def counted(password: bytes, hashed_password: bytes) -> bool:
        checks.append(password)
        return checkpw(password, hashed_password)

    monkeypatch.setattr(bcrypt, "checkpw", counted)
    now = time.time_ns()
    for minutes in (0, 1, 30, 59, 61):
        monkeypatch.setattr(time, "time_ns", lambda minutes=minutes: now + minutes * 60 * 10**9)
        assert login(checker, "ann", "right-password") == "ann"
    assert checks == [b"right-password", b"right-password"]  # at first, and after the hour


def test_a_changed_users_file_ends_cached_logins(auth: tuple[Auth, UsersFile]) -> None:
    checker, users = auth
    assert login(checker, "ann", "right-password") == "ann"
    users.set_password("ann", "new-password")
    assert login(checker, "ann", "right-password") == ""
    assert login(checker, "ann", "new-password") == "ann"
    users.remove("ann")
    assert login(checker, "ann", "new-password") == ""


def test_a_wrong_password_costs_one_bcrypt_check_whoever_it_names_and_no_sleep(
    auth: tuple[Auth, UsersFile], monkeypatch: pytest.MonkeyPatch
) -> None:
    checker, _ = auth
    checks: list[bytes] = []
    checkpw = bcrypt.checkpw

    def counted(password: bytes, hashed_password: bytes) -> bool:
        checks.append(password)
        return checkpw(password, hashed_password)

    monkeypatch.setattr(bcrypt, "checkpw", counted)
    monkeypatch.setattr(
        time, "sleep", lambda seconds: pytest.fail(f"slept {seconds} s in a worker thread")
    )
    assert login(checker, "ann", "wrong-1") == ""
    assert login(checker, "nobody", "wrong-2") == ""
    assert checks == [b"wrong-1", b"wrong-2"]


def test_logins_arriving_together_wait_for_one_bcrypt_check(
    auth: tuple[Auth, UsersFile], monkeypatch: pytest.MonkeyPatch
) -> None:
    checker, _ = auth
    checks: list[bytes] = []
    all_waiting = threading.Barrier(8)
    checkpw = bcrypt.checkpw

    def counted(password: bytes, hashed_password: bytes) -> bool:
        checks.append(password)
        time.sleep(0.2)  # the others arrive while this one is checked
        return checkpw(password, hashed_password)

    def sign_in(password: str) -> str:
        all_waiting.wait()
        return login(checker, "ann", password)

    monkeypatch.setattr(bcrypt, "checkpw", counted)
    with ThreadPoolExecutor(8) as pool:
        names = list(pool.map(sign_in, ["right-password"] * 6 + ["wrong-1", "wrong-2"]))
    assert names == ["ann"] * 6 + ["", ""]
    assert sorted(checks) == [b"right-password", b"wrong-1", b"wrong-2"]
