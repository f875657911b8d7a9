"""The field catalogue, custom field names, suggestions from plain names, the Mapping's JSON."""

from __future__ import annotations

import json

import pytest

from contacthub.sources.csv import (
    InvalidField,
    Mapping,
    MappingError,
    all_fields,
    custom_field,
    custom_property_name,
    mapping_from_json,
    mapping_to_json,
    parse_assignment,
    suggest_mapping,
)


def test_catalogue_lists_every_field_once_with_a_label() -> None:
    ids = [field.id for field in all_fields()]
    assert len(ids) == len(set(ids))
    for expected in (
        "full_name",
        "given_name",
        "family_name",
        "middle_name",
        "name_prefix",
        "name_suffix",
        "nickname",
        "email.home",
        "email.work",
        "email.other",
        "phone.mobile",
        "phone.home",
        "phone.work",
        "phone.fax",
        "phone.other",
        "organisation",
        "department",
        "job_title",
        "address.home.street",
        "address.work.city",
        "address.other.country",
        "address.home.postal_code",
        "address.work.region",
        "website",
        "birthday",
        "notes",
        "categories",
        "none",
    ):
        assert expected in ids
    assert all(field.label for field in all_fields())


@pytest.mark.parametrize(
    ("name", "prop"),
    [
        ("Shoe size", "X-SHOE-SIZE"),
        ("  Schuhgröße ", "X-SCHUHGROSSE"),
        ("x-twitter", "X-TWITTER"),
        ("Membership #", "X-MEMBERSHIP"),
        ("2nd phone (old)", "X-2ND-PHONE-OLD"),
    ],
)
def test_custom_property_names(name: str, prop: str) -> None:
    assert custom_property_name(name) == prop


@pytest.mark.parametrize("name", ["日本語", "---", "", "X-CONTACTHUB-KEY", "contacthub"])
def test_custom_names_that_cannot_be_stored(name: str) -> None:
    with pytest.raises(InvalidField):
        custom_field(name)


@pytest.mark.parametrize(
    ("column", "field"),
    [
        ("Name", "full_name"),
        ("Full Name", "full_name"),
        ("FIRST NAME", "given_name"),
        ("first_name", "given_name"),
        ("E-mail", "email.other"),
        ("Email", "email.other"),
        ("e-mail address", "email.other"),
        ("Phone", "phone.other"),
        ("Mobile", "phone.mobile"),
        ("Company", "organisation"),
        ("Organization", "organisation"),
        ("Title", "job_title"),
        ("Address", "address.other.street"),
        ("City", "address.other.city"),
        ("ZIP", "address.other.postal_code"),
        ("Country", "address.other.country"),
        ("Birthday", "birthday"),
        ("Notes", "notes"),
        ("Email 2", "email.other"),
    ],
)
def test_plain_names(column: str, field: str) -> None:
    assert suggest_mapping([column]).field_of(column) == field


def test_unknown_columns_stay_unmapped() -> None:
    mapping = suggest_mapping(["Customer no.", "Shoe size", "Name"])
    assert [entry.column for entry in mapping] == ["Name"]


def test_edit_a_mapping_and_round_trip_it_through_json() -> None:
    mapping = suggest_mapping(["Name", "E-mail", "Shoe size", "Internal"])
    mapping.set("Shoe size", custom_field("Shoe size"))
    mapping.set("E-mail", "email.work")
    mapping.set("Internal", "none")
    mapping.remove("Name")
    data = json.loads(json.dumps(mapping_to_json(mapping)))
    assert data == {
        "version": 1,
        "columns": [
            {"column": "E-mail", "field": "email.work"},
            {"column": "Shoe size", "field": "custom:Shoe size"},
        ],
    }
    assert mapping_from_json(data) == mapping


def test_json_with_type_columns_round_trips() -> None:
    mapping = suggest_mapping(["E-mail 1 - Label", "E-mail 1 - Value"])
    assert Mapping.from_json(mapping.to_json()) == mapping
    assert mapping.to_json()["columns"] == [
        {"column": "E-mail 1 - Value", "field": "email.other", "type_from": "E-mail 1 - Label"}
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], 'a mapping is an object with a "columns" list'),
        (
            {"columns": [{"column": "A", "field": "email.mobile"}]},
            "mapping entry 1 (column 'A'): unknown field 'email.mobile'",
        ),
        (
            {
                "columns": [
                    {"column": "A", "field": "given_name"},
                    {"column": "A", "field": "notes"},
                ]
            },
            "mapping entry 2: column 'A' is mapped twice",
        ),
        (
            {"columns": [{"column": "A", "field": "notes", "type_from": "B"}]},
            "mapping entry 1 (column 'A'): only email, phone and address fields take a type column",
        ),
        ({"columns": [{"column": "", "field": "notes"}]}, 'mapping entry 1: "column" must be'),
        (
            {"columns": [{"column": "A", "field": "custom:???"}]},
            "mapping entry 1 (column 'A'): custom field name '???' needs",
        ),
        (
            {"columns": [{"column": "A", "field": "notes", "colour": "red"}]},
            "mapping entry 1: unknown keys ['colour']",
        ),
        ({"version": 2, "columns": []}, "unknown mapping version 2"),
    ],
)
def test_invalid_json_names_the_bad_entry(data: object, message: str) -> None:
    with pytest.raises(MappingError) as caught:
        Mapping.from_json(data)
    assert str(caught.value).startswith(message)


def test_check_against_a_header() -> None:
    mapping = Mapping.from_json(
        {"columns": [{"column": "Phone", "field": "phone.other", "type_from": "Kind"}]}
    )
    mapping.check(["Phone", "Kind"])
    with pytest.raises(MappingError, match="column 'Phone': its type column 'Kind'"):
        mapping.check(["Phone"])
    with pytest.raises(MappingError, match="column 'Phone' is not in the file"):
        mapping.check(["Kind"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("E-mail=email.work", ("E-mail", "email.work")),
        ("a=b=notes", ("a=b", "notes")),
        ("Shoe size=custom:Shoe size", ("Shoe size", "custom:Shoe size")),
        ("Internal=none", ("Internal", "none")),
    ],
)
def test_command_line_assignments(text: str, expected: tuple[str, str]) -> None:
    assert parse_assignment(text) == expected


@pytest.mark.parametrize("text", ["E-mail", "E-mail=mail.work", "=notes"])
def test_bad_command_line_assignments(text: str) -> None:
    with pytest.raises(MappingError):
        parse_assignment(text)
