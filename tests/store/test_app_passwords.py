"""App passwords in the store and their check (contacthub.logins): kept as a hash, found by
user and hash, their last use written beside the request and never failing it."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from contacthub import logins
from contacthub.logins import RULE_FRESH_FOR, AppPasswords, RuleCache, new_secret, secret_hash
from contacthub.store import AlreadyExists, Store
from contacthub.users import UsersFile


@pytest.fixture
def users(tmp_path: Path) -> UsersFile:
    found = UsersFile(tmp_path / "users")
    found.add("ann", "ann's own password")
    found.add("ben", "ben's own password")
    return found


def add(store: Store, owner: str, name: str, now: float = 100.0) -> str:
    secret = new_secret()
    with store.write() as tx:
        tx.add_app_password(owner, name, secret_hash(secret), now)
    return secret


def test_a_name_is_unique_per_owner(store: Store) -> None:
    add(store, "ann", "Phone")
    add(store, "ben", "Phone")
    with pytest.raises(AlreadyExists), store.write() as tx:
        tx.add_app_password("ann", "Phone", secret_hash(new_secret()), 200.0)
    with store.read() as tx:
        assert [p.name for p in tx.app_passwords_of("ann")] == ["Phone"]


def test_a_secret_is_found_by_its_owner_and_hash_only(store: Store) -> None:
    secret = add(store, "ann", "Phone")
    with store.read() as tx:
        found = tx.app_password_with_hash("ann", secret_hash(secret))
        assert found is not None and found.name == "Phone" and found.last_used_at is None
        assert tx.app_password_with_hash("ben", secret_hash(secret)) is None
    with store.write() as tx:
        assert tx.revoke_app_password("ann", "Phone")
        assert not tx.revoke_app_password("ann", "Phone")
    with store.read() as tx:
        assert tx.app_password_with_hash("ann", secret_hash(secret)) is None


def test_a_use_is_written_only_when_the_last_is_older_than_the_interval(store: Store) -> None:
    add(store, "ann", "Phone")
    with store.read() as tx:
        password_id = tx.app_passwords_of("ann")[0].id
    for moment in (1000.0, 1030.0, 1061.0):
        with store.write() as tx:
            tx.record_app_password_uses({password_id: moment}, every=60.0)
    with store.read() as tx:
        assert tx.app_passwords_of("ann")[0].last_used_at == 1061.0


def test_the_carddav_setting_is_kept_for_an_account_without_a_role(store: Store) -> None:
    with store.write() as tx:
        tx.set_carddav_requires_app_password("ann", True)  # no row in accounts yet
        tx.set_admin("ben", True)
        tx.set_carddav_requires_app_password("ben", True)
    with store.read() as tx:
        assert tx.carddav_requires_app_password("ann") and tx.carddav_requires_app_password("ben")
        assert not tx.is_admin("ann") and tx.is_admin("ben")
        assert not tx.carddav_requires_app_password("cid")


def test_a_secret_is_taken_as_a_phone_may_type_it(store: Store, users: UsersFile) -> None:
    secret = add(store, "ann", "Phone")
    check = AppPasswords(store, users)
    plain = secret.replace("-", "")
    for typed in (secret, secret.upper(), plain.capitalize(), " ".join(secret.split("-"))):
        found = check.verify("ann", typed)
        assert found is not None and found.name == "Phone", typed
    for wrong in (plain[:-1], plain + "a", "ann's own password", secret.replace(secret[0], "1")):
        assert check.verify("ann", wrong) is None, wrong
    assert check.verify("ben", secret) is None


def test_a_removed_account_signs_in_with_none_of_its_app_passwords(
    store: Store, users: UsersFile
) -> None:
    secret = add(store, "ann", "Phone")
    check = AppPasswords(store, users)
    assert check.verify("ann", secret) is not None
    users.remove("ann")
    assert check.verify("ann", secret) is None


def test_a_use_that_cannot_be_written_is_logged_and_the_sign_in_still_works(
    store: Store,
    users: UsersFile,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    secret = add(store, "ann", "Phone")
    check = AppPasswords(store, users, clock=lambda: 5000.0)

    def full_disk(*_: object, **__: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store, "write", full_disk)
    with caplog.at_level(logging.WARNING, logger="contacthub.logins"):
        assert check.verify("ann", secret) is not None
        check.uses.flush()  # what its thread does (unless it did so already)
        assert check.verify("ann", secret) is not None  # within the minute: no second write
        deadline = time.monotonic() + 5
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.01)  # the thread's write may still be failing
    assert [r.message for r in caplog.records] == [
        "could not record the last use of 1 app password(s); "
        "it is recorded again at a use a minute later"
    ]
    monkeypatch.undo()
    with store.read() as tx:
        assert tx.app_passwords_of("ann")[0].last_used_at is None


class Reads:
    """A rule read from the store, counted: what RuleCache saves."""

    def __init__(self, refuses: bool = False) -> None:
        self.refuses = refuses
        self.logins: list[str] = []

    def __call__(self, login: str) -> bool:
        self.logins.append(login)
        return self.refuses


def test_the_rule_is_read_at_most_once_a_second_per_account(store: Store) -> None:
    now = [1000.0]
    rules = RuleCache(store, clock=lambda: now[0])
    reads = Reads()
    assert rules.get("ann", reads) is False
    now[0] += RULE_FRESH_FOR - 0.01
    reads.refuses = True  # changed through another process
    assert rules.get("ann", reads) is False  # still what was read a moment ago
    assert rules.get("ben", reads) is True  # each account its own
    now[0] += 0.01
    assert rules.get("ann", reads) is True  # a second old: read again
    assert reads.logins == ["ann", "ben", "ann"]


def test_a_rule_changed_in_this_process_counts_at_the_next_request(
    store: Store, users: UsersFile
) -> None:
    check = AppPasswords(store, users)
    assert not check.carddav_refuses_main_password("ann")
    with store.write() as tx:
        tx.set_carddav_requires_app_password("ann", True)
    assert check.carddav_refuses_main_password("ann")
    assert not check.carddav_refuses_main_password("ben")
    with store.write() as tx:
        tx.set_carddav_requires_app_password("ann", False)
    assert not check.carddav_refuses_main_password("ann")


def test_a_change_that_is_rolled_back_keeps_what_was_read(store: Store) -> None:
    rules = RuleCache(store, clock=lambda: 1000.0)
    reads = Reads()
    rules.get("ann", reads)
    with pytest.raises(RuntimeError), store.write() as tx:
        tx.set_carddav_requires_app_password("ann", True)
        raise RuntimeError("the rest of the change failed")
    assert rules.get("ann", reads) is False
    assert reads.logins == ["ann"]


def test_names_tried_at_sign_in_do_not_fill_the_memory(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logins, "RULES_KEPT", 3)
    rules = RuleCache(store, clock=lambda: 1000.0)
    reads = Reads()
    for name in ("ann", "x1", "x2", "x3", "x4"):
        rules.get(name, reads)
    assert len(rules) <= 3
    rules.get("ann", reads)  # forgotten with the made-up names: read again
    assert reads.logins.count("ann") == 2
