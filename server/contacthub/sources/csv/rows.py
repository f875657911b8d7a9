"""Apply a Mapping to CSV rows: ContactFields plus the problems of each row.

Cell values are stripped of surrounding whitespace and their line breaks become "\\n".
Several columns on one single-valued field are joined ("\\n" for notes and streets, " "
otherwise); email, phone, website and address fields collect every value. A cell the reader
flagged ("Invalid characters found") is left out. Invalid email addresses and birthdays are
reported and left out; the rest of the row is still used.

A row is usable when it yields a full name: the mapped one, or one derived from the name
parts, organisation, first email or first phone (``ContactFields.derived_full_name``). A row
with no mapped value is reported as "empty row"; one with values but nothing to name the
contact by (only a birthday, say) as "no name, organisation, email address or phone number".
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from contacthub.sources.csv import labels
from contacthub.sources.csv.dates import InvalidDate, parse_birthday
from contacthub.sources.csv.fields import custom_property_name, kind_of
from contacthub.sources.csv.mapping import Mapping
from contacthub.sources.csv.problems import (
    EMPTY_ROW,
    INVALID_BIRTHDAY,
    INVALID_EMAIL,
    NOTHING_TO_NAME,
    Problem,
)
from contacthub.sources.csv.reader import CsvFile, Row
from contacthub.vcard.fields import Address, ContactFields, Email, Phone, is_plausible_email

_TEXT_ATTRIBUTES = {
    "full_name": "full_name",
    "given_name": "given",
    "family_name": "family",
    "middle_name": "middle",
    "name_prefix": "prefix",
    "name_suffix": "suffix",
    "nickname": "nickname",
    "organisation": "organisation",
    "department": "department",
    "job_title": "job_title",
    "notes": "notes",
}
_LINE_JOINED = frozenset({"notes", "street"})
# Dots that end a domain label: ASCII and the ideographic/full-width ones (IDN).


def clean(cell: str) -> str:
    if "\r" in cell:
        cell = cell.replace("\r\n", "\n").replace("\r", "\n")
    return cell.strip()


@dataclass(frozen=True, slots=True)
class ContactRow:
    line: int
    fields: ContactFields
    problems: tuple[Problem, ...]

    @property
    def usable(self) -> bool:
        """Whether the row makes a contact (it has something to name it by)."""
        return bool(self.fields.full_name)


@dataclass(frozen=True, slots=True)
class _Step:
    index: int
    column: str
    kind: str  # see fields.kind_of
    field: str
    label_index: int | None


class RowConverter:
    """A Mapping compiled against one header; ``convert`` turns a Row into a ContactRow."""

    def __init__(self, mapping: Mapping, header: list[str]) -> None:
        mapping.check(header)
        position = {name: index for index, name in enumerate(header)}
        self._steps = [
            _Step(
                position[entry.column],
                entry.column,
                kind_of(entry.field),
                entry.field,
                position[entry.type_from] if entry.type_from is not None else None,
            )
            for entry in mapping
        ]
        self._custom_names = {
            step.field: custom_property_name(step.field.split(":", 1)[1])
            for step in self._steps
            if step.kind == "custom"
        }

    def convert(self, row: Row) -> ContactRow:
        fields = ContactFields()
        problems = list(row.problems)
        if row.broken:
            return ContactRow(row.line, fields, tuple(problems))
        texts: dict[str, list[str]] = {}
        # Address parts gathered per group: (type column or default type) → part → cells.
        addresses: dict[tuple[int | None, str], dict[str, list[str]]] = {}
        address_labels: dict[tuple[int | None, str], str] = {}
        found_value = False
        for step in self._steps:
            if step.index in row.invalid:
                continue
            value = clean(row.cells[step.index])
            if not value:
                continue
            found_value = True
            label = ""
            if step.label_index is not None and step.label_index not in row.invalid:
                label = clean(row.cells[step.label_index])
            kind = step.kind
            if kind in _TEXT_ATTRIBUTES:
                texts.setdefault(kind, []).append(value)
            elif kind == "email":
                self._emails(fields, value, label, step, row.line, problems)
            elif kind == "phone":
                _phones(fields, value, label, step.field.split(".")[1])
            elif kind == "address":
                _, default_type, part = step.field.split(".")
                key = (step.label_index, default_type)
                addresses.setdefault(key, {}).setdefault(part, []).append(value)
                address_labels[key] = label
            elif kind == "website":
                fields.websites.extend(
                    labels.split_primary(part)[0] for part in labels.split_multi(value)
                )
            elif kind == "birthday":
                try:
                    fields.birthday = parse_birthday(value)
                except InvalidDate:
                    problems.append(Problem(row.line, step.column, INVALID_BIRTHDAY))
            elif kind == "categories":
                for category in labels.split_categories(value):
                    if category not in fields.categories:
                        fields.categories.append(category)
            elif kind == "custom":
                name = self._custom_names[step.field]
                previous = fields.custom.get(name)
                fields.custom[name] = f"{previous} {value}" if previous else value
        for kind, values in texts.items():
            separator = "\n" if kind in _LINE_JOINED else " "
            setattr(fields, _TEXT_ATTRIBUTES[kind], separator.join(values))
        for key, parts in addresses.items():
            fields.addresses.extend(_addresses(parts, address_labels[key], key[1]))
        fields.full_name = fields.derived_full_name()
        if not found_value and not row.problems:
            problems.append(Problem(row.line, None, EMPTY_ROW))
        elif found_value and not fields.full_name:
            problems.append(Problem(row.line, None, NOTHING_TO_NAME))
        return ContactRow(row.line, fields, tuple(problems))

    @staticmethod
    def _emails(
        fields: ContactFields,
        cell: str,
        label_cell: str,
        step: _Step,
        line: int,
        problems: list[Problem],
    ) -> None:
        values = labels.split_emails(cell)
        label_list = labels.split_multi(label_cell)
        default = step.field.split(".")[1]
        count = len(values)
        for index, raw in enumerate(values):
            value, primary = labels.split_primary(raw)
            label, label_primary = labels.split_primary(labels.label_for(label_list, index, count))
            if not is_plausible_email(value):
                problems.append(Problem(line, step.column, INVALID_EMAIL))
                continue
            fields.emails.append(
                Email(value, labels.email_type(label, default), primary or label_primary)
            )


def _phones(fields: ContactFields, cell: str, label_cell: str, default: str) -> None:
    values = labels.split_multi(cell)
    label_list = labels.split_multi(label_cell)
    count = len(values)
    for index, raw in enumerate(values):
        value, primary = labels.split_primary(raw)
        label, label_primary = labels.split_primary(labels.label_for(label_list, index, count))
        if value:
            fields.phones.append(
                Phone(value, labels.phone_type(label, default), primary or label_primary)
            )


def _addresses(parts: dict[str, list[str]], label_cell: str, default: str) -> list[Address]:
    # Google writes several addresses of one slot as " ::: "-separated parts, in step.
    split = {part: [labels.split_multi(cell) for cell in cells] for part, cells in parts.items()}
    count = max(len(values) for cells in split.values() for values in cells)
    label_list = labels.split_multi(label_cell)
    result = []
    for index in range(count):
        values: dict[str, str] = {}
        for part, cells in split.items():
            pieces = [values_[index] for values_ in cells if index < len(values_)]
            separator = "\n" if part in _LINE_JOINED else " "
            values[part] = separator.join(pieces)
        if not any(values.values()):
            continue
        label, primary = labels.split_primary(labels.label_for(label_list, index, count))
        result.append(Address(labels.address_type(label, default), primary=primary, **values))
    return result


def contact_rows(csv_file: CsvFile, mapping: Mapping) -> Iterator[ContactRow]:
    """Every data row of ``csv_file`` through ``mapping``, streamed."""
    converter = RowConverter(mapping, csv_file.header)
    for row in csv_file.rows():
        yield converter.convert(row)
