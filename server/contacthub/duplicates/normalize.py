"""Matching keys: an email, a phone number or a name as two cards of one person write it
alike.

- An email: the local part case-folded, the domain case-folded and kept in its ASCII form
  (IDNA 2008 with UTS 46 mapping: "Bücher.example" and "xn--bcher-kva.example" are one
  key, the latter); a domain IDNA refuses is kept case-folded as written.
- A phone: E.164 ("+37255551234"), a number without a country code read in the account's
  region (none set: such a number has no key). A trunk prefix written in parentheses,
  "(0)", is dropped when the number is not valid with it. A number written with its
  country code ("+", or "00" where that is the region's international prefix) is "+"
  and its digits when they are 8 to 15 and nothing in them is for `phonenumbers` to
  strip (a trunk prefix, a "(0)" of a country without the trunk prefix 0): that is
  `phonenumbers`' E.164 for every valid number, without its parse (a third of a first
  find's time); such a number that `phonenumbers` would call invalid (a range it does
  not know yet) keys all the same. Every other number goes through `phonenumbers`,
  once per its digits and region ("5555 1234" and "5555-1234" are one parse); one that
  does not parse as a valid number of its region keeps no key: short codes, extensions
  alone and typing errors match nothing rather than everything.
- A name: NFKC, case-folded, accents stripped, punctuation removed, its words sorted:
  "Doe, Jane", "jane doe" and "Jane Dóe" are "doe jane". A name that is an email address
  (a card harvested from a mailbox with no name) is no name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
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


def phone_key(number: str, region: str | None) -> str | None:
    """The E.164 form of a phone number, read in `region` (ISO 3166 alpha-2) when it has no
    country code; None for a number that is not a valid one."""
    written = number.strip()
    bare = _SEPARATOR.sub("", _TRUNK_IN_PARENTHESES.sub(_TRUNK, written))
    if not _DIGITS_AND_SEPARATORS.fullmatch(written) or "+" in bare[1:]:
        # Letters, an extension, a "+" inside: phonenumbers reads the text as written.
        return _parsed_key(written, region) or (
            _parsed_key(_TRUNK_IN_PARENTHESES.sub("", written), region)
            if _TRUNK_IN_PARENTHESES.search(written)
            else None
        )
    return _written_key(bare, region)


_TRUNK = "T"  # a "(0)" in a number reduced to its digits
_DIGITS_AND_SEPARATORS = re.compile(r"[0-9+\-./() \t]+")
_SEPARATOR = re.compile(r"[^0-9T+]")
_E164_DIGITS = range(8, 16)


@lru_cache(maxsize=262144)
def _written_key(bare: str, region: str | None) -> str | None:
    """The key of a number reduced to its digits, a leading "+" and T for a "(0)"."""
    international = _international_digits(bare, region)
    if international is not None:
        known = _known_international(international)
        if known is not None:
            return known
    as_written = bare.replace(_TRUNK, "0")
    if _TRUNK not in bare:
        return _national_key(as_written, region)
    return _national_key(as_written, region) or _national_key(bare.replace(_TRUNK, ""), region)


@lru_cache(maxsize=65536)
def _national_key(digits: str, region: str | None) -> str | None:
    """A number's key, checked against the region's ranges without a parse where the
    region strips nothing from a national number (no trunk prefix: Estonia, Latvia, ...)."""
    plain = _plain_national(region or "")
    if (
        plain is None
        or not digits.isdigit()
        or not 2 <= len(digits) <= 17
        or digits.startswith(plain.code)
        or plain.way_out.match(digits)
    ):
        return _parsed_key(digits, region)
    if plain.ranges is not None:
        # The digits are the national significant number as phonenumbers keeps it
        # (leading zeros included), and its E.164 is "+", the code and them.
        return f"+{plain.code}{digits}" if plain.ranges.valid(digits) else None
    number = phonenumbers.PhoneNumber(country_code=int(plain.code), national_number=int(digits))
    zeros = len(digits) - len(digits.lstrip("0"))
    if zeros:  # as phonenumbers' parse keeps them (Italy's leading zero)
        number.italian_leading_zero = True
        if min(zeros, len(digits) - 1) != 1:
            number.number_of_leading_zeros = min(zeros, len(digits) - 1)
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_Range = tuple[frozenset[int], re.Pattern[str]]  # the lengths (none: any) and the pattern


@dataclass(frozen=True)
class _Ranges:
    """A region's valid national numbers as `phonenumbers.is_valid_number` tells them for
    a country code of that region alone: within the general ranges, and within the
    ranges of one type (fixed line, mobile, toll free, ...), each by its lengths and its
    pattern matched whole, compiled once instead of per number."""

    general: _Range
    types: tuple[_Range, ...]

    def valid(self, digits: str) -> bool:
        return _within(digits, self.general) and any(_within(digits, r) for r in self.types)

    @classmethod
    def of(cls, metadata: phonenumbers.PhoneMetadata) -> _Ranges | None:
        general = _range(metadata.general_desc)
        if general is None:
            return None
        descs = [
            metadata.premium_rate,
            metadata.toll_free,
            metadata.shared_cost,
            metadata.voip,
            metadata.personal_number,
            metadata.pager,
            metadata.uan,
            metadata.voicemail,
            metadata.fixed_line,
        ]
        if not metadata.same_mobile_and_fixed_line_pattern:
            descs.append(metadata.mobile)
        types = [r for r in (_range(desc) for desc in descs) if r is not None]
        return cls(general, tuple(types))


def _range(desc: phonenumbers.PhoneNumberDesc | None) -> _Range | None:
    if desc is None or not desc.national_number_pattern:
        return None  # (phonenumbers: matches no number)
    return frozenset(desc.possible_length or ()), re.compile(desc.national_number_pattern)


def _within(digits: str, of: _Range) -> bool:
    lengths, pattern = of
    return (not lengths or len(digits) in lengths) and pattern.fullmatch(digits) is not None


@dataclass(frozen=True)
class _PlainNational:
    code: str  # the country code, as digits
    way_out: re.Pattern[str]  # the international prefix
    ranges: _Ranges | None  # None: the code is several regions' (phonenumbers picks one)


# Per region, when first asked: the table of every region loads phonenumbers' metadata
# of all 245 of them, about 40 ms that every process paid at its start, checking a phone or not.
@lru_cache(maxsize=512)  # regions: a few hundred at most, whatever a card says
def _plain_national(region: str) -> _PlainNational | None:
    """How a number written in `region` is read without a parse, where that region strips
    nothing from a national number (None: where it does, or it is no region)."""
    if region not in phonenumbers.SUPPORTED_REGIONS:
        return None
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if (
        metadata is None
        or metadata.national_prefix_for_parsing
        or metadata.national_prefix
        or not metadata.international_prefix
    ):
        return None
    sharing = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(metadata.country_code or 0, ())
    alone = len(sharing) == 1
    return _PlainNational(
        str(metadata.country_code),
        re.compile(metadata.international_prefix),
        _Ranges.of(metadata) if alone else None,
    )


def _international_digits(bare: str, region: str | None) -> str | None:
    """The digits after a "+" (or after "00" where that is the way out of the region)."""
    if bare.startswith("+"):
        return bare[1:]
    if bare.startswith("00") and (region is None or _leaves_with_00(region)):
        return bare[2:]
    return None


@lru_cache(maxsize=512)
def _leaves_with_00(region: str) -> bool:
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    pattern = metadata.international_prefix if metadata else None
    return pattern is not None and re.fullmatch(pattern, "00") is not None


def _known_international(digits: str) -> str | None:
    """ "+" and the digits, when phonenumbers would read them so; None: ask it."""
    for length in (1, 2, 3):
        code = digits[:length]
        if _TRUNK in code:
            return None
        trunk_prefixes = _TRUNK_PREFIXES.get(int(code)) if code else None
        if trunk_prefixes is None:
            continue
        national = digits[length:]
        if national.startswith(_TRUNK):
            if not trunk_prefixes.zero:
                return None
            national = national[1:]
        if (
            _TRUNK in national
            or national.startswith("0")
            or (trunk_prefixes.pattern is not None and trunk_prefixes.pattern.match(national))
            or len(code) + len(national) not in _E164_DIGITS
        ):
            return None
        return f"+{code}{national}"
    return None


@dataclass(frozen=True)
class _TrunkPrefixes:
    """What phonenumbers strips after a country code (a trunk prefix, a carrier code)."""

    pattern: re.Pattern[str] | None
    zero: bool  # the trunk prefix is 0: a "(0)" is one


def _trunk_prefixes() -> dict[int, _TrunkPrefixes]:
    found: dict[int, _TrunkPrefixes] = {}
    for code, regions in phonenumbers.COUNTRY_CODE_TO_REGION_CODE.items():
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(regions[0])
        if metadata is None:  # a non-geographic code (+800, +882, ...): phonenumbers reads it
            continue
        parsing = metadata.national_prefix_for_parsing or metadata.national_prefix
        found[code] = _TrunkPrefixes(
            re.compile(parsing) if parsing else None, metadata.national_prefix == "0"
        )
    return found


_TRUNK_PREFIXES = _trunk_prefixes()


@lru_cache(maxsize=65536)
def _parsed_key(number: str, region: str | None) -> str | None:
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
    if stripped.isascii():  # (NFKC, NFKD and accents change nothing in it)
        bare = stripped.lower()
    else:
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
