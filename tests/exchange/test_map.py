"""The vCard ↔ Exchange contact mapping on its own (no server)."""

from __future__ import annotations

import datetime

import pytest
import vobject
from exchangelib.indexed_properties import EmailAddress, PhoneNumber, PhysicalAddress
from exchangelib.items import Contact
from exchangelib.properties import Body, HTMLBody

from contacthub.sources.exchange.mapping import PHONE_LABELS, card_to_contact, contact_to_card
from contacthub.vcard.parse import InvalidVCard

FIELDS = {
    "display_name",
    "given_name",
    "surname",
    "middle_name",
    "email_addresses",
    "phone_numbers",
    "physical_addresses",
    "company_name",
    "department",
    "job_title",
    "birthday",
    "body",
    "categories",
}


def _card(*lines: str) -> str:
    return "\r\n".join(
        ["BEGIN:VCARD", "VERSION:3.0", "UID:u", "FN:Ann Lee", *lines, "END:VCARD", ""]
    )


def _phones(*lines: str) -> list[tuple[str, str]]:
    return [(p.label, p.phone_number) for p in card_to_contact(_card(*lines))["phone_numbers"]]


def test_every_phone_label_survives_contact_to_card_and_back() -> None:
    numbers = [
        PhoneNumber(label=label, phone_number=f"+1 555 01{n:02}")
        for n, label in enumerate(PHONE_LABELS)
    ]
    card = contact_to_card(Contact(display_name="Ann Lee", phone_numbers=numbers), "u")
    back = card_to_contact(card)["phone_numbers"]
    assert sorted((p.label, p.phone_number) for p in back) == sorted(
        (p.label, p.phone_number) for p in numbers
    )


@pytest.mark.parametrize(
    ("line", "label"),
    [
        ("TEL;TYPE=CELL:1", "MobilePhone"),
        ("TEL;TYPE=CELL,PREF:1", "MobilePhone"),
        ("TEL;TYPE=IPHONE:1", "MobilePhone"),
        ("TEL;CELL:1", "MobilePhone"),  # vCard 2.1 spelling
        ("TEL;TYPE=WORK:1", "BusinessPhone"),
        ("TEL;TYPE=work;TYPE=voice:1", "BusinessPhone"),
        ("TEL;TYPE=HOME:1", "HomePhone"),
        ("TEL;TYPE=WORK,FAX:1", "BusinessFax"),
        ("TEL;TYPE=HOME,FAX:1", "HomeFax"),
        ("TEL;TYPE=FAX:1", "OtherFax"),
        ("TEL;TYPE=PAGER:1", "Pager"),
        ("TEL;TYPE=CAR:1", "CarPhone"),
        ("TEL;TYPE=PREF,VOICE:1", "PrimaryPhone"),
        ("TEL;TYPE=VOICE:1", "OtherTelephone"),
        ("TEL:1", "OtherTelephone"),
    ],
)
def test_a_tel_takes_the_label_of_its_types(line: str, label: str) -> None:
    assert _phones(line) == [(label, "1")]


def test_numbers_whose_labels_are_taken_fall_back_to_other_then_drop() -> None:
    assert _phones(
        "TEL;TYPE=WORK:1",
        "TEL;TYPE=WORK:2",
        "TEL;TYPE=WORK:3",
        "TEL;TYPE=CELL:4",
        "TEL;TYPE=CELL:5",
    ) == [
        ("BusinessPhone", "1"),
        ("BusinessPhone2", "2"),
        ("OtherTelephone", "3"),
        ("MobilePhone", "4"),
    ]
    # A second fax never becomes a voice line.
    assert _phones("TEL;TYPE=WORK,FAX:1", "TEL;TYPE=WORK,FAX:2") == [
        ("BusinessFax", "1"),
        ("OtherFax", "2"),
    ]


def test_three_emails_go_to_exchange_the_preferred_one_first() -> None:
    values = card_to_contact(
        _card(
            "EMAIL:a@example.org",
            "EMAIL:b@example.org",
            "EMAIL;TYPE=INTERNET,PREF:c@example.org",
            "EMAIL:d@example.org",
        )
    )
    assert [(e.label, e.email) for e in values["email_addresses"]] == [
        ("EmailAddress1", "c@example.org"),
        ("EmailAddress2", "a@example.org"),
        ("EmailAddress3", "b@example.org"),
    ]


