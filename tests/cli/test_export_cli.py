"""`contacthub export`: a book or all books as .vcf or CSV; the CSV formats import again
(`contacthub import`) to the same contacts."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from contacthub.cli import main
from contacthub.sources.csv.formats import GOOGLE_HEADER, OUTLOOK_HEADER
from contacthub.store import Actor, Store
from contacthub.vcard.contact_read import contact_fields
from contacthub.vcard.parse import item_data

DATA = Path(__file__).parent.parent / "data" / "csv"
# Cards as phones and clients write them: 3.0 with Apple's labels and a birthday without a
# year, 4.0, 2.1 with quoted-printable, and a card with a full name only.
CARDS = [
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:v3\r\nFN:Grace Brewster Hopper\r\n"
    "N:Hopper;Grace;Brewster;Rear Admiral;\r\nNICKNAME:Amazing Grace\r\n"
    "ORG:US Navy;Computing\r\nTITLE:Rear Admiral\r\n"
    "EMAIL;TYPE=INTERNET,WORK,PREF:grace@navy.example\r\n"
    "EMAIL;TYPE=INTERNET,HOME:grace@home.example\r\n"
    "TEL;TYPE=CELL:+1 202 555 0101\r\nTEL;TYPE=WORK,VOICE:+1 202 555 0102\r\n"
    "TEL;TYPE=HOME,FAX:+1 202 555 0103\r\n"
    "item1.ADR;TYPE=WORK:;Building 2;1 Navy Yard\\nRoom 3;Washington;DC;20374;USA\r\n"
    "item1.X-ABLabel:_$!<Work>!$_\r\n"
    "ADR;TYPE=HOME:PO Box 12;;5 Elm St;Arlington;VA;22201;USA\r\n"
    "BDAY;X-APPLE-OMIT-YEAR=1604:1604-12-09\r\n"
    "NOTE:Invented the compiler\\, more or less.\\nSecond line.\r\n"
    "CATEGORIES:Navy,Pioneers\r\nURL:https://grace.example/\r\n"
    "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRg==\r\nEND:VCARD\r\n",
    "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:v4\r\nFN:Alan Turing\r\nN:Turing;Alan;Mathison;;OBE\r\n"
    "EMAIL;TYPE=work:alan@bletchley.example\r\nTEL;VALUE=uri;TYPE=cell:tel:+44-7700-900123\r\n"
    "BDAY:19120623\r\nORG:Bletchley Park\r\nEND:VCARD\r\n",
    "BEGIN:VCARD\r\nVERSION:2.1\r\nUID:v21\r\n"
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen;;;\r\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BCller\r\n"
    "TEL;HOME;VOICE:+49 89 123456\r\nEMAIL;INTERNET:juergen@example.de\r\n"
    "NOTE;ENCODING=QUOTED-PRINTABLE:Zeile eins=0D=0AZeile zwei\r\nEND:VCARD\r\n",
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:fn-only\r\nFN:The Corner Shop\r\n"
    "TEL:+1 555 0199\r\nEND:VCARD\r\n",
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:group\r\nFN:Pioneers\r\n"
    "X-ADDRESSBOOKSERVER-KIND:group\r\nX-ADDRESSBOOKSERVER-MEMBER:urn:uuid:v3\r\nEND:VCARD\r\n",
]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    result = CliRunner().invoke(
        main, ["user", "add", "ann", "--data-dir", str(folder)], input="secret-long-enough\n"
    )
    assert result.exit_code == 0, result.output
    return folder


def cli(data_dir: Path, *args: str) -> Result:
    result = CliRunner().invoke(main, [*args, "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    return result


def export(data_dir: Path, *args: str) -> bytes:
    return cli(data_dir, "export", "--user", "ann", *args).stdout_bytes


def open_store(data_dir: Path) -> Store:
    return Store.open(f"sqlite:///{data_dir / 'contacthub.db'}")


def put_cards(data_dir: Path, book: str, texts: list[str]) -> None:
    store = open_store(data_dir)
    with store.write(actor=Actor("ann", "cli")) as tx:
        if tx.get_collection("ann") is None:
            tx.create_collection("ann", {})
        record = tx.create_collection(
            f"ann/{book}", {"tag": "VADDRESSBOOK", "D:displayname": book.title()}
        )
        for number, text in enumerate(texts):
            tx.put_item(record, f"{number}.vcf", item_data(text))
    store.close()


def texts_of(data_dir: Path, book: str) -> list[str]:
    store = open_store(data_dir)
    with store.read() as tx:
        texts = [item.text for item in tx.iter_items(tx.require_collection(book).id)]
    store.close()
    return texts


def people(texts: list[str], *, types: bool = True) -> list[tuple[Any, ...]]:
    """What a person sees of each contact (group cards left out): names, emails, phones,
    addresses, organisation, birthday, notes, categories; the types of emails and phones
    only when the format keeps them.

    Neither Google's nor Outlook's CSV has a column for the full name: the importer names
    a contact by its name parts, so the name compared is the one the parts make, and a
    contact with a full name only is written with it as the first name."""
    seen = []
    for text in texts:
        if "KIND:group" in text:
            continue
        f = contact_fields(text)
        parts = (f.given, f.middle, f.family, f.prefix, f.suffix)
        name = replace(f, full_name="").derived_full_name() if any(parts) else f.full_name
        seen.append(
            (
                name,
                () if parts in ((name, "", "", "", ""), ("",) * 5) else parts,
                sorted((e.value, e.type) if types else e.value for e in f.emails),
                sorted((p.value, p.type) if types else p.value for p in f.phones),
                sorted(
                    (a.type, a.street, a.city, a.region, a.postal_code, a.country, a.po_box)
                    for a in f.addresses
                ),
                (f.organisation, f.department, f.job_title),
                f.birthday,
                f.notes,
                sorted(f.categories),
            )
        )
    return sorted(seen)


def test_vcf_as_stored_is_every_contact_card_byte_for_byte(data_dir: Path) -> None:
    put_cards(data_dir, "phone", CARDS)
    exported = export(data_dir, "--book", "phone").decode()
    assert exported == "".join(CARDS[:4])  # in href order, the group card left out


def test_vcf_in_one_version(data_dir: Path) -> None:
    put_cards(data_dir, "phone", CARDS)
    four = export(data_dir, "--book", "Phone", "--vcard-version", "4.0").decode()
    assert four.count("BEGIN:VCARD") == four.count("VERSION:4.0") == 4
    three = export(data_dir, "--book", "phone", "--vcard-version", "3.0").decode()
    assert three.count("BEGIN:VCARD") == three.count("VERSION:3.0") == 4
    assert "QUOTED-PRINTABLE" not in three and "FN:Jürgen Müller" in three


def test_all_books_to_a_file(data_dir: Path, tmp_path: Path) -> None:
    put_cards(data_dir, "phone", CARDS[:2])
    put_cards(data_dir, "work", CARDS[2:4])
    out = tmp_path / "all.vcf"
    result = cli(data_dir, "export", "--user", "ann", "--output", str(out))
    assert result.stdout == ""
    assert out.read_bytes().decode() == "".join(CARDS[:4])
    assert not out.with_name("all.vcf.part").exists()


@pytest.mark.parametrize(
    ("file_format", "header", "types"),
    [("google-csv", GOOGLE_HEADER, True), ("outlook-csv", OUTLOOK_HEADER, False)],
)
def test_csv_reimports_to_the_same_contacts(
    data_dir: Path, tmp_path: Path, file_format: str, header: tuple[str, ...], types: bool
) -> None:
    put_cards(data_dir, "phone", CARDS)
    out = tmp_path / f"{file_format}.csv"
    cli(data_dir, "export", "--user", "ann", "--book", "phone", "--format", file_format,
        "--output", str(out))  # fmt: skip
    with out.open(encoding="utf-8-sig", newline="") as file:
        assert tuple(next(csv.reader(file))) == header
    imported = cli(data_dir, "import", str(out), "--user", "ann", "--book", "Again")
    assert "4 added" in imported.output
    before, after = texts_of(data_dir, "ann/phone"), texts_of(data_dir, "ann/again")
    if file_format == "outlook-csv":
        # Outlook has no column for the extended address: it comes back as the first
        # line of the street.
        before = [
            text.replace(";Building 2;1 Navy Yard", ";;Building 2\\n1 Navy Yard") for text in before
        ]
    assert people(after, types=types) == people(before, types=types)


@pytest.mark.parametrize(
    ("sample", "file_format"),
    [
        ("google_contacts.csv", "google-csv"),
        ("google_contacts_old.csv", "google-csv"),
        ("outlook_en.csv", "outlook-csv"),
        ("outlook_de.csv", "outlook-csv"),
    ],
)
def test_an_imported_export_exports_and_imports_again_alike(
    data_dir: Path, tmp_path: Path, sample: str, file_format: str
) -> None:
    cli(data_dir, "import", str(DATA / sample), "--user", "ann", "--book", "First")
    out = tmp_path / "out.csv"
    cli(data_dir, "export", "--user", "ann", "--book", "First", "--format", file_format,
        "--output", str(out))  # fmt: skip
    cli(data_dir, "import", str(out), "--user", "ann", "--book", "Second")
    types = file_format == "google-csv"
    first, second = texts_of(data_dir, "ann/first"), texts_of(data_dir, "ann/second")
    assert people(second, types=types) == people(first, types=types)
    assert len(people(first)) >= 2


def test_an_unknown_book_or_user_is_refused(data_dir: Path) -> None:
    result = CliRunner().invoke(
        main, ["export", "--user", "ann", "--book", "nope", "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 1 and "There is no address book 'nope'." in result.output
    result = CliRunner().invoke(main, ["export", "--user", "zed", "--data-dir", str(data_dir)])
    assert result.exit_code == 1 and "no user 'zed'" in result.output


def test_csv_on_standard_output(data_dir: Path) -> None:
    put_cards(data_dir, "phone", CARDS[3:4])
    rows = list(csv.DictReader(io.StringIO(export(data_dir, "--format", "google-csv").decode())))
    assert [(row["First Name"], row["Phone 1 - Value"]) for row in rows] == [
        ("The Corner Shop", "+1 555 0199")
    ]
