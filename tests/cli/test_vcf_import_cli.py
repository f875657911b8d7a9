"""`contacthub import FILE.vcf`: the .vcf import from a shell, detected by extension or
content, into a named book or the book named after the file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from contacthub.cli import main
from contacthub.store import Store

FIXTURES = Path(__file__).parents[1] / "vcf_import" / "fixtures"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    result = CliRunner().invoke(
        main, ["user", "add", "ann", "--data-dir", str(tmp_path)], input="secret-long-enough\n"
    )
    assert result.exit_code == 0, result.output
    return tmp_path


def run(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["import", *args, "--user", "ann", "--data-dir", str(data_dir)])


def names(data_dir: Path, book: str) -> list[str]:
    store = Store.open(f"sqlite:///{data_dir / 'contacthub.db'}")
    with store.read() as tx:
        found = sorted(i.display_name for i in tx.iter_items(tx.require_collection(book).id))
    store.close()
    return found


def test_a_vcf_into_the_book_named_after_it_then_again(data_dir: Path) -> None:
    first = run(data_dir, str(FIXTURES / "one_bad_card.vcf"))
    assert first.exit_code == 0, first.output
    assert "made the address book 'one_bad_card (vCard)'" in first.output
    assert "ok: 4 added" in first.output
    assert "line 11: card 2 (from line 7): line 5 of the card cannot be read: N;BROKEN" in (
        first.output
    )
    again = run(data_dir, str(FIXTURES / "one_bad_card.vcf"))
    assert again.exit_code == 0, again.output
    assert "made the address book" not in again.output
    assert "no changes: 0 added, 0 updated, 0 deleted, 4 unchanged" in again.output


def test_into_a_named_book_by_content_whatever_the_extension(
    data_dir: Path, tmp_path: Path
) -> None:
    renamed = tmp_path / "export.txt"
    renamed.write_bytes((FIXTURES / "v40.vcf").read_bytes())
    result = run(data_dir, str(renamed), "--book", "Japan")
    assert result.exit_code == 0, result.output
    assert "vCard, into ann/" in result.output
    book = result.output.split("vCard, into ")[1].split()[0]
    assert names(data_dir, book) == ["Aiko Tanaka", "Sakura Labs"]


def test_csv_options_are_refused_for_a_vcf(data_dir: Path) -> None:
    result = run(data_dir, str(FIXTURES / "v40.vcf"), "--delete-missing")
    assert result.exit_code == 2 and "--delete-missing: only for a CSV file" in result.output


def test_a_file_that_is_not_vcard_is_refused_and_the_format_can_be_named(
    data_dir: Path, tmp_path: Path
) -> None:
    fake = tmp_path / "fake.vcf"
    fake.write_text("Name,Email\nAnn,ann@example.org\n")
    result = run(data_dir, str(fake))
    assert result.exit_code == 1 and "not a vCard file" in result.output
    named_csv = tmp_path / "people.csv"
    named_csv.write_bytes((FIXTURES / "v40.vcf").read_bytes())
    forced = run(data_dir, str(named_csv), "--format", "vcf", "--book", "Forced")
    assert forced.exit_code == 0 and "ok: 2 added" in forced.output
