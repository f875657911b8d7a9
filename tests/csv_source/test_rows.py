"""Rows to ContactFields: checks, birthdays, names, empty rows, custom fields."""

from __future__ import annotations

import pytest

from contacthub.sources.csv import CsvFile, Mapping, Problem, contact_rows
from contacthub.sources.csv.dates import InvalidDate, parse_birthday
from contacthub.vcard.fields import is_plausible_email


def convert(text: str, columns: dict[str, str]) -> list:
    mapping = Mapping()
    for column, field in columns.items():
        mapping.set(column, field)
    return list(contact_rows(CsvFile(text.encode()), mapping))


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("a@example.com", True),
        ("first.last+tag@sub.example.co.uk", True),
        ("δοκιμή@παράδειγμα.δοκιμή", True),
        ("user@例え。テスト", True),
        ("a@b", False),
        ("no-at.example.com", False),
        ("a@@b.com", False),
        ("a b@c.com", False),
        ("@b.com", False),
        ("a@.com", False),
        ("a@b.", False),
    ],
)
def test_email_check(value: str, ok: bool) -> None:
    assert is_plausible_email(value) is ok


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("1980-05-17", "1980-05-17"),
        ("19800517", "1980-05-17"),
        ("5/17/1980", "1980-05-17"),
        ("17/5/1980", "1980-05-17"),
        ("05/06/1980", "1980-05-06"),
        ("17.05.1980", "1980-05-17"),
        ("1.2.2001", "2001-02-01"),
        ("--05-17", "--05-17"),
        ("--0229", "--02-29"),
        ("0/0/00", ""),
        ("0.0.00", ""),
        ("", ""),
    ],
)
def test_birthdays(text: str, iso: str) -> None:
    assert parse_birthday(text) == iso


@pytest.mark.parametrize("text", ["1981-02-29", "13/13/1980", "May 17", "--13-01", "17.5.80"])
def test_invalid_birthdays(text: str) -> None:
    with pytest.raises(InvalidDate):
        parse_birthday(text)


def test_full_name_is_derived_in_order() -> None:
    rows = convert(
        "Given,Family,Org,Mail,Tel\nAda,Lovelace,Acme,a@x.org,1\n,,Acme,a@x.org,1\n"
        ",,,a@x.org,1\n,,,,+1 555\n",
        {
            "Given": "given_name",
            "Family": "family_name",
            "Org": "organisation",
            "Mail": "email.work",
            "Tel": "phone.work",
        },
    )
    assert [row.fields.full_name for row in rows] == ["Ada Lovelace", "Acme", "a@x.org", "+1 555"]
    assert all(row.usable and row.problems == () for row in rows)


def test_empty_rows_and_rows_with_nothing_to_name() -> None:
    rows = convert(
        "Name,Birthday,Skip\n,,x\n,1980-01-01,\n , ,\n",
        {"Name": "full_name", "Birthday": "birthday"},
    )
    assert [row.problems for row in rows] == [
        (Problem(2, None, "empty row"),),
        (Problem(3, None, "no name, organisation, email address or phone number"),),
        (Problem(4, None, "empty row"),),
    ]
    assert not any(row.usable for row in rows)


def test_several_columns_on_one_field_and_custom_fields() -> None:
    rows = convert(
        "Street,Street 2,Note A,Note B,Shoe,Tags,Mails\n"
        "1 Road,Flat 2,first,second,44,a;b;a; c ,x@y.org; z@y.org\n",
        {
            "Street": "address.home.street",
            "Street 2": "address.home.street",
            "Note A": "notes",
            "Note B": "notes",
            "Shoe": "custom:Shoe size",
            "Tags": "categories",
            "Mails": "email.home",
        },
    )
    fields = rows[0].fields
    assert fields.addresses[0].street == "1 Road\nFlat 2"
    assert fields.notes == "first\nsecond"
    assert fields.custom == {"X-SHOE-SIZE": "44"}
    assert fields.categories == ["a", "b", "c"]
    assert [email.value for email in fields.emails] == ["x@y.org", "z@y.org"]
    assert fields.full_name == "x@y.org"


def test_type_column_chooses_the_type_row_by_row() -> None:
    mapping = Mapping()
    mapping.set("Number", "phone.other", type_from="Kind")
    csv_file = CsvFile(b"Kind,Number\nMobile,1\n* Work Fax,2\nSatellite,3\n,4\n")
    phones = [row.fields.phones[0] for row in contact_rows(csv_file, mapping)]
    assert [(p.type, p.primary) for p in phones] == [
        ("mobile", False),
        ("fax", True),
        ("other", False),
        ("other", False),
    ]
