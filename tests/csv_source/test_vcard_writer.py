"""The vCard writer: structure, folding, escaping, vobject round trips, and its speed."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import vobject
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contacthub.sources.csv import (
    Address,
    ContactFields,
    CsvFile,
    Email,
    Mapping,
    Phone,
    contact_rows,
)
from contacthub.sources.csv.labels import split_categories
from contacthub.sources.csv.rows import clean
from contacthub.vcard.write import to_vcard

ADA = ContactFields(
    full_name="Lady Ada King Lovelace",
    given="Ada",
    family="Lovelace",
    middle="King",
    prefix="Lady",
    nickname="Ada, Countess",
    organisation="Analytical Engines; Ltd",
    department="R&D, Notes\\Ideas",
    job_title="Programmer",
    emails=[
        Email("ada@engines.example", "work", True),
        Email("ada@home.example", "home"),
        Email("ada@other.example", "other"),
    ],
    phones=[
        Phone("+44 20 7946 0958", "mobile", True),
        Phone("+44 1", "home"),
        Phone("+44 2", "work"),
        Phone("+44 3", "fax"),
        Phone("+44 4", "pager"),
        Phone("+44 5", "other"),
    ],
    addresses=[
        Address(
            "home",
            street="12 St James's Square\nFlat 3",
            city="London",
            region="",
            postal_code="SW1Y 4JH",
            country="United Kingdom",
            po_box="PO Box 7",
            extended="c/o Babbage",
        ),
        Address("work", street="1; Engine Row", city="Cambridge", primary=True),
        Address("other", city="Paris"),
    ],
    websites=["https://ada.example/a,b;c"],
    birthday="1815-12-10",
    notes="Line one\nLine two, with \\ backslash; and semicolon\n\nEnd " + "ü😀" * 40,
    categories=["Friends", "VIP, really", "a;b", "back\\slash"],
    custom={"X-SHOE-SIZE": "38,5", "X-FAVOURITE": "Ω; λ\nnext"},
)


def parse(text: str) -> Any:
    return vobject.readOne(text)


def values(card: Any, name: str) -> list[Any]:
    return [prop.value for prop in card.contents.get(name, [])]


def types(card: Any, name: str) -> list[list[str]]:
    return [prop.params.get("TYPE", []) for prop in card.contents.get(name, [])]


def assert_card_equals(card: Any, fields: ContactFields, uid: str) -> None:
    assert values(card, "version") == ["3.0"]
    assert values(card, "uid") == [uid]
    assert values(card, "fn") == [fields.derived_full_name()]
    n = card.n.value
    assert (n.family, n.given, n.additional, n.prefix, n.suffix) == (
        fields.family,
        fields.given,
        fields.middle,
        fields.prefix,
        fields.suffix,
    )
    assert values(card, "nickname") == ([fields.nickname] if fields.nickname else [])
    assert values(card, "email") == [email.value for email in fields.emails]
    assert values(card, "tel") == [phone.value for phone in fields.phones]
    org = values(card, "org")
    if fields.organisation or fields.department:
        expected_org = [fields.organisation] + ([fields.department] if fields.department else [])
        assert org == [expected_org]
    else:
        assert org == []
    assert values(card, "title") == ([fields.job_title] if fields.job_title else [])
    assert [
        (a.box, a.extended, a.street, a.city, a.region, a.code, a.country)
        for a in values(card, "adr")
    ] == [
        (a.po_box, a.extended, a.street, a.city, a.region, a.postal_code, a.country)
        for a in fields.addresses
    ]
    assert values(card, "url") == fields.websites
    assert values(card, "bday") == ([fields.birthday] if fields.birthday else [])
    assert values(card, "note") == ([fields.notes] if fields.notes else [])
    assert values(card, "categories") == ([fields.categories] if fields.categories else [])
    for name, value in fields.custom.items():
        assert values(card, name.lower()) == [value]


def test_realistic_and_adversarial_card_round_trips() -> None:
    text = to_vcard(ADA, "uid;with,specials", extra={"X-CONTACTHUB-KEY": "123456789"})
    card = parse(text)
    assert_card_equals(card, ADA, "uid;with,specials")
    assert values(card, "x-contacthub-key") == ["123456789"]
    assert types(card, "email") == [
        ["INTERNET", "WORK", "PREF"],
        ["INTERNET", "HOME"],
        ["INTERNET"],
    ]
    assert types(card, "tel") == [
        ["CELL", "PREF"],
        ["HOME"],
        ["WORK"],
        ["FAX"],
        ["PAGER"],
        ["VOICE"],
    ]
    assert types(card, "adr") == [["HOME"], ["WORK", "PREF"], []]


def test_lines_are_crlf_and_folded_at_75_octets_without_splitting_characters() -> None:
    text = to_vcard(ADA, "u1")
    assert text.startswith("BEGIN:VCARD\r\nVERSION:3.0\r\n") and text.endswith("END:VCARD\r\n")
    lines = text.split("\r\n")[:-1]
    assert "\n" not in "".join(lines) and "\r" not in "".join(lines)
    assert max(len(line.encode()) for line in lines) <= 75
    assert any(line.startswith(" ") for line in lines)  # the note was folded
    note = next(i for i, line in enumerate(lines) if line.startswith("NOTE:"))
    folded = lines[note]
    for line in lines[note + 1 :]:
        if not line.startswith(" "):
            break
        folded += line[1:]
    assert folded == "NOTE:" + (
        "Line one\\nLine two\\, with \\\\ backslash\\; and semicolon\\n\\nEnd " + "ü😀" * 40
    )


def test_minimal_cards_always_have_fn_and_n() -> None:
    only_phone = ContactFields(phones=[Phone("+1 555 0100", "mobile")])
    text = to_vcard(only_phone, "p")
    assert "FN:+1 555 0100\r\n" in text and "N:;;;;\r\n" in text
    assert_card_equals(parse(text), only_phone, "p")
    with pytest.raises(ValueError, match="needs a full name"):
        to_vcard(ContactFields(notes="nobody"), "x")


def test_bad_property_names_and_control_characters_are_refused() -> None:
    with pytest.raises(ValueError, match="not an X- property name"):
        to_vcard(ADA, "u", extra={"EMAIL": "x"})
    with pytest.raises(ValueError, match="control character"):
        to_vcard(ContactFields(full_name="bell\x07"), "u")


# Everything the reader lets through: no control characters except tab, CR and LF, no
# U+FFFD, no lone surrogates (a file cannot hold them in any Unicode encoding).
CELL = st.text(
    st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters=(
            [chr(c) for c in range(0x20) if chr(c) not in "\t\r\n"]
            + [chr(c) for c in range(0x7F, 0xA0)]
            + ["\ufffd"]
        ),
    ),
    max_size=60,
)

COLUMNS = {
    "Name": "full_name",
    "Given": "given_name",
    "Family": "family_name",
    "Prefix": "name_prefix",
    "Nick": "nickname",
    "Org": "organisation",
    "Dept": "department",
    "Title": "job_title",
    "Street": "address.work.street",
    "City": "address.work.city",
    "Notes": "notes",
    "Tags": "categories",
    "Shoe": "custom:Shoe size",
    "Site": "website",
}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=st.fixed_dictionaries({column: CELL for column in COLUMNS}))
def test_any_cell_survives_csv_to_vcard_to_vobject(cells: dict[str, str]) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = [*COLUMNS, "Mail"]
    writer.writerow(header)
    writer.writerow([cells[column] for column in COLUMNS] + ["someone@example.org"])
    mapping = Mapping()
    for column, field in COLUMNS.items():
        mapping.set(column, field)
    mapping.set("Mail", "email.home")
    csv_file = CsvFile(out.getvalue().encode(), delimiter=",", encoding="utf-8")
    (row,) = list(contact_rows(csv_file, mapping))
    assert row.problems == ()
    fields = row.fields
    expected = {column: clean(cell) for column, cell in cells.items()}
    assert fields.full_name == expected["Name"] or not expected["Name"]
    assert (fields.given, fields.family, fields.prefix, fields.nickname) == (
        expected["Given"],
        expected["Family"],
        expected["Prefix"],
        expected["Nick"],
    )
    assert (fields.organisation, fields.department, fields.job_title, fields.notes) == (
        expected["Org"],
        expected["Dept"],
        expected["Title"],
        expected["Notes"],
    )
    assert fields.categories == split_categories(expected["Tags"])
    assert fields.custom == ({"X-SHOE-SIZE": expected["Shoe"]} if expected["Shoe"] else {})

    card = parse(to_vcard(fields, "uid-1"))
    assert_card_equals(card, fields, "uid-1")
