"""Which addresses of a message's headers become contacts, under which name.

Pure functions over header text (no IMAP here). A message counts unless it is list or bulk
traffic (List-Id, List-Unsubscribe, Precedence: bulk/list/junk, Auto-Submitted) or comes
from an automated sender (no-reply, mailer-daemon, notifications, bounces). Of a message
that counts, the From, To, Cc and Reply-To addresses are taken, except the account's own
and automated ones. Names are decoded from RFC 2047, internationalised domains from IDNA.
"""

from __future__ import annotations

import email.errors
import email.header
import email.message
import email.parser
import email.policy
import email.utils
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

ADDRESS_HEADERS = ("From", "To", "Cc", "Reply-To")
BULK_PRECEDENCE = frozenset({"bulk", "list", "junk"})
# Local parts (without ".", "_" and "-") that mean nobody reads the mailbox.
_AUTOMATED_ANYWHERE = ("noreply", "donotreply", "dontreply")
_AUTOMATED_PREFIXES = ("mailerdaemon", "postmaster", "bounce", "notification", "notify")
_SEPARATORS = re.compile(r"[._-]")
_SPACES = re.compile(r"\s+")
_FOLDED = re.compile(r"\r?\n(?=[ \t])")
# A Date more than this far ahead is a broken clock or spam; the server's date is used then.
_FUTURE_SLACK = timedelta(days=1)
_PARSER = email.parser.HeaderParser(policy=email.policy.compat32)


@dataclass(frozen=True)
class Correspondent:
    email: str  # lower case, domain in Unicode
    name: str  # "" when no real name was seen
    messages: int
    last_date: datetime | None  # aware, UTC


@dataclass
class _Tally:
    messages: int = 0
    last_date: datetime | None = None
    names: Counter[str] = field(default_factory=Counter)
    name_dates: dict[str, datetime] = field(default_factory=dict)


def parse_headers(raw: bytes | str) -> email.message.Message:
    """Header fields as a Message; 8-bit bytes are read as UTF-8, else as Latin-1."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("latin-1")
        raw = text
    return _PARSER.parsestr(raw, headersonly=True)


def decode_words(value: str) -> str:
    """RFC 2047 encoded words decoded; undecodable text is kept as it came."""
    if "=?" not in value:
        return value
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except (ValueError, LookupError, email.errors.HeaderParseError):
        return value


def normalise_address(address: str) -> str | None:
    """The address in lower case with its domain in Unicode, or None when it is not one."""
    address = address.strip().strip("<>").lower()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in address):
        return None
    if "xn--" in domain:
        try:
            domain = domain.encode("ascii").decode("idna")
        except UnicodeError:
            pass  # not valid IDNA: the ASCII form still delivers
    return f"{local}@{domain}"


def is_automated(address: str) -> bool:
    local = address.rpartition("@")[0].split("+", 1)[0]
    compact = _SEPARATORS.sub("", local)
    return any(word in compact for word in _AUTOMATED_ANYWHERE) or compact.startswith(
        _AUTOMATED_PREFIXES
    )


def is_bulk(message: email.message.Message) -> bool:
    """List or bulk traffic, or an automatic message (RFC 3834)."""
    if message.get("List-Id") is not None or message.get("List-Unsubscribe") is not None:
        return True
    if (message.get("Precedence") or "").strip().lower() in BULK_PRECEDENCE:
        return True
    auto = (message.get("Auto-Submitted") or "").strip().lower()
    return bool(auto) and auto != "no"


def clean_name(name: str) -> str:
    """The display name decoded and tidied; "" when it is empty or only an address."""
    name = _SPACES.sub(" ", decode_words(name)).strip().strip("'\"").strip()
    return "" if "@" in name else name


def addresses(message: email.message.Message, headers: Iterable[str]) -> list[tuple[str, str]]:
    """(name, address) pairs of the named headers, names decoded, addresses normalised."""
    values: list[str] = []
    for header in headers:
        values.extend(_FOLDED.sub("", str(value)) for value in message.get_all(header, []))
    found = []
    for name, raw in email.utils.getaddresses(values):
        address = normalise_address(raw)
        if address is not None:
            found.append((clean_name(name), address))
    return found


def message_date(
    message: email.message.Message, fallback: datetime | None, now: datetime | None = None
) -> datetime | None:
    """The Date header in UTC; *fallback* (the server's date) when missing, broken or future."""
    value = message.get("Date")
    if value is None:
        return fallback
    try:
        date = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return fallback
    date = date.replace(tzinfo=UTC) if date.tzinfo is None else date.astimezone(UTC)
    if date > (now or datetime.now(UTC)) + _FUTURE_SLACK:
        return fallback
    return date


class Harvest:
    """Collects correspondents over many messages, merged by address.

    *own* are the account's addresses (never contacts). In a Sent folder, the From
    addresses are the account's too: they are learned and kept out of the result.
    """

    def __init__(self, own: Iterable[str] = ()) -> None:
        self.own = {a for a in map(normalise_address, own) if a is not None}
        self._tallies: dict[str, _Tally] = {}

    def add(
        self, raw: bytes | str, *, sent: bool = False, received: datetime | None = None
    ) -> bool:
        """Count one message's header fields; False when the message was skipped."""
        message = parse_headers(raw)
        if is_bulk(message):
            return False
        senders = addresses(message, ("From",))
        if sent:
            self.own.update(address for _, address in senders)
        elif any(is_automated(address) for _, address in senders):
            return False
        date = message_date(message, received)
        seen: dict[str, str] = {}
        for name, address in addresses(message, ADDRESS_HEADERS):
            if address in self.own or is_automated(address):
                continue
            if name or address not in seen:
                seen[address] = name
        for address, name in seen.items():
            self._count(address, name, date)
        return True

    def _count(self, address: str, name: str, date: datetime | None) -> None:
        tally = self._tallies.setdefault(address, _Tally())
        tally.messages += 1
        if date is not None and (tally.last_date is None or date > tally.last_date):
            tally.last_date = date
        if name:
            tally.names[name] += 1
            if date is not None and (name not in tally.name_dates or date > tally.name_dates[name]):
                tally.name_dates[name] = date

    def correspondents(self) -> dict[str, Correspondent]:
        """By address, each with its best name (see _best_name)."""
        result = {}
        for address, tally in self._tallies.items():
            if address in self.own:
                continue
            result[address] = Correspondent(
                address, _best_name(address, tally), tally.messages, tally.last_date
            )
        return result


def _best_name(address: str, tally: _Tally) -> str:
    """A name other than the local part ("bob" for bob@...) first, then the most frequent,
    then the most recent."""
    if not tally.names:
        return ""
    local = address.rpartition("@")[0]
    oldest = datetime.min.replace(tzinfo=UTC)
    return max(
        tally.names,
        key=lambda name: (
            name.lower() != local,
            tally.names[name],
            tally.name_dates.get(name, oldest),
        ),
    )
