"""Every file in tests/data/csv: what is detected, suggested, produced and reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from contacthub.sources.csv import (
    Address,
    ContactRow,
    CsvFile,
    Email,
    NotCsvError,
    Phone,
    Problem,
    contact_rows,
    suggest_mapping,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "csv"


def read(name: str) -> tuple[CsvFile, list[ContactRow]]:
    csv_file = CsvFile(DATA / name)
    return csv_file, list(contact_rows(csv_file, suggest_mapping(csv_file.header)))


def fields_of(name: str) -> dict[str, str]:
    mapping = suggest_mapping(CsvFile(DATA / name).header)
    return {entry.column: entry.field for entry in mapping}


def test_google_current_export() -> None:
    csv_file, rows = read("google_contacts.csv")
    assert (csv_file.encoding, csv_file.delimiter) == ("utf-8", ",")
    assert csv_file.header[:3] == ["First Name", "Middle Name", "Last Name"]
    assert len(csv_file.header) == 36
    mapping = suggest_mapping(csv_file.header)
    assert mapping.columns["E-mail 1 - Value"].field == "email.other"
    assert mapping.columns["E-mail 1 - Value"].type_from == "E-mail 1 - Label"
    assert mapping.columns["Phone 2 - Value"].type_from == "Phone 2 - Label"
    assert mapping.columns["Address 1 - Postal Code"].field == "address.other.postal_code"
    assert mapping.columns["Address 1 - Postal Code"].type_from == "Address 1 - Label"
    expected = {
        "First Name": "given_name",
        "Middle Name": "middle_name",
        "Last Name": "family_name",
        "Name Prefix": "name_prefix",
        "Name Suffix": "name_suffix",
        "Nickname": "nickname",
        "Organization Name": "organisation",
        "Organization Title": "job_title",
        "Organization Department": "department",
        "Birthday": "birthday",
        "Notes": "notes",
        "Labels": "categories",
        "Address 1 - Street": "address.other.street",
        "Address 1 - City": "address.other.city",
        "Address 1 - Region": "address.other.region",
        "Address 1 - Country": "address.other.country",
        "Website 1 - Value": "website",
    }
    assert {column: fields_of("google_contacts.csv")[column] for column in expected} == expected
    for unmapped in (
        "Phonetic First Name",
        "File As",
        "Photo",
        "E-mail 1 - Label",
        "Address 1 - Formatted",
        "Address 1 - Label",
    ):
        assert mapping.field_of(unmapped) is None

    # Ada's record spans lines 2-5: a note and a formatted address with line breaks.
    assert [row.line for row in rows] == [2, 6, 7, 8, 9]
    ada = rows[0].fields
    assert (ada.full_name, ada.prefix) == ("Ada King Lovelace", "Lady")  # prefix in N only
    assert ada.notes == 'Met at the Royal Society.\nPrefers "Ada", not Augusta.'
    assert ada.emails == [
        Email("ada@engines.example", "work", True),
        Email("ada@home.example", "home"),
        Email("ada.l@home.example", "home"),
    ]
    assert ada.phones == [Phone("+44 20 7946 0958", "mobile"), Phone("+44 20 7946 0959", "fax")]
    assert ada.addresses == [
        Address(
            "home",
            street="12 St James's Square",
            city="London",
            postal_code="SW1Y 4JH",
            country="United Kingdom",
        )
    ]
    assert ada.categories == ["Friends", "VIP"]
    assert (ada.organisation, ada.department, ada.job_title) == (
        "Analytical Engines Ltd",
        "R&D",
        "Programmer",
    )
    assert (ada.birthday, ada.websites) == ("1815-12-10", ["https://ada.example/"])
    assert rows[0].problems == ()

    phone_only, email_only = rows[1], rows[2]
    assert phone_only.usable and phone_only.fields.full_name == "+1 555 0100"
    assert phone_only.fields.birthday == "--05-17"
    assert email_only.fields.emails == [Email("someone@example.org", "other", True)]
    assert email_only.fields.full_name == "someone@example.org"

    jurgen = rows[3].fields
    assert jurgen.birthday == "1964-02-29"
    assert jurgen.phones == [
        Phone("+49 89 123456", "work", True),
        Phone("+49 171 2345678", "mobile"),
    ]
    assert [(a.type, a.street, a.city, a.postal_code) for a in jurgen.addresses] == [
        ("home", "Am Anger 3", "München", "80331"),
        ("work", "Industriestraße 7", "Augsburg", "86150"),
    ]
    assert jurgen.categories == ["Kunden"]

    grace = rows[4]
    assert grace.fields.full_name == "Grace Hopper" and grace.fields.emails == []
    assert grace.problems == (
        Problem(9, "Birthday", "invalid birthday"),
        Problem(9, "E-mail 1 - Value", "invalid email address"),
    )


def test_google_older_export() -> None:
    csv_file, rows = read("google_contacts_old.csv")
    assert (csv_file.encoding, csv_file.delimiter, csv_file.header[0]) == ("utf-8", ",", "Name")
    fields = fields_of("google_contacts_old.csv")
    assert fields["Name"] == "full_name"
    assert fields["Given Name"] == "given_name"
    assert fields["Additional Name"] == "middle_name"
    assert fields["Family Name"] == "family_name"
    assert fields["Group Membership"] == "categories"
    assert fields["Organization 1 - Name"] == "organisation"
    assert fields["Organization 1 - Title"] == "job_title"
    assert suggest_mapping(csv_file.header).columns["E-mail 1 - Value"].type_from == (
        "E-mail 1 - Type"
    )
    alan = rows[0].fields
    assert alan.full_name == "Alan Turing"
    assert alan.emails == [
        Email("alan@turing.example", "home", True),
        Email("a.turing@gchq.example", "work"),
    ]
    assert alan.phones == [Phone("07700 900123", "mobile")]
    assert alan.categories == ["Bletchley"]
    assert alan.addresses[0].region == "Cheshire"
    assert (alan.organisation, alan.department) == ("Government Code and Cypher School", "Hut 8")
    assert rows[1].fields.phones == [Phone("+1 757 555 0199", "work")]
    assert all(row.problems == () for row in rows)


def test_outlook_english_export() -> None:
    csv_file, rows = read("outlook_en.csv")
    assert (csv_file.encoding, csv_file.delimiter) == ("cp1252", ",")
    assert len(csv_file.header) == 92
    fields = fields_of("outlook_en.csv")
    expected = {
        "Title": "name_prefix",
        "First Name": "given_name",
        "Last Name": "family_name",
        "Suffix": "name_suffix",
        "Company": "organisation",
        "Department": "department",
        "Job Title": "job_title",
        "E-mail Address": "email.other",
        "E-mail 2 Address": "email.other",
        "E-mail 3 Address": "email.other",
        "Business Phone": "phone.work",
        "Home Phone": "phone.home",
        "Mobile Phone": "phone.mobile",
        "Business Fax": "phone.fax",
        "Business Street": "address.work.street",
        "Business Street 2": "address.work.street",
        "Business City": "address.work.city",
        "Business State": "address.work.region",
        "Business Postal Code": "address.work.postal_code",
        "Business Country/Region": "address.work.country",
        "Home Street": "address.home.street",
        "Home Country/Region": "address.home.country",
        "Birthday": "birthday",
        "Notes": "notes",
        "Web Page": "website",
        "Categories": "categories",
    }
    assert {column: fields[column] for column in expected} == expected
    for unmapped in ("E-mail Type", "E-mail Display Name", "Anniversary", "Gender", "Private"):
        assert unmapped not in fields

    jose = rows[0].fields
    assert (jose.full_name, jose.prefix) == ("José Núñez", "Mr.")
    assert jose.organisation == "Café Olé, Inc."
    assert jose.emails == [
        Email("jose@cafeole.example", "other"),
        Email("jose.nunez@home.example", "other"),
    ]
    assert jose.phones == [
        Phone("(217) 555-0135", "fax"),
        Phone("(217) 555-0134", "work"),
        Phone("(217) 555-0142", "home"),
        Phone("(217) 555-0199", "mobile"),
    ]
    assert jose.addresses == [
        Address(
            "work",
            street="1 Main St\nSuite 200",
            city="Springfield",
            region="IL",
            postal_code="62701",
            country="United States of America",
        )
    ]
    assert (jose.birthday, jose.categories) == ("1980-05-17", ["Business", "VIP"])
    assert jose.notes == "Prefers calls – after 10am"
    zoe = rows[1]
    assert zoe.fields.birthday == ""  # Outlook's 0/0/00
    assert zoe.problems == ()
    assert zoe.fields.addresses[0].type == "home"


def test_outlook_german_export() -> None:
    csv_file, rows = read("outlook_de.csv")
    assert (csv_file.encoding, csv_file.delimiter) == ("cp1252", ";")
    assert csv_file.header[:4] == ["Anrede", "Vorname", "Weitere Vornamen", "Nachname"]
    fields = fields_of("outlook_de.csv")
    expected = {
        "Anrede": "name_prefix",
        "Vorname": "given_name",
        "Weitere Vornamen": "middle_name",
        "Nachname": "family_name",
        "Firma": "organisation",
        "Abteilung": "department",
        "Position": "job_title",
        "E-Mail-Adresse": "email.other",
        "E-Mail 2: Adresse": "email.other",
        "E-Mail 3: Adresse": "email.other",
        "Telefon geschäftlich": "phone.work",
        "Mobiltelefon": "phone.mobile",
        "Telefon privat": "phone.home",
        "Fax geschäftlich": "phone.fax",
        "Straße geschäftlich": "address.work.street",
        "Ort geschäftlich": "address.work.city",
        "Postleitzahl geschäftlich": "address.work.postal_code",
        "Land/Region geschäftlich": "address.work.country",
        "Straße privat": "address.home.street",
        "Land/Region privat": "address.home.country",
        "Geburtstag": "birthday",
        "Notizen": "notes",
        "Kategorien": "categories",
        "Webseite": "website",
    }
    assert {column: fields[column] for column in expected} == expected
    for unmapped in ("Ort", "E-Mail-Typ", "E-Mail: Angezeigter Name", "Jahrestag"):
        assert unmapped not in fields

    kaethe = rows[0].fields
    assert (kaethe.full_name, kaethe.prefix) == ("Käthe Müller-Lüdenscheidt", "Frau")
    assert kaethe.organisation == "Bäckerei Groß GmbH"
    assert kaethe.birthday == "1980-05-17"
    assert kaethe.categories == ["Kunden", "Weihnachtskarte"]
    assert kaethe.notes == "Rabatt 12,5 %; liefert dienstags\nTor 2 benutzen"
    assert kaethe.addresses == [
        Address(
            "work", street="Hauptstraße 12", city="Köln", postal_code="50667", country="Deutschland"
        )
    ]
    assert rows[0].line == 2 and rows[1].line == 4  # the note spans two lines
    assert rows[1].fields.addresses[0].country == "Österreich"
    assert all(row.problems == () for row in rows)


def test_european_excel_semicolons_with_bom() -> None:
    csv_file, rows = read("excel_semicolon_bom.csv")
    assert (csv_file.encoding, csv_file.delimiter) == ("utf-8-sig", ";")
    assert csv_file.header[0] == "Name"  # no BOM left in the first name
    assert csv_file.preview(1) == [
        [
            "Élodie Durand",
            "elodie@durand.example",
            "+33 1 23 45 67 89",
            "Durand & Fils",
            "12, rue de la Paix",
            "75002",
            "Paris",
            "France",
            "03.04.1975",
            "12,5",
        ]
    ]
    assert fields_of("excel_semicolon_bom.csv") == {
        "Name": "full_name",
        "E-Mail": "email.other",
        "Telefon": "phone.other",
        "Firma": "organisation",
        "Straße": "address.other.street",
        "PLZ": "address.other.postal_code",
        "Ort": "address.other.city",
        "Land": "address.other.country",
        "Geburtstag": "birthday",
    }
    elodie = rows[0].fields
    assert elodie.addresses == [
        Address(
            "other",
            street="12, rue de la Paix",
            city="Paris",
            postal_code="75002",
            country="France",
        )
    ]
    assert elodie.birthday == "1975-04-03"
    assert rows[2].fields.full_name == "Ωmega Ltd"


def test_tab_separated_utf16_with_bom() -> None:
    csv_file, rows = read("tab_utf16.txt")
    assert (csv_file.encoding, csv_file.delimiter) == ("utf-16", "\t")
    assert csv_file.header == ["Full Name", "E-mail Address", "Mobile Phone", "Company", "Notes"]
    assert csv_file.preview(5)[1][0] == "Ольга Петрова"
    taro = rows[0].fields
    assert (taro.full_name, taro.organisation, taro.notes) == (
        "山田 太郎",
        "株式会社山田",
        "Likes 🍣, golf",
    )
    assert taro.phones == [Phone("+81 90-1234-5678", "mobile")]


def test_quoted_fields_with_newlines_and_delimiters() -> None:
    csv_file, rows = read("quoted_multiline.csv")
    assert (csv_file.delimiter, csv_file.header) == (",", ["Name", "Email", "Address", "Notes"])
    assert [row.line for row in rows] == [2, 5, 7]
    assert csv_file.preview(1) == [
        ["Smith, John", "john@smith.example", "1 Road\nFlat 2\nTown", 'He said "hi"; then left']
    ]
    assert rows[0].fields.addresses[0].street == "1 Road\nFlat 2\nTown"
    assert rows[1].fields.addresses[0].street == "Line A\nLine B"  # CRLF inside → "\n"
    assert rows[1].fields.notes == "a,b,c"
    assert rows[2].fields.full_name == 'Émile "The Pen" Zola'
    assert rows[2].fields.notes == "multi\n\nparagraph"


def test_ragged_rows() -> None:
    csv_file, rows = read("ragged.csv")
    assert csv_file.preview(3) == [
        ["Too Many", "many@example.com", "+1 555 0101"],
        ["Too Few", "few@example.com", ""],
        ["Just Right", "right@example.com", "+1 555 0103"],
    ]
    assert [row.problems for row in rows] == [
        (Problem(2, None, "the row has 5 cells, the header 3: the extra cells are ignored"),),
        (Problem(3, None, "the row has 2 cells, the header 3: the missing cells are empty"),),
        (),
    ]
    assert [row.usable for row in rows] == [True, True, True]


def test_empty_file() -> None:
    csv_file, rows = read("empty.csv")
    assert csv_file.is_empty and csv_file.header == [] and rows == []
    assert csv_file.preview(5) == []


def test_header_only() -> None:
    csv_file, rows = read("header_only.csv")
    assert not csv_file.is_empty
    assert csv_file.header == ["First Name", "Last Name", "E-mail Address"]
    assert rows == [] and csv_file.preview(5) == []


def test_control_characters_are_reported_and_left_out() -> None:
    _csv_file, rows = read("control_characters.csv")
    bell, tab, good = rows
    assert bell.problems == (Problem(2, "Name", "Invalid characters found"),)
    assert bell.fields.full_name == "bell@example.com"  # the bad name is not used
    assert tab.problems == (Problem(3, "Notes", "Invalid characters found"),)
    assert tab.fields.full_name == "Tab\tAllowed" and tab.fields.notes == ""
    assert good.problems == ()


@pytest.mark.parametrize(("name", "offset"), [("garbage.bin", 90), ("pixel.png", 8)])
def test_binary_files_are_refused(name: str, offset: int) -> None:
    with pytest.raises(NotCsvError) as caught:
        CsvFile(DATA / name)
    assert str(caught.value).startswith("this does not look like a CSV file: ")
    assert "binary data" in caught.value.reason
    assert caught.value.offset == offset
