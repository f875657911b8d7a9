"""Matching keys: an email, a phone number or a name as two cards of one person write it
alike.

- An email: the local part case-folded, the domain case-folded and kept in its ASCII form
  (IDNA 2008 with UTS 46 mapping: "Bücher.example" and "xn--bcher-kva.example" are one
  key, the latter); a domain IDNA refuses is kept case-folded as written.
- A phone: E.164 ("+37255551234") through `phonenumbers`, a number without a country code
  read in the account's region (none set: such a number has no key). A trunk prefix
  written in parentheses, "(0)", is dropped when the number is not valid with it. A
  number that does not parse as a valid number of its region keeps no key: short codes,
  extensions alone and typing errors match nothing rather than everything.
- A name: NFKC, case-folded, accents stripped, punctuation removed, its words sorted:
  "Doe, Jane", "jane doe" and "Jane Dóe" are "doe jane". A name that is an email address
  (a card harvested from a mailbox with no name) is no name.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import idna
import phonenumbers

REGIONS = frozenset(phonenumbers.SUPPORTED_REGIONS)

_TRUNK_IN_PARENTHESES = re.compile(r"\(\s*0\s*\)")
_NOT_WORD = re.compile(r"[\W_]+")
_EMAIL_LIKE = re.compile(r"^[^@\s]+@[^@\s]+$")


@lru_cache(maxsize=65536)
def email_key(email: str) -> str | None:
    """The key of an email address; None for a value that is not one."""
    local, at, domain = email.strip().rpartition("@")
    if not at or not local or not domain:
        return None
    return f"{local.casefold()}@{_domain_key(domain)}"


def _domain_key(domain: str) -> str:
    folded = domain.casefold().rstrip(".")
    if folded.isascii():
        return folded
    try:
        return idna.encode(folded, uts46=True).decode("ascii")
    except idna.IDNAError:
        return folded


@lru_cache(maxsize=262144)
def phone_key(number: str, region: str | None) -> str | None:
    """The E.164 form of a phone number, read in `region` (ISO 3166 alpha-2) when it has no
    country code; None for a number that is not a valid one."""
    return _e164(number, region) or (
        _e164(_TRUNK_IN_PARENTHESES.sub("", number), region)
        if _TRUNK_IN_PARENTHESES.search(number)
        else None
    )


def _e164(number: str, region: str | None) -> str | None:
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def name_key(name: str) -> str:
    """The words of a name, normalised and sorted; "" for no name."""
    stripped = name.strip()
    if not stripped or _EMAIL_LIKE.match(stripped):
        return ""
    folded = unicodedata.normalize("NFKC", stripped).casefold()
    decomposed = unicodedata.normalize("NFKD", folded)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(sorted(_NOT_WORD.sub(" ", bare).split()))


def region_of(value: str | None) -> str | None:
    """A region code as the account's setting keeps it (upper case), or None for none;
    ValueError for a code phonenumbers does not know."""
    if value is None or not value.strip():
        return None
    code = value.strip().upper()
    if code not in REGIONS:
        raise ValueError(code)
    return code
