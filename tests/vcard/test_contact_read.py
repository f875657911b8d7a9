"""A stored card read back into ContactFields (what a CSV export writes), and a 2.1
card's encoded line break kept as a line break when converted."""

from __future__ import annotations

import vobject

from contacthub.vcard.contact_read import contact_fields
from contacthub.vcard.fields import Address, ContactFields, Email, Phone
from contacthub.vcard.versions import V3, V4, converted, without_quoted_printable
from contacthub.vcard.write import to_vcard

ANDROID = (
    "BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen;;;\r\n"
    "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BCller\r\n"
    "TEL;CELL;PREF:+49 171 2345678\r\nEMAIL;HOME:j@example.de\r\n"
    "NOTE;ENCODING=QUOTED-PRINTABLE:Zeile eins=0D=0AZeile zwei\r\nEND:VCARD\r\n"
)


def test_what_the_writer_wrote_is_read_back() -> None:
    fields = ContactFields(
        full_name="Dr. Ann Lee",
        given="Ann",
        family="Lee",
        prefix="Dr.",
        nickname="Annie, the first",
        emails=[Email("ann@work.example", "work", True), Email("ann@example.org", "other")],
        phones=[Phone("+1 555 0100", "mobile"), Phone("+1 555 0101", "fax", True)],
        organisation="Lee; Sons",
        department="R&D",
        job_title="Chemist",
        addresses=[Address("home", street="1 Road\nFlat 2", city="Town", po_box="7")],
        websites=["https://ann.example/"],
        birthday="--04-15",
        notes="Line one\nLine two, with; marks",
        categories=["Friends", "A,B"],
    )
    assert contact_fields(to_vcard(fields, "u1")) == fields


def test_a_2_1_card_and_its_4_0_form_read_alike() -> None:
    expected = ContactFields(
        full_name="Jürgen Müller",
        given="Jürgen",
        family="Müller",
        emails=[Email("j@example.de", "home")],
        phones=[Phone("+49 171 2345678", "mobile", True)],
        notes="Zeile eins\nZeile zwei",
    )
    assert contact_fields(ANDROID) == expected
    assert contact_fields(converted(ANDROID, V4)) == expected


def test_apples_birthday_without_a_year() -> None:
    card = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\n"
        "BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-15\r\nEND:VCARD\r\n"
    )
    assert contact_fields(card).birthday == "--04-15"


def test_an_encoded_line_break_stays_in_its_value_when_converted() -> None:
    for text in (without_quoted_printable(ANDROID), converted(ANDROID, V4)):
        card = vobject.readOne(text)
        assert card.note.value == "Zeile eins\nZeile zwei"
        assert "NOTE:Zeile eins\\nZeile zwei" in text
    assert converted(without_quoted_printable(ANDROID), V3).count("Zeile") == 2
