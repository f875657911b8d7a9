"""`contacthub import`: the same engine as the API, from a shell."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from contacthub.cli import main
from contacthub.store import Store

DATA = Path(__file__).parent.parent / "data" / "csv"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    result = CliRunner().invoke(
        main, ["user", "add", "ann", "--data-dir", str(tmp_path)], input="secret-long-enough\n"
    )
    assert result.exit_code == 0, result.output
    return tmp_path


def run(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["import", *args, "--user", "ann", "--data-dir", str(data_dir)])


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("\r\n".join(["ID,Name,E-mail,Shoe", *rows]) + "\r\n", encoding="utf-8")
    return path


def book_texts(data_dir: Path, book: str = "ann/from-csv-people") -> list[str]:
    store = Store.open(f"sqlite:///{data_dir / 'contacthub.db'}")
    with store.read() as tx:
        texts = [i.text for i in tx.iter_items(tx.require_collection(book).id)]
    store.close()
    return texts


def test_import_then_again_reports_no_changes(data_dir: Path, tmp_path: Path) -> None:
    people = write(tmp_path / "people.csv", ["1,Ann,ann@example.org,38", "2,Bob,bob@x.org,44"])
    first = run(data_dir, str(people), "--key", "ID", "--map", "Shoe=custom:Shoe size")
    assert first.exit_code == 0, first.output
    assert "ok: 2 added" in first.output and "into ann/from-csv-people" in first.output
    assert sum("X-SHOE-SIZE:38" in text for text in book_texts(data_dir)) == 1
    again = run(data_dir, str(people), "--key", "ID", "--map", "Shoe=custom:Shoe size")
    assert "no changes: 0 added, 0 updated, 0 deleted, 2 unchanged" in again.output


def test_dry_run_changes_nothing(data_dir: Path, tmp_path: Path) -> None:
    people = write(tmp_path / "people.csv", ["1,Ann,ann@example.org,38"])
    result = run(data_dir, str(people), "--dry-run")
    assert "dry run, nothing changed: 1 added" in result.output
    assert book_texts(data_dir) == []


def test_problems_are_listed_with_line_and_column(data_dir: Path, tmp_path: Path) -> None:
    people = write(tmp_path / "people.csv", ["1,Ann,not-an-address,38"])
    result = run(data_dir, str(people), "--key", "ID")
    assert "line 2, column 'E-mail': invalid email address" in result.output


def test_a_mass_deletion_is_refused_with_exit_code_3(data_dir: Path, tmp_path: Path) -> None:
    people = write(tmp_path / "people.csv", [f"{n},P{n},p{n}@x.org,1" for n in range(10)])
    assert run(data_dir, str(people), "--key", "ID").exit_code == 0
    write(people, ["0,P0,p0@x.org,1"])
    refused = run(data_dir, str(people), "--key", "ID", "--delete-missing")
    assert refused.exit_code == 3 and "would delete 9" in refused.output
    # Its counts are a plan, said as one: never "refused: 9 deleted".
    assert "Would have deleted 9; nothing was changed." in refused.output
    assert "9 deleted" not in refused.output and "refused: refused" not in refused.output
    assert len(book_texts(data_dir)) == 10
    allowed = run(data_dir, str(people), "--key", "ID", "--delete-missing", "--allow-mass-deletion")
    assert allowed.exit_code == 0 and len(book_texts(data_dir)) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["garbage.bin"], "does not look like a CSV file"),
        (["google_contacts.csv", "--map", "First Name=no.such.field"], "no.such.field"),
        (["google_contacts.csv", "--key", "Nope"], "key column 'Nope' is not in the file"),
        (["google_contacts.csv", "--delimiter", '"'], "delimiter"),
    ],
)
def test_bad_input_gets_a_clear_error(data_dir: Path, args: list[str], message: str) -> None:
    result = run(data_dir, str(DATA / args[0]), *args[1:])
    assert result.exit_code != 0 and message in result.output


def test_an_unknown_user_is_refused(data_dir: Path) -> None:
    result = CliRunner().invoke(
        main,
        [
            "import",
            str(DATA / "google_contacts.csv"),
            "--user",
            "nobody",
            "--data-dir",
            str(data_dir),
        ],
    )
    assert result.exit_code != 0 and "no user 'nobody'" in result.output


def test_book_by_name_is_made_when_missing_then_found_by_name_or_id(
    data_dir: Path, tmp_path: Path
) -> None:
    people = write(tmp_path / "people.csv", ["1,Ann,ann@example.org,38"])
    made = run(data_dir, str(people), "--book", "Work friends")
    assert made.exit_code == 0, made.output
    assert "made the address book 'Work friends' (work-friends)" in made.stdout
    assert "into ann/work-friends" in made.stdout
    assert len(book_texts(data_dir, "ann/work-friends")) == 1
    # Another file into the same book, by its name in another case, then by its id.
    for name, book in (("staff", "work FRIENDS"), ("more", "work-friends")):
        other = write(tmp_path / f"{name}.csv", [f"1,{name},{name}@example.org,40"])
        found = run(data_dir, str(other), "--book", book)
        assert found.exit_code == 0, found.output
        assert "made the address book" not in found.stdout
        assert "into ann/work-friends" in found.stdout
    assert len(book_texts(data_dir, "ann/work-friends")) == 3


def test_no_bare_progress_line_off_a_terminal(data_dir: Path, tmp_path: Path) -> None:
    people = write(tmp_path / "people.csv", ["1,Ann,ann@example.org,38"])
    result = run(data_dir, str(people))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [f"contacthub: data directory {data_dir.resolve()}"]
    assert result.stdout.splitlines()[-1] == (
        "ok: 1 added, 0 updated, 0 deleted, 0 unchanged, 0 skipped, 0 errors"
    )
