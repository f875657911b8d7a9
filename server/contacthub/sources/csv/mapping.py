"""Which CSV column goes to which contact field: the Mapping, its JSON form, and suggestions.

JSON shape (stored with a sync, sent through the API)::

    {"version": 1,
     "columns": [
       {"column": "First Name", "field": "given_name"},
       {"column": "E-mail 1 - Value", "field": "email.other", "type_from": "E-mail 1 - Label"},
       {"column": "Shoe size", "field": "custom:Shoe size"}]}

A column absent from ``columns`` is not imported; ``"field": "none"`` means the same and is
dropped when read. ``type_from`` (email, phone and address fields only) names a column whose
value ("Work", "* Home", "Mobile" ...) sets the type row by row; the field's own type is the
default when that label is empty or unknown. Address parts that share a ``type_from`` column
form one address (Google's "Address 1 - ..." columns); without one, parts form one address
per type (Outlook's "Business Street", "Business City", ...).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from contacthub.errors import UserError
from contacthub.sources.csv.fields import (
    NOT_IMPORTED,
    InvalidField,
    field_info,
    is_field,
    takes_type_labels,
)

JSON_VERSION = 1


class MappingError(UserError):
    """A mapping that cannot be used; the message names the bad entry."""


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    column: str
    field: str
    type_from: str | None = None

    def to_dict(self) -> dict[str, str]:
        entry = {"column": self.column, "field": self.field}
        if self.type_from is not None:
            entry["type_from"] = self.type_from
        return entry


@dataclass
class Mapping:
    """Column name → ColumnMapping, in the order columns were mapped."""

    columns: dict[str, ColumnMapping] = field(default_factory=dict)

    def set(self, column: str, field_id: str, *, type_from: str | None = None) -> None:
        """Map ``column`` to ``field_id`` (``none`` unmaps it); raises MappingError."""
        entry = _checked(ColumnMapping(column, field_id, type_from), f"column {column!r}")
        if entry is None:
            self.columns.pop(column, None)
        else:
            self.columns[column] = entry

    def remove(self, column: str) -> None:
        self.columns.pop(column, None)

    def field_of(self, column: str) -> str | None:
        entry = self.columns.get(column)
        return entry.field if entry else None

    def __iter__(self) -> Iterator[ColumnMapping]:
        return iter(self.columns.values())

    def __len__(self) -> int:
        return len(self.columns)

    def to_json(self) -> dict[str, Any]:
        return {"version": JSON_VERSION, "columns": [entry.to_dict() for entry in self]}

    @classmethod
    def from_json(cls, data: Any) -> Mapping:
        if not isinstance(data, dict) or not isinstance(data.get("columns"), list):
            raise MappingError('a mapping is an object with a "columns" list')
        if data.get("version", JSON_VERSION) != JSON_VERSION:
            raise MappingError(f"unknown mapping version {data.get('version')!r}")
        mapping = cls()
        for number, raw in enumerate(data["columns"], start=1):
            where = f"mapping entry {number}"
            if not isinstance(raw, dict):
                raise MappingError(f"{where}: expected an object, got {raw!r}")
            unknown = set(raw) - {"column", "field", "type_from"}
            if unknown:
                raise MappingError(f"{where}: unknown keys {sorted(unknown)}")
            column, field_id = raw.get("column"), raw.get("field")
            type_from = raw.get("type_from")
            if not isinstance(column, str) or not column:
                raise MappingError(f'{where}: "column" must be a non-empty string')
            if not isinstance(field_id, str):
                raise MappingError(f'{where} (column {column!r}): "field" must be a string')
            if type_from is not None and not isinstance(type_from, str):
                raise MappingError(f'{where} (column {column!r}): "type_from" must be a string')
            if column in mapping.columns:
                raise MappingError(f"{where}: column {column!r} is mapped twice")
            entry = _checked(
                ColumnMapping(column, field_id, type_from), f"{where} (column {column!r})"
            )
            if entry is not None:
                mapping.columns[column] = entry
        return mapping

    def check(self, header: Iterable[str]) -> None:
        """Raise MappingError naming the first entry whose columns the file does not have."""
        names = set(header)
        for entry in self:
            if entry.column not in names:
                raise MappingError(f"column {entry.column!r} is not in the file")
            if entry.type_from is not None and entry.type_from not in names:
                raise MappingError(
                    f"column {entry.column!r}: its type column "
                    f"{entry.type_from!r} is not in the file"
                )


def _checked(entry: ColumnMapping, where: str) -> ColumnMapping | None:
    try:
        info = field_info(entry.field)
    except InvalidField as error:
        raise MappingError(f"{where}: {error}") from None
    if info.id == NOT_IMPORTED:
        return None
    if entry.type_from is not None and not takes_type_labels(info.id):
        raise MappingError(f"{where}: only email, phone and address fields take a type column")
    if entry.type_from == entry.column:
        raise MappingError(f"{where}: a column cannot be its own type column")
    return ColumnMapping(entry.column, info.id, entry.type_from)


def mapping_to_json(mapping: Mapping) -> dict[str, Any]:
    return mapping.to_json()


def mapping_from_json(data: Any) -> Mapping:
    return Mapping.from_json(data)


def parse_assignment(text: str) -> tuple[str, str]:
    """``"COLUMN=FIELD"`` (a command-line --map) → (column, field id).

    The column name may itself contain "=": the split is at the last "=" followed by a field id.
    """
    positions = [i for i, ch in enumerate(text) if ch == "="]
    for position in reversed(positions):
        column, field_id = text[:position], text[position + 1 :]
        if column and is_field(field_id):
            return column, field_id
    if positions:
        field_id = text[positions[-1] + 1 :]
        raise MappingError(f"{text!r}: unknown field {field_id!r}")
    raise MappingError(f"{text!r}: expected COLUMN=FIELD")


# --- suggestions -------------------------------------------------------------------------


def header_key(name: str) -> str:
    """Without case, accents, spaces, punctuation: "Straße geschäftlich" → strassegeschaftlich."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


