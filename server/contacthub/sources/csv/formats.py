"""Contacts written as Google's and Outlook's CSV exports: the headers the importer
recognises (mapping.py suggests a field for each), so an exported file imports again to
the same contacts.

Google's format (its current export): one numbered group of columns per email, phone,
address and website, each with a label ("* Work" marks the preferred one). A row has
room for EMAILS, PHONES, ADDRESSES and WEBSITES of them; more emails, phones or websites
go into the last group's cells separated by " ::: ", as Google writes several values of
one label. Addresses after the third are left out.

Outlook's format (its English export): fixed columns per kind (Business Phone, Home Fax,
E-mail 2 Address...). A phone goes to the first free column of its type, then to a free
"other" column, then into Other Phone after " ::: "; emails after the third into E-mail 3
Address the same way; one address each of business, home and other (an address whose
type is taken goes to other if that is free, else it is left out); street lines into
Street, Street 2 and Street 3, the extended address as the first street line.

Neither format has a full-name column: the importer names a contact from its name parts.
A contact with a full name and no name parts is written with the full name as its first
name, so it comes back under the same name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from contacthub.sources.csv.labels import MULTI_SEPARATOR, PRIMARY_MARK
from contacthub.vcard.fields import Address, ContactFields, Email, Phone

GOOGLE_EMAILS = 4
GOOGLE_PHONES = 4
GOOGLE_ADDRESSES = 3
GOOGLE_WEBSITES = 2
_GOOGLE_ADDRESS_PARTS = (
    ("Formatted", ""),
    ("Street", "street"),
    ("City", "city"),
    ("PO Box", "po_box"),
    ("Region", "region"),
    ("Postal Code", "postal_code"),
    ("Country", "country"),
    ("Extended Address", "extended"),
)
GOOGLE_HEADER: tuple[str, ...] = (
    "First Name",
    "Middle Name",
    "Last Name",
    "Phonetic First Name",
    "Phonetic Middle Name",
    "Phonetic Last Name",
    "Name Prefix",
    "Name Suffix",
    "Nickname",
    "File As",
    "Organization Name",
    "Organization Title",
    "Organization Department",
    "Birthday",
    "Notes",
    "Photo",
    "Labels",
    *(f"E-mail {n} - {part}" for n in range(1, GOOGLE_EMAILS + 1) for part in ("Label", "Value")),
    *(f"Phone {n} - {part}" for n in range(1, GOOGLE_PHONES + 1) for part in ("Label", "Value")),
    *(
        f"Address {n} - {part}"
        for n in range(1, GOOGLE_ADDRESSES + 1)
        for part in ("Label", *(name for name, _ in _GOOGLE_ADDRESS_PARTS))
    ),
    *(
        f"Website {n} - {part}"
        for n in range(1, GOOGLE_WEBSITES + 1)
        for part in ("Label", "Value")
    ),
)
_GOOGLE_SYSTEM_LABEL = "* myContacts"
_GOOGLE_LABELS = {
    "home": "Home",
    "work": "Work",
    "other": "Other",
    "mobile": "Mobile",
    "fax": "Fax",
    "pager": "Pager",
}

OUTLOOK_HEADER: tuple[str, ...] = tuple(
    "Title,First Name,Middle Name,Last Name,Suffix,Company,Department,Job Title,"
    "Business Street,Business Street 2,Business Street 3,Business City,Business State,"
    "Business Postal Code,Business Country/Region,Home Street,Home Street 2,Home Street 3,"
    "Home City,Home State,Home Postal Code,Home Country/Region,Other Street,Other Street 2,"
    "Other Street 3,Other City,Other State,Other Postal Code,Other Country/Region,"
    "Assistant's Phone,Business Fax,Business Phone,Business Phone 2,Callback,Car Phone,"
    "Company Main Phone,Home Fax,Home Phone,Home Phone 2,ISDN,Mobile Phone,Other Fax,"
    "Other Phone,Pager,Primary Phone,Radio Phone,TTY/TDD Phone,Telex,Account,Anniversary,"
    "Assistant's Name,Billing Information,Birthday,Business Address PO Box,Categories,"
    "Children,Directory Server,E-mail Address,E-mail Type,E-mail Display Name,"
    "E-mail 2 Address,E-mail 2 Type,E-mail 2 Display Name,E-mail 3 Address,E-mail 3 Type,"
    "E-mail 3 Display Name,Gender,Government ID Number,Hobby,Home Address PO Box,Initials,"
    "Internet Free Busy,Keywords,Language,Location,Manager's Name,Mileage,Notes,"
    "Office Location,Organizational ID Number,Other Address PO Box,Priority,Private,"
    "Profession,Referred By,Sensitivity,Spouse,User 1,User 2,User 3,User 4,Web Page".split(",")
)
# The phone columns of each type, in the order they are filled; the columns of "other"
# (those the importer reads as phone.other) take what a type has no room for.
_OUTLOOK_PHONES = {
    "work": ("Business Phone", "Business Phone 2", "Company Main Phone"),
    "home": ("Home Phone", "Home Phone 2"),
    "mobile": ("Mobile Phone", "Car Phone"),
    "fax": ("Business Fax", "Home Fax", "Other Fax"),
    "pager": ("Pager",),
    "other": (
        "Other Phone",
        "Primary Phone",
        "Callback",
        "Assistant's Phone",
        "Radio Phone",
        "ISDN",
        "Telex",
        "TTY/TDD Phone",
    ),
}
_OUTLOOK_EMAILS = ("E-mail Address", "E-mail 2 Address", "E-mail 3 Address")
_OUTLOOK_ADDRESSES = {"work": "Business", "home": "Home", "other": "Other"}


def _named(fields: ContactFields) -> ContactFields:
    """`fields` with the full name as the first name when the name parts would not give it
    back (the importer derives a contact's name from them)."""
    no_name = (fields.given, fields.middle, fields.family, fields.suffix, fields.prefix)
    if any(no_name) or not fields.full_name:
        return fields
    if replace(fields, full_name="").derived_full_name() == fields.full_name:
        return fields
    return replace(fields, given=fields.full_name)


def _joined(values: Iterable[str]) -> str:
    return MULTI_SEPARATOR.join(values)


def _google_label(kind: str, primary: bool) -> str:
    return (PRIMARY_MARK if primary else "") + _GOOGLE_LABELS[kind]


def _slots(values: list[str], count: int) -> list[str]:
    """`values` in `count` cells: the last cell holds whatever does not fit before it."""
    cells = values[: count - 1]
    rest = values[count - 1 :]
    cells.append(_joined(rest))
    return cells + [""] * (count - len(cells))


def google_row(contact: ContactFields) -> list[str]:
    """The cells of `contact` under GOOGLE_HEADER."""
    fields = _named(contact)
    row = {
        "First Name": fields.given,
        "Middle Name": fields.middle,
        "Last Name": fields.family,
        "Name Prefix": fields.prefix,
        "Name Suffix": fields.suffix,
        "Nickname": fields.nickname,
        "File As": fields.full_name,
        "Organization Name": fields.organisation,
        "Organization Title": fields.job_title,
        "Organization Department": fields.department,
        "Birthday": fields.birthday,
        "Notes": fields.notes,
        "Labels": _joined([_GOOGLE_SYSTEM_LABEL, *fields.categories]),
    }
    _google_group(row, "E-mail", GOOGLE_EMAILS, fields.emails)
    _google_group(row, "Phone", GOOGLE_PHONES, fields.phones)
    for number, address in enumerate(fields.addresses[:GOOGLE_ADDRESSES], start=1):
        prefix = f"Address {number} - "
        row[prefix + "Label"] = _google_label(address.type, address.primary)
        row[prefix + "Formatted"] = _formatted(address)
        for column, part in _GOOGLE_ADDRESS_PARTS:
            if part:
                row[prefix + column] = getattr(address, part)
    for number, website in enumerate(_slots(fields.websites, GOOGLE_WEBSITES), start=1):
        row[f"Website {number} - Value"] = website
    return [row.get(column, "") for column in GOOGLE_HEADER]


def _google_group(
    row: dict[str, str], name: str, count: int, values: list[Email] | list[Phone]
) -> None:
    labels = _slots([_google_label(value.type, value.primary) for value in values], count)
    cells = _slots([value.value for value in values], count)
    for number, (label, cell) in enumerate(zip(labels, cells, strict=True), start=1):
        row[f"{name} {number} - Label"] = label
        row[f"{name} {number} - Value"] = cell


def _formatted(address: Address) -> str:
    town = " ".join(part for part in (address.postal_code, address.city) if part)
    lines = (address.extended, address.street, address.po_box, town, address.region)
    return "\n".join(part for part in (*lines, address.country) if part)


def outlook_row(contact: ContactFields) -> list[str]:
    """The cells of `contact` under OUTLOOK_HEADER."""
    fields = _named(contact)
    row = {
        "Title": fields.prefix,
        "First Name": fields.given,
        "Middle Name": fields.middle,
        "Last Name": fields.family,
        "Suffix": fields.suffix,
        "Company": fields.organisation,
        "Department": fields.department,
        "Job Title": fields.job_title,
        "Birthday": _outlook_date(fields.birthday),
        "Categories": ";".join(fields.categories),
        "Notes": fields.notes,
        "Web Page": _joined(fields.websites),
    }
    _outlook_phones(row, fields.phones)
    emails = [email.value for email in fields.emails]
    for column, cell in zip(_OUTLOOK_EMAILS, _slots(emails, len(_OUTLOOK_EMAILS)), strict=True):
        row[column] = cell
        if cell:
            row[column.replace("Address", "Type")] = "SMTP"
    _outlook_addresses(row, fields.addresses)
    return [row.get(column, "") for column in OUTLOOK_HEADER]


def _outlook_phones(row: dict[str, str], phones: list[Phone]) -> None:
    overflow: list[str] = []
    for phone in phones:
        free = _free(row, (*_OUTLOOK_PHONES[phone.type], *_OUTLOOK_PHONES["other"]))
        if free is None:
            overflow.append(phone.value)
        else:
            row[free] = phone.value
    if overflow:
        row["Other Phone"] = _joined([row["Other Phone"], *overflow])


def _free(row: dict[str, str], columns: Iterable[str]) -> str | None:
    return next((column for column in columns if not row.get(column)), None)


def _outlook_addresses(row: dict[str, str], addresses: list[Address]) -> None:
    taken: set[str] = set()
    for address in addresses:
        kinds = (address.type, "other")
        prefix = next((_OUTLOOK_ADDRESSES[k] for k in kinds if k not in taken), None)
        if prefix is None:
            continue
        taken.add(next(k for k in kinds if _OUTLOOK_ADDRESSES[k] == prefix))
        lines = [line for line in (address.extended, *address.street.split("\n")) if line]
        lines = [*lines[:2], "\n".join(lines[2:])] if len(lines) > 3 else lines
        for column, line in zip(("Street", "Street 2", "Street 3"), lines, strict=False):
            row[f"{prefix} {column}"] = line
        row[f"{prefix} City"] = address.city
        row[f"{prefix} State"] = address.region
        row[f"{prefix} Postal Code"] = address.postal_code
        row[f"{prefix} Country/Region"] = address.country
        row[f"{prefix} Address PO Box"] = address.po_box


def _outlook_date(birthday: str) -> str:
    """Outlook's month/day/year; a birthday without a year as --MM-DD (Outlook has none)."""
    year, _, rest = birthday.partition("-")
    if not birthday or not year.isdigit() or len(rest) != 5:
        return birthday
    month, day = rest.split("-")
    return f"{int(month)}/{int(day)}/{year}"


ROW_WRITERS: dict[str, Callable[[ContactFields], list[str]]] = {
    "google-csv": google_row,
    "outlook-csv": outlook_row,
}
HEADERS: dict[str, tuple[str, ...]] = {
    "google-csv": GOOGLE_HEADER,
    "outlook-csv": OUTLOOK_HEADER,
}
