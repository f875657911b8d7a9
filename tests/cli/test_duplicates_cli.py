"""`contacthub duplicates list|dismiss`: the real command, in a process of its own, on a
data directory (SQLite) holding the issue's people (tests/duplicates/people.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from contacthub import config
from contacthub.cli import main
from contacthub.store import DuplicateSettings, Store
from tests.duplicates.people import NAMESAKE, OWNER, PEOPLE, REGION, write_people


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    home = tmp_path / "data"
    home.mkdir()
    for user in (OWNER, "bob"):
        added = CliRunner().invoke(
            main, ["user", "add", user, "--data-dir", str(home)], input="pw-long-enough\n"
        )
        assert added.exit_code == 0, added.output
    store = Store.open(config.load(home).store_url)
    write_people(store)
    with store.write() as tx:
        tx.set_duplicate_settings(OWNER, DuplicateSettings(phone_region=REGION))
    store.close()
    return home


def contacthub(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "contacthub.cli", *args, "--data-dir", str(data_dir)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def listed(data_dir: Path, *args: str) -> list[dict[str, object]]:
    done = contacthub(data_dir, "duplicates", "list", "--user", OWNER, "--json", *args)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert isinstance(found, list)
    return found


def test_the_json_is_an_array_of_groups_as_the_issue_says(data_dir: Path) -> None:
    groups = listed(data_dir)
    assert len(groups) == len(PEOPLE) + 1
    for group in groups:
        assert {"id", "lane", "reasons", "contacts"} <= set(group)
        assert group["lane"] in ("safe", "contact", "name")
        for contact in group["contacts"]:  # type: ignore[attr-defined]
            assert {"book", "uid", "fn"} <= set(contact)
        for reason in group["reasons"]:  # type: ignore[attr-defined]
            assert {"kind", "value", "contacts"} <= set(reason)
    assert [g["lane"] for g in listed(data_dir, "--lane", "contact")] == ["contact"]


def test_dismiss_then_the_group_is_not_listed_again(data_dir: Path) -> None:
    (acme,) = listed(data_dir, "--lane", "contact")
    done = contacthub(data_dir, "duplicates", "dismiss", str(acme["id"]), "--user", OWNER)
    assert done.returncode == 0, done.stderr
    assert NAMESAKE in done.stdout
    assert listed(data_dir, "--lane", "contact") == []
    again = contacthub(data_dir, "duplicates", "dismiss", str(acme["id"]), "--user", OWNER)
    assert again.returncode == 1 and "no group of duplicates" in again.stderr


def test_the_text_form_and_another_users_group(data_dir: Path) -> None:
    done = contacthub(data_dir, "duplicates", "list", "--user", OWNER, "--lane", "safe")
    assert done.returncode == 0 and "same phone: +37255551234" in done.stdout
    first = listed(data_dir)[0]
    other = contacthub(data_dir, "duplicates", "dismiss", str(first["id"]), "--user", "bob")
    assert other.returncode == 1
    nobody = contacthub(data_dir, "duplicates", "list", "--user", "nobody")
    assert nobody.returncode == 1 and "There is no user" in nobody.stderr


def test_merge_a_group_by_its_id_then_undo_it(data_dir: Path) -> None:
    jane = next(
        g
        for g in listed(data_dir, "--lane", "safe")
        if any(c["fn"] == "Jane Doe" for c in g["contacts"])  # type: ignore[attr-defined]
    )
    done = contacthub(data_dir, "duplicates", "merge", str(jane["id"]), "--user", OWNER)
    assert done.returncode == 0, done.stderr
    assert "4 contacts merged into 'Jane Doe'" in done.stdout
    assert jane["id"] not in [g["id"] for g in listed(data_dir)]
    merge_id = done.stdout.split()[1].rstrip(":")
    undone = contacthub(data_dir, "merges", "undo", merge_id, "--user", OWNER)
    assert undone.returncode == 0, undone.stderr
    assert jane["id"] in [g["id"] for g in listed(data_dir)]
    gone = contacthub(data_dir, "duplicates", "merge", "0" * 12, "--user", OWNER)
    assert gone.returncode == 1 and "no group of duplicates" in gone.stderr
