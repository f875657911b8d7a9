"""The contact fields a CSV column can be mapped to, with stable ids.

Field ids are short ASCII strings, safe in JSON and on a command line
(``--map "E-mail=email.work"``):

- names: ``full_name``, ``given_name``, ``family_name``, ``middle_name``, ``name_prefix``,
  ``name_suffix``, ``nickname``
- ``email.<type>``, type one of ``home``, ``work``, ``other``; a contact may have several
- ``phone.<type>``, type one of ``mobile``, ``home``, ``work``, ``fax``, ``pager``, ``other``
- ``organisation``, ``department``, ``job_title``
- ``address.<type>.<part>``, type one of ``home``, ``work``, ``other``, part one of
  ``street``, ``city``, ``region``, ``postal_code``, ``country``, ``po_box``, ``extended``
- ``website``, ``birthday``, ``notes``, ``categories``
- ``custom:<name>``: a field the admin names, stored as an X- property (see
  ``custom_property_name`` for the exact rule: "Shoe size" → ``X-SHOE-SIZE``)
- ``none``: not imported (the same as leaving the column out of the mapping)

The type in ``email.*``, ``phone.*`` and ``address.*`` is the default; a mapping entry may name
a label column (Google's "E-mail 1 - Label") whose value sets the type row by row.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from contacthub.errors import UserError

NOT_IMPORTED = "none"
CUSTOM_PREFIX = "custom:"

EMAIL_TYPES = ("home", "work", "other")
PHONE_TYPES = ("mobile", "home", "work", "fax", "pager", "other")
ADDRESS_TYPES = ("home", "work", "other")
ADDRESS_PARTS = ("street", "city", "region", "postal_code", "country", "po_box", "extended")

_TYPE_LABELS = {
    "home": "home",
    "work": "work",
    "other": "other",
    "mobile": "mobile",
    "fax": "fax",
    "pager": "pager",
}
_PART_LABELS = {
    "street": "street",
    "city": "city",
    "region": "region (state, province)",
    "postal_code": "postal code",
    "country": "country",
    "po_box": "PO box",
    "extended": "extended address",
}
# Prefix reserved for the properties contacthub itself writes (X-CONTACTHUB-KEY, ...).
RESERVED_PROPERTY_PREFIX = "X-CONTACTHUB-"


class InvalidField(UserError):
    """A field id that is not in the catalogue, or a custom name that cannot be stored."""


@dataclass(frozen=True, slots=True)
class FieldInfo:
    id: str
    label: str
    group: str

    def to_dict(self) -> dict[str, str]:
        return {"id": self.id, "label": self.label, "group": self.group}


def _catalogue() -> list[FieldInfo]:
    fields = [
        FieldInfo("full_name", "Full name", "Name"),
        FieldInfo("given_name", "Given (first) name", "Name"),
        FieldInfo("family_name", "Family (last) name", "Name"),
        FieldInfo("middle_name", "Middle name", "Name"),
        FieldInfo("name_prefix", "Name prefix (Dr., Ms.)", "Name"),
        FieldInfo("name_suffix", "Name suffix (Jr., PhD)", "Name"),
        FieldInfo("nickname", "Nickname", "Name"),
    ]
    fields += [FieldInfo(f"email.{t}", f"Email ({_TYPE_LABELS[t]})", "Email") for t in EMAIL_TYPES]
    fields += [FieldInfo(f"phone.{t}", f"Phone ({_TYPE_LABELS[t]})", "Phone") for t in PHONE_TYPES]
    fields += [
        FieldInfo("organisation", "Organisation", "Work"),
        FieldInfo("department", "Department", "Work"),
        FieldInfo("job_title", "Job title", "Work"),
    ]
    fields += [
        FieldInfo(f"address.{t}.{p}", f"Address ({_TYPE_LABELS[t]}): {_PART_LABELS[p]}", "Address")
        for t in ADDRESS_TYPES
        for p in ADDRESS_PARTS
    ]
    fields += [
        FieldInfo("website", "Website", "Other"),
        FieldInfo("birthday", "Birthday", "Other"),
        FieldInfo("notes", "Notes", "Other"),
        FieldInfo("categories", "Categories (groups, labels)", "Other"),
    ]
    return fields


_FIELDS = _catalogue()
_BY_ID = {field.id: field for field in _FIELDS}


def all_fields() -> list[FieldInfo]:
    """Every fixed field, in the order an admin page lists them, then "not imported".

    Custom fields are open-ended: ``custom:<name>`` with a name the admin types.
    """
    return [*_FIELDS, FieldInfo(NOT_IMPORTED, "Not imported", "Other")]


def custom_field(name: str) -> str:
    """The field id of a custom field named ``name`` (checked: see custom_property_name)."""
    custom_property_name(name)
    return CUSTOM_PREFIX + name.strip()


def custom_property_name(name: str) -> str:
    """The vCard property a custom field is stored in.

    The rule: accents are dropped (Unicode NFKD, combining marks removed), letters are
    upper-cased ("ß" → "SS"), every run of characters other than A-Z and 0-9 becomes one "-",
    "-" at either end is dropped, and "X-" is put in front unless the result already starts
    with "X-". "Shoe size" → X-SHOE-SIZE, "Schuhgröße" → X-SCHUHGROSSE,
    "x-twitter" → X-TWITTER. A name left with no letter or digit, or one in X-CONTACTHUB-
    (reserved for contacthub's own properties), is refused with InvalidField.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()
    core = re.sub(r"[^A-Z0-9]+", "-", bare).strip("-")
    if not core:
        raise InvalidField(f"custom field name {name!r} needs at least one letter A-Z or digit")
    prop = core if core.startswith("X-") else f"X-{core}"
    if prop + "-" == RESERVED_PROPERTY_PREFIX or prop.startswith(RESERVED_PROPERTY_PREFIX):
        raise InvalidField(f"custom field name {name!r} is reserved for contacthub")
    return prop


def field_info(field_id: str) -> FieldInfo:
    """The catalogue entry of ``field_id`` (custom fields and "none" included)."""
    if field_id.startswith(CUSTOM_PREFIX):
        name = field_id[len(CUSTOM_PREFIX) :]
        return FieldInfo(custom_field(name), f"Custom: {name.strip()}", "Custom")
    if field_id == NOT_IMPORTED:
        return FieldInfo(NOT_IMPORTED, "Not imported", "Other")
    try:
        return _BY_ID[field_id]
    except KeyError:
        raise InvalidField(f"unknown field {field_id!r}") from None


def is_field(field_id: str) -> bool:
    try:
        field_info(field_id)
    except InvalidField:
        return False
    return True


def kind_of(field_id: str) -> str:
    """ "email", "phone", "address", "custom", or the id itself for single-purpose fields."""
    if field_id.startswith(CUSTOM_PREFIX):
        return "custom"
    return field_id.split(".", 1)[0]


def takes_type_labels(field_id: str) -> bool:
    """Whether a label column may choose this field's type row by row."""
    return kind_of(field_id) in ("email", "phone", "address")
