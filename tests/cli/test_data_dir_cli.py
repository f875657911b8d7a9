"""Which data directory a command uses, said and checked: the commands other than `serve`
name it on standard error and refuse a missing one in a sentence, creating nothing;
--data-dir and --config go before the command or after it; new passwords have a minimum."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from contacthub.firstrun import prepare_data_dir
from contacthub.store import Store
from contacthub.users import MIN_PASSWORD_LENGTH

PASSWORD = "a-long-enough-password"


def contacthub(
    *args: str, home: Path, stdin: str | None = None, data_dir: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The command in a new shell: HOME is *home*, no CONTACTHUB_DATA_DIR or XDG_DATA_HOME
    unless *data_dir* sets the first."""
    env = {k: v for k, v in os.environ.items() if k not in ("CONTACTHUB_DATA_DIR", "XDG_DATA_HOME")}
    env["HOME"] = str(home)
    if data_dir is not None:
        env["CONTACTHUB_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "contacthub.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


@pytest.fixture
def data_dir(tmp_path: Path, home: Path) -> Path:
    """A data directory as the first `serve` leaves it, with the account ann."""
    data = tmp_path / "data"
    prepare_data_dir(data, data / "contacthub.conf")
    added = contacthub("user", "add", "ann", "--data-dir", str(data), home=home, stdin=PASSWORD)
    assert added.returncode == 0, added.stderr
    return data.resolve()


@pytest.mark.parametrize(
    "command", [("user", "list"), ("user", "add", "bob"), ("trash", "list", "--user", "bob")]
)
def test_a_missing_data_directory_is_refused_in_a_sentence(
    home: Path, command: tuple[str, ...]
) -> None:
    default = home / ".local" / "share" / "contacthub"
    done = contacthub(*command, home=home, stdin=PASSWORD + "\n")
    assert done.returncode == 1, done
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        f"contacthub: there is no data directory {default}; name the one `contacthub serve` "
        "uses with --data-dir or CONTACTHUB_DATA_DIR, or start `contacthub serve` once to "
        "create it"
    ]
    assert not (home / ".local").exists(), "nothing was created"


def test_each_command_names_the_data_directory_it_used(home: Path, data_dir: Path) -> None:
    listed = contacthub("user", "list", "--data-dir", str(data_dir), home=home)
    assert listed.returncode == 0, listed.stderr
    assert listed.stderr.splitlines() == [f"contacthub: data directory {data_dir}"]
    assert listed.stdout.splitlines() == ["ann"]
    from_environment = contacthub("user", "list", home=home, data_dir=data_dir)
    assert from_environment.stderr.splitlines() == [f"contacthub: data directory {data_dir}"]
    assert from_environment.stdout.splitlines() == ["ann"]


def test_the_location_goes_before_the_command_too(
    home: Path, data_dir: Path, tmp_path: Path
) -> None:
    before = contacthub("--data-dir", str(data_dir), "user", "list", home=home)
    assert before.returncode == 0, before.stderr
    assert before.stdout.splitlines() == ["ann"]
    # A config file before the command: its users file is the one listed.
    other_users = tmp_path / "other-users"
    config = tmp_path / "other.conf"
    config.write_text(f"[auth]\nhtpasswd_filename = {other_users}\n", encoding="utf-8")
    with_config = contacthub(
        "--data-dir", str(data_dir), "--config", str(config), "user", "list", home=home
    )
    assert with_config.returncode == 0, with_config.stderr
    assert with_config.stdout == ""
    # Given after the command as well, the one after wins.
    elsewhere = tmp_path / "elsewhere"
    both = contacthub(
        "--data-dir", str(elsewhere), "user", "list", "--data-dir", str(data_dir), home=home
    )
    assert both.returncode == 0 and both.stdout.splitlines() == ["ann"]


def test_a_short_password_is_refused_with_the_minimum(home: Path, data_dir: Path) -> None:
    short = "x" * (MIN_PASSWORD_LENGTH - 1)
    added = contacthub("user", "add", "bob", "--data-dir", str(data_dir), home=home, stdin=short)
    assert added.returncode == 1
    assert added.stderr.splitlines()[-1] == (
        f"Error: the password must be at least {MIN_PASSWORD_LENGTH} characters long "
        f"(this one has {MIN_PASSWORD_LENGTH - 1}); a phrase of three words will do"
    )
    changed = contacthub(
        "user", "passwd", "ann", "--data-dir", str(data_dir), home=home, stdin=short
    )
    assert changed.returncode == 1 and "at least 12 characters" in changed.stderr
    listed = contacthub("user", "list", "--data-dir", str(data_dir), home=home)
    assert listed.stdout.splitlines() == ["ann"]
    exact = "y" * MIN_PASSWORD_LENGTH
    assert (
        contacthub(
            "user", "passwd", "ann", "--data-dir", str(data_dir), home=home, stdin=exact
        ).returncode
        == 0
    )


def test_a_new_account_has_its_contacts_book_before_any_sign_in(tmp_path: Path, home: Path) -> None:
    """An import from the command line before the first CardDAV sign-in makes the
    account's folder; the book "Contacts" must be there all the same (iOS cannot make one)."""
    data = tmp_path / "data"
    prepare_data_dir(data, data / "contacthub.conf")
    added = contacthub("user", "add", "ann", "--data-dir", str(data), home=home, stdin=PASSWORD)
    assert added.returncode == 0, added.stderr
    store = Store.open(f"sqlite:///{data / 'contacthub.db'}")
    with store.read() as tx:
        books = [(book.name, book.display_name) for book in tx.list_children("ann")]
    store.close()
    assert books == [("contacts", "Contacts")]
