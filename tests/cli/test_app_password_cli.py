"""`contacthub user app-password add --books`, `books` and `list`: how CardDAV shows a
device the books, set from the command line (SQLite)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from contacthub.cli import main


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    home = tmp_path / "data"
    home.mkdir()
    added = CliRunner().invoke(
        main, ["user", "add", "ann", "--data-dir", str(home)], input="pw-long-enough\n"
    )
    assert added.exit_code == 0, added.output
    return home


def run(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["user", "app-password", *args, "--data-dir", str(data_dir)])


def listed(data_dir: Path) -> dict[str, list[str]]:
    done = run(data_dir, "list", "ann")
    assert done.exit_code == 0, done.output
    return {line.split("\t")[0]: line.split("\t")[3:] for line in done.stdout.splitlines()}


def test_the_books_of_a_device_are_set_and_listed(data_dir: Path) -> None:
    assert run(data_dir, "add", "ann", "Phone").exit_code == 0
    assert run(data_dir, "add", "ann", "Mac", "--books", "one-book").exit_code == 0
    assert listed(data_dir) == {"Phone": [], "Mac": ["books one-book"]}

    changed = run(data_dir, "books", "ann", "Phone", "apart")
    assert changed.exit_code == 0, changed.output
    assert changed.stdout == "the app password 'Phone' of ann sees the books apart\n"
    assert run(data_dir, "books", "ann", "Mac", "as-recognised").exit_code == 0
    assert listed(data_dir) == {"Phone": ["books apart"], "Mac": []}


def test_a_wrong_choice_or_name_is_refused(data_dir: Path) -> None:
    assert run(data_dir, "add", "ann", "Phone").exit_code == 0
    wrong = run(data_dir, "books", "ann", "Phone", "one")
    assert wrong.exit_code == 2 and "'as-recognised', 'one-book', 'apart'" in wrong.output
    missing = run(data_dir, "books", "ann", "Tablet", "apart")
    assert missing.exit_code == 1 and "There is no app password named 'Tablet'." in missing.output
    assert run(data_dir, "add", "ann", "Mac", "--books", "both").exit_code == 2
    assert listed(data_dir) == {"Phone": []}