def _keys(field_id: str, *names: str) -> dict[str, str]:
    return {header_key(name): field_id for name in names}


def _address(kind: str, **parts: tuple[str, ...]) -> dict[str, str]:
    table: dict[str, str] = {}
    for part, names in parts.items():
        table.update(_keys(f"address.{kind}.{part}", *names))
    return table


_KNOWN: dict[str, str] = {
    **_keys(
        "full_name",
        "Name",
        "Full Name",
        "Display Name",
        "Contact Name",
        "Formatted Name",
        "FN",
        "Vollständiger Name",
    ),
    **_keys("given_name", "First Name", "Given Name", "Forename", "First", "Vorname"),
    **_keys("middle_name", "Middle Name", "Additional Name", "Weitere Vornamen", "Second Name"),
    **_keys("family_name", "Last Name", "Family Name", "Surname", "Last", "Nachname"),
    **_keys("name_prefix", "Name Prefix", "Prefix", "Salutation", "Anrede"),
    **_keys("name_suffix", "Name Suffix", "Suffix"),
    **_keys("nickname", "Nickname", "Nick", "Spitzname"),
    **_keys(
        "email.other",
        "E-mail",
        "Email",
        "Mail",
        "E-mail Address",
        "Email Address",
        "E-Mail-Adresse",
        "Emails",
        "Other Email",
    ),
    **_keys("email.work", "Work Email", "Business Email", "Email (Work)", "E-Mail geschäftlich"),
    **_keys(
        "email.home",
        "Home Email",
        "Personal Email",
        "Private Email",
        "Email (Home)",
        "E-Mail privat",
    ),
    **_keys(
        "phone.other",
        "Phone",
        "Telephone",
        "Tel",
        "Phone Number",
        "Telefon",
        "Telefonnummer",
        "Other Phone",
        "Primary Phone",
        "Callback",
        "Assistant's Phone",
        "Radio Phone",
        "ISDN",
        "Telex",
        "TTY/TDD Phone",
        "Weiteres Telefon",
        "Haupttelefon",
        "Rückmeldung",
        "Telefon Assistent",
        "Telefon für Hörbehinderte",
    ),
    **_keys(
        "phone.mobile",
        "Mobile",
        "Mobile Phone",
        "Mobile Phone 2",
        "Cell",
        "Cell Phone",
        "Mobile Number",
        "Handy",
        "Mobil",
        "Mobiltelefon",
        "Mobiltelefon 2",
        "Car Phone",
        "Autotelefon",
    ),
    **_keys(
        "phone.work",
        "Business Phone",
        "Business Phone 2",
        "Company Main Phone",
        "Work Phone",
        "Office Phone",
        "Telefon geschäftlich",
        "Telefon geschäftlich 2",
        "Telefon Firma",
    ),
    **_keys(
        "phone.home",
        "Home Phone",
        "Home Phone 2",
        "Private Phone",
        "Telefon privat",
        "Telefon privat 2",
    ),
    **_keys(
        "phone.fax",
        "Fax",
        "Fax Number",
        "Business Fax",
        "Home Fax",
        "Other Fax",
        "Fax geschäftlich",
        "Fax privat",
        "Weiteres Fax",
    ),
    **_keys("phone.pager", "Pager"),
    **_keys(
        "organisation",
        "Company",
        "Company Name",
        "Organization",
        "Organisation",
        "Organization Name",
        "Firma",
        "Unternehmen",
        "Employer",
    ),
    **_keys("department", "Department", "Organization Department", "Abteilung"),
    **_keys("job_title", "Job Title", "Organization Title", "Position", "Role"),
    **_address(
        "work",
        street=(
            "Business Street",
            "Business Street 2",
            "Business Street 3",
            "Straße geschäftlich",
            "Straße geschäftlich 2",
            "Straße geschäftlich 3",
        ),
        city=("Business City", "Ort geschäftlich"),
        region=("Business State", "Region geschäftlich", "Bundesland/Kanton geschäftlich"),
        postal_code=("Business Postal Code", "Postleitzahl geschäftlich"),
        country=("Business Country/Region", "Business Country", "Land/Region geschäftlich"),
        po_box=("Business Address PO Box", "Postfach geschäftlich"),
    ),
    **_address(
        "home",
        street=(
            "Home Street",
            "Home Street 2",
            "Home Street 3",
            "Straße privat",
            "Straße privat 2",
            "Straße privat 3",
        ),
        city=("Home City", "Ort privat"),
        region=("Home State", "Bundesland/Kanton privat", "Region privat"),
        postal_code=("Home Postal Code", "Postleitzahl privat"),
        country=("Home Country/Region", "Home Country", "Land/Region privat"),
        po_box=("Home Address PO Box", "Postfach privat"),
    ),
    **_address(
        "other",
        street=(
            "Other Street",
            "Other Street 2",
            "Other Street 3",
            "Weitere Straße",
            "Weitere Straße 2",
            "Weitere Straße 3",
            "Address",
            "Street",
            "Street Address",
            "Straße",
            "Adresse",
        ),
        city=("Other City", "Weiterer Ort", "City", "Town", "Stadt"),
        region=(
            "Other State",
            "Weiteres/r Bundesland/Kanton",
            "State",
            "Region",
            "Province",
            "Bundesland",
        ),
        postal_code=(
            "Other Postal Code",
            "Weitere Postleitzahl",
            "Zip",
            "Zip Code",
            "Postal Code",
            "Postcode",
            "PLZ",
            "Postleitzahl",
        ),
        country=("Other Country/Region", "Weiteres/e Land/Region", "Country", "Land"),
        po_box=("Other Address PO Box", "Weiteres Postfach", "PO Box", "Postfach"),
    ),
    **_keys("website", "Website", "Web Site", "Web Page", "Webseite", "URL", "Homepage", "Web"),
    **_keys("birthday", "Birthday", "Geburtstag", "Date of Birth", "DOB", "Birth Date", "BDAY"),
    **_keys("notes", "Notes", "Note", "Notizen", "Comments", "Comment", "Bemerkungen"),
    **_keys(
        "categories",
        "Categories",
        "Category",
        "Kategorien",
        "Labels",
        "Group Membership",
        "Groups",
        "Group",
        "Tags",
    ),
}

