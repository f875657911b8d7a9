"""ContactFields: one contact as plain values, what a CSV row becomes and a vCard is made of."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

# The words for a value with control characters, wherever a person typed it.
INVALID_CHARACTERS = "Invalid characters found"
_DOMAIN_DOTS = str.maketrans({"\u3002": ".", "\uff0e": ".", "\uff61": "."})
_EMAIL = re.compile(r"[^@\s]+@([^@\s]+)")


class Email(NamedTuple):
    value: str
    type: str  # "home", "work" or "other"
    primary: bool = False


class Phone(NamedTuple):
    value: str
    type: str  # "mobile", "home", "work", "fax", "pager" or "other"
    primary: bool = False


class Address(NamedTuple):
    type: str  # "home", "work" or "other"
    street: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    po_box: str = ""
    extended: str = ""
    primary: bool = False


UNNAMED = "Unnamed contact"  # the FN of a card with no name, organization, email or phone


@dataclass(slots=True)
class ContactFields:
    full_name: str = ""
    given: str = ""
    family: str = ""
    middle: str = ""
    prefix: str = ""
    suffix: str = ""
    nickname: str = ""
    emails: list[Email] = field(default_factory=list)
    phones: list[Phone] = field(default_factory=list)
    organisation: str = ""
    department: str = ""
    job_title: str = ""
    addresses: list[Address] = field(default_factory=list)
    websites: list[str] = field(default_factory=list)
    birthday: str = ""  # ISO 8601: YYYY-MM-DD, or --MM-DD without a year
    notes: str = ""
    categories: list[str] = field(default_factory=list)
    custom: dict[str, str] = field(default_factory=dict)  # X-NAME → value

    def derived_full_name(self) -> str:
        """The full name, else one made of the name parts, organisation, first email or phone
        (as iOS and macOS name a card without one). The prefix ("Frau", "Dr.") stays in N
        only: Google and Apple show FN as the name, and nobody files "Frau Anna Schröder"
        under F."""
        if self.full_name:
            return self.full_name
        parts = (self.given, self.middle, self.family, self.suffix)
        name = " ".join(part for part in parts if part)
        if name:
            return name
        if self.nickname:
            return self.nickname
        if self.organisation:
            return self.organisation
        if self.emails:
            return self.emails[0].value
        if self.phones:
            return self.phones[0].value
        return ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (emails, phones and addresses as objects)."""
        data = asdict(self)
        data["emails"] = [email._asdict() for email in self.emails]
        data["phones"] = [phone._asdict() for phone in self.phones]
        data["addresses"] = [address._asdict() for address in self.addresses]
        return data


def is_plausible_email(value: str) -> bool:
    """One "@", no spaces, something before it and a dot inside the domain (IDN dots too)."""
    match = _EMAIL.fullmatch(value)
    if not match:
        return False
    domain = match.group(1).translate(_DOMAIN_DOTS)
    return 0 < domain.find(".") and domain.rfind(".") < len(domain) - 1
