"""The device of a CardDAV request: the app password its one login check read, with how
it sees the books, handed to the guard without a second read of the store; and the
User-Agent its use is recorded with."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from radicale.auth import AuthContext

from contacthub import config
from contacthub.carddav.app import radicale_configuration
from contacthub.logins import AppPasswords, new_secret, secret_hash
from contacthub.store import BookView, Store, Transaction
from contacthub.users import UsersFile
from contacthub_radicale.auth import Auth
from contacthub_radicale.context import client
from tests.support.stores import new_sqlite_store

MAC = "macOS/14.2 (23C64) AddressBookCore/2487.300.5"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(new_sqlite_store(tmp_path / "store.db"))
    yield opened
    opened.close()


@pytest.fixture
def auth(tmp_path: Path, store: Store) -> Auth:
    settings = config.load(tmp_path)
    settings.radicale = {"auth": {"delay": "0"}}
    users = UsersFile(settings.users_file)
    users.add("ann", "own-password")
    return Auth(radicale_configuration(settings, store), AppPasswords(store, users))


def add(store: Store, name: str, book_view: BookView | None) -> str:
    secret = new_secret()
    with store.write() as tx:
        tx.add_app_password("ann", name, secret_hash(secret), 100.0, book_view)
    return secret


def counting_reads(store: Store, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    reads: list[int] = []
    read = store.read

    def counted() -> AbstractContextManager[Transaction]:
        reads.append(1)
        return read()

    monkeypatch.setattr(store, "read", counted)
    return reads


def test_the_requests_device_comes_from_its_one_login_check(
    auth: Auth, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = add(store, "Mac", "apart")
    reads = counting_reads(store, monkeypatch)
    with auth.one_check_per_request():
        for _ in range(3):  # the guard's checks, then Radicale's
            assert auth.login("ann", secret, AuthContext())[0] == "ann"
        device = auth.request_device()
        assert device is not None and device.name == "Mac" and device.book_view == "apart"
    assert len(reads) == 1
    assert auth.request_device() is None  # the request is over


def test_a_request_with_the_own_password_or_none_has_no_device(auth: Auth, store: Store) -> None:
    add(store, "Mac", "one-book")
    with auth.one_check_per_request():
        assert auth.login("ann", "own-password", AuthContext())[0] == "ann"
        assert auth.request_device() is None
    with auth.one_check_per_request():
        assert auth.request_device() is None


def test_a_use_is_recorded_with_the_requests_user_agent(auth: Auth, store: Store) -> None:
    secret = add(store, "Mac", None)
    with client(MAC), auth.one_check_per_request():
        assert auth.login("ann", secret, AuthContext())[0] == "ann"
    assert auth._app_passwords is not None
    auth._app_passwords.uses.flush()  # what its thread does (unless it did so already)
    with store.read() as tx:
        (found,) = tx.app_passwords_of("ann")
    assert found.last_used_at is not None and found.last_user_agent == MAC