# Google's numbered groups, in both export formats: "E-mail 1 - Value", "Phone 2 - Label",
# "Address 1 - Postal Code", "Website 1 - Value", "Organization 1 - Name" (older format).
_GOOGLE = re.compile(r"^(email|phone|address|website|organization)(\d+)([a-z]+)$")
_GOOGLE_ADDRESS_PARTS = {
    "street": "street",
    "city": "city",
    "region": "region",
    "postalcode": "postal_code",
    "country": "country",
    "pobox": "po_box",
    "extendedaddress": "extended",
}
_GOOGLE_ORGANIZATION = {"name": "organisation", "title": "job_title", "department": "department"}
_NUMBERED_EMAIL = re.compile(r"^email(\d+)(address|adresse)?$")  # Outlook, English and German
_NUMBERED_PHONE = re.compile(r"^phone(\d+)$")


def _label_column(group: str, number: str, by_key: dict[str, str]) -> str | None:
    for suffix in ("label", "type"):
        column = by_key.get(f"{group}{number}{suffix}")
        if column is not None:
            return column
    return None


def _suggest_one(key: str, by_key: dict[str, str]) -> ColumnMapping | None:
    """The suggestion for one column (its name is filled in by the caller)."""
    if key in _KNOWN:
        return ColumnMapping("", _KNOWN[key])
    if _NUMBERED_EMAIL.match(key):
        return ColumnMapping("", "email.other")
    if _NUMBERED_PHONE.match(key):
        return ColumnMapping("", "phone.other")
    google = _GOOGLE.match(key)
    if not google:
        return None
    group, number, rest = google.groups()
    label = _label_column(group, number, by_key)
    if group in ("email", "phone") and rest == "value":
        return ColumnMapping("", f"{group}.other", label)
    if group == "address" and rest in _GOOGLE_ADDRESS_PARTS:
        return ColumnMapping("", f"address.other.{_GOOGLE_ADDRESS_PARTS[rest]}", label)
    if group == "website" and rest == "value":
        return ColumnMapping("", "website")
    if group == "organization" and rest in _GOOGLE_ORGANIZATION:
        return ColumnMapping("", _GOOGLE_ORGANIZATION[rest])
    return None