def test_addresses_take_their_label_and_fold_extra_parts_into_the_street() -> None:
    values = card_to_contact(
        _card(
            "ADR;TYPE=HOME:PO Box 7;Flat 2;1 Elm Road;Town;;1234;NZ",
            "ADR;TYPE=HOME:;;2 Oak Road;Town;;;",
            "ADR;TYPE=WORK,POSTAL:;;3 Main St;City;ST;99;US",
            "ADR;TYPE=HOME:;;4 Spare Lane;;;;",
            "ADR:;;;;;;",
        )
    )
    addresses = {a.label: a for a in values["physical_addresses"]}
    assert addresses["Home"].street == "1 Elm Road\nFlat 2\nPO Box 7"
    assert (
        addresses["Home"].city,
        addresses["Home"].zipcode,
        addresses["Home"].country,
        addresses["Home"].state,
    ) == ("Town", "1234", "NZ", None)
    assert addresses["Other"].street == "2 Oak Road"
    assert addresses["Business"].street == "3 Main St"
    assert len(addresses) == 3


def test_fields_the_card_lacks_are_none_so_an_update_clears_them() -> None:
    values = card_to_contact(_card())
    assert set(values) == FIELDS
    assert values["display_name"] == "Ann Lee"
    assert all(values[name] is None for name in FIELDS - {"display_name"})


def test_name_org_and_categories() -> None:
    values = card_to_contact(
        _card(
            "N:Lee;Ann;Marie,Jo;Dr.;Jr.",
            "ORG:Acme;Sales;EMEA",
            "CATEGORIES:a,b",
            "CATEGORIES:c",
            "TITLE:Boss",
        )
    )
    assert (values["surname"], values["given_name"], values["middle_name"]) == (
        "Lee",
        "Ann",
        "Marie, Jo",
    )
    assert (values["company_name"], values["department"]) == ("Acme", "Sales, EMEA")
    assert values["categories"] == ["a", "b", "c"]
    assert values["job_title"] == "Boss"


def test_name_parts_longer_than_exchange_allows_are_cut() -> None:
    values = card_to_contact(_card(f"N:{'L' * 300};Ann;;;"))
    assert values["surname"] == "L" * 255


@pytest.mark.parametrize(
    ("bday", "expected"),
    [
        ("1980-05-17", datetime.date(1980, 5, 17)),
        ("19800517", datetime.date(1980, 5, 17)),
        ("1980-05-17T00:00:00Z", datetime.date(1980, 5, 17)),
        ("--05-17", datetime.date(1604, 5, 17)),
        ("--0517", datetime.date(1604, 5, 17)),
        ("1980-02-30", None),
        ("sometime", None),
    ],
)
def test_birthdays(bday: str, expected: datetime.date | None) -> None:
    assert card_to_contact(_card(f"BDAY:{bday}"))["birthday"] == expected


def test_notes_in_html_become_plain_text() -> None:
    html = HTMLBody(
        "<html><head><style>p {}</style></head><body><p>Line <b>one</b></p>"
        "<div>two<br>three</div></body></html>"
    )
    card = vobject.readOne(contact_to_card(Contact(display_name="A", body=html), "u"))
    assert card.note.value == "Line one\ntwo\nthree"
    card = vobject.readOne(contact_to_card(Contact(display_name="A", body=Body("a\r\nb")), "u"))
    assert card.note.value == "a\nb"


def test_a_contact_without_display_name_gets_an_fn() -> None:
    cases = [
        (Contact(given_name="Ann", surname="Lee"), "Ann Lee"),
        (Contact(company_name="Acme"), "Acme"),
        (
            Contact(email_addresses=[EmailAddress(email="a@example.org", label="EmailAddress2")]),
            "a@example.org",
        ),
        (Contact(physical_addresses=[PhysicalAddress(label="Home")]), "Unnamed contact"),
    ]
    for contact, fn in cases:
        card = vobject.readOne(contact_to_card(contact, "u"))
        assert card.fn.value == fn
        assert "adr" not in card.contents  # an address without any part is left out


def test_text_that_is_not_one_vcard_is_refused() -> None:
    with pytest.raises(InvalidVCard):
        card_to_contact("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:No UID\r\nEND:VCARD\r\n")


def test_control_characters_from_outlook_are_left_out_of_the_card() -> None:
    card = contact_to_card(Contact(display_name="A\x0bB", body=Body("x\x00y\tz")), "u")
    assert "\x0b" not in card and "\x00" not in card
    assert vobject.readOne(card).note.value == "xy\tz"
    assert "\r\n" in card
