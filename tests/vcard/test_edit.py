"""Editing a card written by an older exporter: quoted-printable values and vCard 2.1's
bare parameters."""

from __future__ import annotations

from contacthub.vcard.edit import EditableFields, editable_fields, edited

CARD_2_1 = (
    "BEGIN:VCARD\r\nVERSION:2.1\r\nUID:u\r\nFN:Ann\r\n"
    "NOTE;ENCODING=QUOTED-PRINTABLE:Caf=C3=A9 noir\r\n"
    "TEL;WORK;VOICE;CHARSET=UTF-8:+41 1\r\n"
    "ADR;ENCODING=QUOTED-PRINTABLE:;;Stra=C3=9Fe 1;Z=C3=BCrich\r\n"
    "END:VCARD\r\n"
)


def test_an_edit_that_changes_nothing_keeps_encoded_lines() -> None:
    fields = editable_fields(CARD_2_1)
    assert fields == EditableFields("Ann", "", (), ("+41 1",), "Café noir")
    assert edited(CARD_2_1, fields) == CARD_2_1


def test_a_changed_encoded_value_is_written_plain_with_its_other_parameters() -> None:
    new = edited(CARD_2_1, EditableFields("Ann", "", (), ("+41 2",), "a=b"))
    assert new == CARD_2_1.replace(
        "NOTE;ENCODING=QUOTED-PRINTABLE:Caf=C3=A9 noir", "NOTE:a=b"
    ).replace("TEL;WORK;VOICE;CHARSET=UTF-8:+41 1", "TEL;WORK;VOICE:+41 2")