def suggest_mapping(header: Iterable[str]) -> Mapping:
    """A mapping guessed from the column names; columns it does not recognise stay unmapped.

    Recognises Google Contacts' current and older CSV exports, Outlook's (English and German)
    and plain names, ignoring case, accents, spaces and punctuation.
    """
    names = list(header)
    by_key: dict[str, str] = {}
    for name in names:
        by_key.setdefault(header_key(name), name)
    mapping = Mapping()
    titles: list[str] = []
    towns: list[str] = []
    for name in names:
        key = header_key(name)
        if key in ("title", "ort"):
            (titles if key == "title" else towns).append(name)
            continue
        suggestion = _suggest_one(key, by_key)
        if suggestion is not None:
            mapping.columns[name] = ColumnMapping(name, suggestion.field, suggestion.type_from)
    # "Title" is the honorific in Outlook's export, which has "Job Title" as well; alone, it
    # is a job title. "Ort" is the office location in Outlook's German export (beside
    # "Ort geschäftlich"); alone, it is the town.
    has_job_title = any(entry.field == "job_title" for entry in mapping)
    for name in titles:
        field_id = "name_prefix" if has_job_title else "job_title"
        mapping.columns[name] = ColumnMapping(name, field_id)
    if "ortgeschaftlich" not in by_key:
        for name in towns:
            mapping.columns[name] = ColumnMapping(name, "address.other.city")
    return Mapping({name: mapping.columns[name] for name in names if name in mapping.columns})
