"""A custom field is shown under the name a person gave it in a CSV mapping, and
contacthub's own properties apart from what a person reads."""

from __future__ import annotations

from contacthub.sources.csv.custom_names import custom_names
from contacthub.web.admin.books import details

CARD = "\r\n".join(
    [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "UID:u1",
        "FN:Ann Archer",
        "X-SHOE-SIZE:38",
        "X-SCHUHGROSSE:39",
        "X-OTHER-PROGRAM:kept",
        "X-CONTACTHUB-KEY:123456789",
        "END:VCARD",
        "",
    ]
)


def test_the_names_come_from_the_mappings_first_one_first() -> None:
    mappings = [
        {"columns": [{"column": "Shoe", "field": "custom:Shoe size"}]},
        {
            "columns": [
                {"column": "S", "field": "custom:shoe  size"},
                {"column": "N", "field": "full_name"},
            ]
        },
        {"columns": [{"column": "G", "field": "custom:Schuhgröße"}]},
        {"columns": "not a list"},
        "not a mapping",
    ]
    assert custom_names(mappings) == {"X-SHOE-SIZE": "Shoe size", "X-SCHUHGROSSE": "Schuhgröße"}


def test_a_contact_shows_the_names_and_keeps_its_keys_apart() -> None:
    shown = details(CARD, {"X-SHOE-SIZE": "Shoe size", "X-SCHUHGROSSE": "Schuhgröße"})
    assert shown is not None
    assert [(what, detail.value) for what, detail in shown.others] == [
        ("Shoe size", "38"),
        ("Schuhgröße", "39"),
        ("X-OTHER-PROGRAM", "kept"),
    ]
    assert [(what, detail.value) for what, detail in shown.technical] == [
        ("UID", "u1"),
        ("Import key (X-CONTACTHUB-KEY)", "123456789"),
    ]
