"""The cost of password hashes: bcrypt's 12 unless CONTACTHUB_BCRYPT_ROUNDS says otherwise,
and a value bcrypt cannot use refused in a sentence before anything is written.

The other tests make their accounts at cost 4 (tests/conftest.py): this is where the
real cost is checked, by the command a person runs, in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import bcrypt
import pytest
from click.testing import CliRunner

from contacthub.cli import main
from contacthub.firstrun import prepare_data_dir
from contacthub.store import Store
from contacthub.users import BCRYPT_ROUNDS_VARIABLE, UsersFile

PASSWORD = "a-long-enough-password"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    prepare_data_dir(data, data / "contacthub.conf")
    return data


def stored_hash(data_dir: Path, name: str) -> str:
    hashed = UsersFile(data_dir / "users").password_hash(name)
    assert hashed is not None, f"no account {name!r}"
    return hashed


def test_without_the_variable_a_new_password_is_hashed_at_cost_12(data_dir: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != BCRYPT_ROUNDS_VARIABLE}
    added = subprocess.run(
        [sys.executable, "-m", "contacthub.cli", "user", "add", "ann", "--data-dir", str(data_dir)],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert added.returncode == 0, added.stderr
    hashed = stored_hash(data_dir, "ann")
    assert hashed.startswith("$2b$12$"), hashed
    assert bcrypt.checkpw(PASSWORD.encode(), hashed.encode())


def test_the_variable_sets_the_cost_of_new_passwords(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(BCRYPT_ROUNDS_VARIABLE, "5")
    runner = CliRunner()
    added = runner.invoke(main, ["user", "add", "ann", "--data-dir", str(data_dir)], PASSWORD)
    assert added.exit_code == 0, added.output
    assert stored_hash(data_dir, "ann").startswith("$2b$05$")
    monkeypatch.setenv(BCRYPT_ROUNDS_VARIABLE, "6")
    changed = runner.invoke(main, ["user", "passwd", "ann", "--data-dir", str(data_dir)], PASSWORD)
    assert changed.exit_code == 0, changed.output
    assert stored_hash(data_dir, "ann").startswith("$2b$06$")


NOT_A_COST = ["3", "32", "twelve", "-1", "12.5"]


def refusal(value: str) -> str:
    return f"{BCRYPT_ROUNDS_VARIABLE}={value!r} is not a bcrypt cost: a whole number from 4 to 31"


@pytest.mark.parametrize("value", NOT_A_COST)
def test_a_cost_bcrypt_cannot_use_is_refused_and_no_account_changes(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    runner = CliRunner()
    added = runner.invoke(main, ["user", "add", "ann", "--data-dir", str(data_dir)], PASSWORD)
    assert added.exit_code == 0, added.output
    users_before = (data_dir / "users").read_bytes()
    monkeypatch.setenv(BCRYPT_ROUNDS_VARIABLE, value)
    for argv in (["user", "add", "bob", "--admin"], ["user", "passwd", "ann"]):
        refused = runner.invoke(main, [*argv, "--data-dir", str(data_dir)], PASSWORD)
        assert refused.exit_code == 1, (argv, refused.output)
        assert refusal(value) in refused.output
    assert (data_dir / "users").read_bytes() == users_before
    store = Store.open(f"sqlite:///{data_dir / 'contacthub.db'}")
    with store.read() as tx:
        assert tx.admins() == set()  # bob made neither an admin nor a book
        assert [record.path for record in tx.list_children("")] == ["ann"]
    store.close()


def test_serve_refuses_a_cost_bcrypt_cannot_use_before_its_first_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    refused = subprocess.run(
        [sys.executable, "-m", "contacthub.cli", "serve", "--port", "0", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        timeout=60,  # a serve that does not refuse would serve on
        env={**os.environ, BCRYPT_ROUNDS_VARIABLE: "32"},
        check=False,
    )
    assert refused.returncode == 1, refused.stderr
    assert refusal("32") in refused.stderr
    assert not data.exists()  # no data directory, no first admin
