"""vCard 3.0 ↔ Exchange contact fields (exchangelib's ``Contact``), both ways.

Mapped: FN ↔ display_name; N ↔ surname, given_name, middle_name; up to three EMAILs ↔
EmailAddress1..3; TEL by type ↔ phone labels (see ``PHONE_LABELS``); ADR TYPE=WORK/HOME/other
↔ the Business/Home/Other addresses; ORG ↔ company_name;department; TITLE ↔ job_title;
BDAY ↔ birthday; NOTE ↔ body; CATEGORIES ↔ categories.

What Exchange cannot hold is dropped when a card goes to Exchange: a fourth email, a phone or
address whose labels are all taken, name prefix and suffix, and the PO box and extended
address parts, which are folded into the street lines; names, company, department, title and
categories are cut to 255 characters. A birthday without a year is stored in
year 1604, the convention of Apple's Exchange client, and comes back without a year.
"""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser
from typing import Any

import vobject
from exchangelib.fields import DateTimeBackedDateField
from exchangelib.indexed_properties import EmailAddress, PhoneNumber, PhysicalAddress
from exchangelib.items import Contact
from exchangelib.properties import Body, HTMLBody

from contacthub.vcard.fields import UNNAMED
from contacthub.vcard.parse import parse_one

EMAIL_LABELS = ("EmailAddress1", "EmailAddress2", "EmailAddress3")
# Exchange label → vCard TEL types written for it. A card's TEL takes the first free label
# whose types it has (VOICE and PREF aside, see _phone_label); the order is the preference.
PHONE_LABELS: dict[str, tuple[str, ...]] = {
    "MobilePhone": ("CELL",),
    "BusinessFax": ("WORK", "FAX"),
    "HomeFax": ("HOME", "FAX"),
    "OtherFax": ("FAX",),
    "Pager": ("PAGER",),
    "CarPhone": ("CAR",),
    "Isdn": ("ISDN",),
    "AssistantPhone": ("X-ASSISTANT",),
    "Callback": ("X-CALLBACK",),
    "CompanyMainPhone": ("WORK", "X-COMPANY-MAIN"),
    "RadioPhone": ("X-RADIO",),
    "Telex": ("X-TELEX",),
    "TtyTddPhone": ("X-TTYTDD",),
    "BusinessPhone": ("WORK", "VOICE"),
    "BusinessPhone2": ("WORK", "VOICE"),
    "HomePhone": ("HOME", "VOICE"),
    "HomePhone2": ("HOME", "VOICE"),
    "PrimaryPhone": ("PREF", "VOICE"),
    "OtherTelephone": ("VOICE",),
}
# Types that say what kind of line a number is: a TEL with one of these only takes a label
# that has it too, so a fax never lands in BusinessPhone.
_KIND_TYPES = frozenset(
    {
        "CELL",
        "FAX",
        "PAGER",
        "CAR",
        "ISDN",
        "X-ASSISTANT",
        "X-CALLBACK",
        "X-COMPANY-MAIN",
        "X-RADIO",
        "X-TELEX",
        "X-TTYTDD",
    }
)
_TYPE_ALIASES = {"IPHONE": "CELL", "TEXTPHONE": "X-TTYTDD"}  # Apple's and vCard 4.0's
ADDRESS_LABELS = {"WORK": "Business", "HOME": "Home"}  # anything else is "Other"
_ADDRESS_TYPES = {"Business": "WORK", "Home": "HOME", "Other": None}
_YEARLESS = 1604  # Apple's year for birthdays without one; Exchange needs a year
_MAX_NAME = 255  # Exchange's limit for names, company, department, title and categories
# Outlook lets control characters into notes; the hub's cards must not have them (tab aside).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _BirthdayField(DateTimeBackedDateField):
    """Exchange keeps a birthday as midnight in the zone of the client that set it, and
    answers in UTC: 1990-05-17 set by an Outlook in Berlin comes as 1990-05-16T22:00:00Z.
    exchangelib takes the UTC date, a day early east of Greenwich; the nearest midnight is
    the day (right for zones from UTC-11 to UTC+12). The hub writes 11:59 UTC (exchangelib's
    default time for this field), which is that day too."""

    def from_xml(self, elem: Any, account: Any) -> datetime.date | None:
        moment = self._datetime_field.from_xml(elem=elem, account=account)
        return None if moment is None else (moment + datetime.timedelta(hours=12)).date()


def _read_birthdays_by_the_nearest_midnight() -> None:
    old = Contact.get_field_by_fieldname("birthday")
    if isinstance(old, _BirthdayField):
        return
    before = Contact.FIELDS[Contact.FIELDS.index_by_name("birthday") - 1].name
    new = _BirthdayField("birthday", field_uri=old.field_uri, default_time=datetime.time(11, 59))
    Contact.remove_field(old)
    Contact.add_field(new, insert_after=before)


_read_birthdays_by_the_nearest_midnight()


def card_to_contact(vcard_text: str) -> dict[str, Any]:
    """The exchangelib ``Contact`` field values of a vCard, every mapped field present.

    Fields the card lacks are None, so that an update clears them in Exchange. Raises
    ``contacthub.vcard.parse.InvalidVCard`` for text that is not one vCard with a UID and an FN.
    """
    card = parse_one(vcard_text)
    given = family = middle = ""
    if "n" in card.contents:
        n = card.n.value
        family, given, middle = _joined(n.family), _joined(n.given), _joined(n.additional)
    org: str | list[str] = next((value for value in _values(card, "org") if value), [])
    units = [_joined(unit).strip() for unit in (org if isinstance(org, list) else [org])]
    company = units[0] if units else ""
    department = ", ".join(unit for unit in units[1:] if unit)
    categories = [
        str(c)[:_MAX_NAME]
        for value in _values(card, "categories")
        for c in (value if isinstance(value, list) else [value])
        if str(c).strip()
    ]
    note = _first(card, "note")
    return {
        "display_name": _first(card, "fn")[:_MAX_NAME],
        "given_name": given[:_MAX_NAME] or None,
        "surname": family[:_MAX_NAME] or None,
        "middle_name": middle[:_MAX_NAME] or None,
        "email_addresses": _emails(card) or None,
        "phone_numbers": _phones(card) or None,
        "physical_addresses": _addresses(card) or None,
        "company_name": company[:_MAX_NAME] or None,
        "department": department[:_MAX_NAME] or None,
        "job_title": _first(card, "title")[:_MAX_NAME] or None,
        "birthday": _birthday(_first(card, "bday")),
        "body": Body(note) if note else None,
        "categories": categories or None,
    }


def contact_to_card(contact: Contact, uid: str) -> str:
    """vCard 3.0 text of an Exchange contact, with ``uid`` as its UID."""
    card = vobject.vCard()
    card.add("uid").value = uid
    card.add("fn").value = _display_name(contact)
    card.add("n").value = vobject.vcard.Name(
        family=contact.surname or "",
        given=contact.given_name or "",
        additional=contact.middle_name or "",
    )
    emails = {e.label: e.email for e in contact.email_addresses or [] if e.email}
    for label in EMAIL_LABELS:
        if label in emails:
            prop = card.add("email")
            prop.value = emails[label]
            prop.type_param = "INTERNET"
    phones = {p.label: p.phone_number for p in contact.phone_numbers or [] if p.phone_number}
    for label, types in PHONE_LABELS.items():
        if label in phones:
            prop = card.add("tel")
            prop.value = phones[label]
            prop.type_paramlist = list(types)
    addresses = {a.label: a for a in contact.physical_addresses or []}
    for label, adr_type in _ADDRESS_TYPES.items():
        address = addresses.get(label)
        if address is None or not any(
            (address.street, address.city, address.state, address.zipcode, address.country)
        ):
            continue
        prop = card.add("adr")
        prop.value = vobject.vcard.Address(
            street=address.street or "",
            city=address.city or "",
            region=address.state or "",
            code=address.zipcode or "",
            country=address.country or "",
        )
        if adr_type:
            prop.type_param = adr_type
    if contact.company_name or contact.department:
        org = [contact.company_name or ""]
        if contact.department:
            org.append(contact.department)
        card.add("org").value = org
    if contact.job_title:
        card.add("title").value = contact.job_title
    if contact.birthday:
        card.add("bday").value = _bday_text(contact.birthday)
    notes = _body_text(contact.body)
    if notes:
        card.add("note").value = notes
    if contact.categories:
        card.add("categories").value = list(contact.categories)
    return _CONTROL.sub("", card.serialize())


# -- vCard → Exchange -----------------------------------------------------------------------


def _values(card: Any, name: str) -> list[Any]:
    return [prop.value for prop in card.contents.get(name, [])]


def _first(card: Any, name: str) -> str:
    for value in _values(card, name):
        text = _joined(value).strip()
        if text:
            return text
    return ""


def _joined(value: Any) -> str:
    # vobject gives a component with unescaped commas as a list of its values
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value or "")


def _types(prop: Any) -> set[str]:
    """The TYPE values of a property, in vCard 3.0 (TYPE=a,b) and 2.1 (;A;B) spelling."""
    values = list(prop.params.get("TYPE", [])) + list(prop.singletonparams)
    types = {part.strip().upper() for value in values for part in str(value).split(",")}
    return {_TYPE_ALIASES.get(t, t) for t in types}


def _emails(card: Any) -> list[EmailAddress]:
    props = [p for p in card.contents.get("email", []) if str(p.value).strip()]
    props.sort(key=lambda p: "PREF" not in _types(p))  # stable: preferred first, else as given
    return [
        EmailAddress(email=str(p.value).strip(), label=label)
        for p, label in zip(props, EMAIL_LABELS, strict=False)
    ]


def _phones(card: Any) -> list[PhoneNumber]:
    taken: set[str] = set()
    phones = []
    for prop in card.contents.get("tel", []):
        number = str(prop.value).strip()
        label = _phone_label(_types(prop), taken) if number else None
        if label:
            taken.add(label)
            phones.append(PhoneNumber(label=label, phone_number=number))
    return phones


def _phone_label(types: set[str], taken: set[str]) -> str | None:
    kinds = types & _KIND_TYPES
    for label, label_types in PHONE_LABELS.items():
        wanted = set(label_types) - {"VOICE"}
        if label not in taken and wanted <= types and kinds <= set(label_types):
            return label
    # A number whose labels are all taken goes to OtherTelephone rather than being lost.
    return "OtherTelephone" if "OtherTelephone" not in taken else None


def _addresses(card: Any) -> list[PhysicalAddress]:
    addresses: dict[str, PhysicalAddress] = {}
    for prop in card.contents.get("adr", []):
        adr = prop.value
        types = _types(prop)
        wanted = next((ADDRESS_LABELS[t] for t in ("WORK", "HOME") if t in types), "Other")
        label = next((lab for lab in (wanted, "Other") if lab not in addresses), None)
        street = "\n".join(
            part
            for part in (_joined(adr.street), _joined(adr.extended), _joined(adr.box))
            if part.strip()
        )
        values = {
            "street": street,
            "city": _joined(adr.city),
            "state": _joined(adr.region),
            "zipcode": _joined(adr.code),
            "country": _joined(adr.country),
        }
        if label is None or not any(v.strip() for v in values.values()):
            continue
        addresses[label] = PhysicalAddress(
            label=label, **{key: value.strip() or None for key, value in values.items()}
        )
    return list(addresses.values())


_BDAY = re.compile(r"^(\d{4}|--)-?(\d{2})-?(\d{2})")


def _birthday(text: str) -> datetime.date | None:
    match = _BDAY.match(text)
    if not match:
        return None
    year, month, day = match.groups()
    try:
        return datetime.date(_YEARLESS if year == "--" else int(year), int(month), int(day))
    except ValueError:
        return None  # e.g. 1980-02-30: nothing Exchange could store


# -- Exchange → vCard -----------------------------------------------------------------------


def _display_name(contact: Contact) -> str:
    names = (
        contact.display_name,
        " ".join(p for p in (contact.given_name, contact.middle_name, contact.surname) if p),
        contact.file_as,
        contact.company_name,
        next((e.email for e in contact.email_addresses or [] if e.email), None),
        next((p.phone_number for p in contact.phone_numbers or [] if p.phone_number), None),
    )
    # A vCard needs an FN; a contact with none of these is empty in Outlook as well.
    return next((name.strip() for name in names if name and name.strip()), UNNAMED)


def _bday_text(value: datetime.date) -> str:
    if value.year == _YEARLESS:
        return value.strftime("--%m-%d")
    return value.isoformat()


def _body_text(body: str | None) -> str:
    if not body:
        return ""
    if isinstance(body, HTMLBody):
        return _html_to_text(str(body))
    return str(body).replace("\r\n", "\n").strip()


class _TextOfHtml(HTMLParser):
    _BREAKS = frozenset({"br", "p", "div", "li", "tr"})

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("style", "script", "head"):
            self._skip += 1
        elif tag == "br":
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(re.sub(r"\s+", " ", data))


def _html_to_text(html: str) -> str:
    """Outlook keeps notes as HTML; a vCard NOTE is plain text."""
    parser = _TextOfHtml()
    parser.feed(html)
    parser.close()
    lines = (line.strip() for line in "".join(parser.parts).splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
