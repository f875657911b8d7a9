"""Email after a sync's run: SMTP settings from ``[smtp]``, the report, and sending it;
and the email that tells an owner a client deleted much of a book (the same sending).

The contract with callers: `send` raises only `NotifyError`, whose message a person
can act on and never contains the password. The caller logs it and shows it on the
sync; a mail that cannot be sent never fails the import it reports on.

``[smtp]`` options (all strings, as configparser gives them):

- ``host`` (required), ``port`` (default by security: 25, 587 or 465)
- ``security``: ``none``, ``starttls`` (default) or ``ssl``
- ``user`` and ``password``: log in when set (both or neither)
- ``sender`` (required): the From address
- ``ca_file``: PEM certificates to trust instead of the system's (a private CA)
- ``timeout``: seconds for connecting and each reply (default 30)
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid, parseaddr
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from contacthub.config import ConfigError
from contacthub.errors import UserError
from contacthub.reconcile.effect import CHANGES, applied, effect

MAX_PROBLEMS = 10
COUNT_NAMES = ("added", "updated", "deleted", "unchanged", "errors")
SCANNED = "messages_scanned"  # counts key set by mail sources
MERGED = "merged"  # counts key set by automatic merging after a run
RESULTS = {
    "ok": "ok",
    "no_changes": "no changes",
    "failed": "failed",
    "refused": "refused by the mass-deletion guard",
}
_OPTIONS = frozenset(
    {"host", "port", "security", "user", "password", "sender", "ca_file", "timeout"}
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class NotifyError(UserError):
    """An email could not be sent; the message says why in words a user can act on."""


class SmtpConfigError(ConfigError):
    """An ``[smtp]`` option that cannot be used; the message names the option."""


class Security(StrEnum):
    NONE = "none"
    STARTTLS = "starttls"
    SSL = "ssl"


DEFAULT_PORTS = {Security.NONE: 25, Security.STARTTLS: 587, Security.SSL: 465}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    sender: str
    port: int = 587
    security: Security = Security.STARTTLS
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    ca_file: Path | None = None
    timeout: float = 30.0

    @classmethod
    def from_config(cls, section: Mapping[str, str]) -> SmtpSettings:
        """Build from the ``[smtp]`` section; SmtpConfigError names the option at fault."""
        values = {key.strip().lower(): value.strip() for key, value in section.items()}
        unknown = sorted(set(values) - _OPTIONS)
        if unknown:
            raise SmtpConfigError(f"[smtp] has no option {unknown[0]!r}")
        host = values.get("host", "")
        if not host:
            raise SmtpConfigError("[smtp] host is required")
        security = _security(values.get("security") or "starttls")
        port = _port(values.get("port") or str(DEFAULT_PORTS[security]))
        sender = values.get("sender", "")
        if "@" not in parseaddr(sender)[1]:
            raise SmtpConfigError(f"[smtp] sender must be an email address, not {sender!r}")
        user = values.get("user") or None
        password = values.get("password") or None
        if (user is None) != (password is None):
            raise SmtpConfigError("[smtp] user and password go together: set both or neither")
        ca_file = Path(values["ca_file"]) if values.get("ca_file") else None
        if ca_file is not None and not ca_file.is_file():
            raise SmtpConfigError(f"[smtp] ca_file {str(ca_file)!r} is not a file")
        return cls(
            host,
            sender,
            port,
            security,
            user,
            password,
            ca_file,
            _timeout(values.get("timeout") or "30"),
        )

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)


def _security(value: str) -> Security:
    try:
        return Security(value.lower())
    except ValueError:
        raise SmtpConfigError(
            f"[smtp] security must be none, starttls or ssl, not {value!r}"
        ) from None


def _port(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 65535:
        raise SmtpConfigError(f"[smtp] port must be a number from 1 to 65535, not {value!r}")
    return int(value)


def _timeout(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 600:
        raise SmtpConfigError(f"[smtp] timeout must be seconds from 0 to 600, not {value!r}")
    return seconds


class ProblemLike(Protocol):
    """What a report needs of a problem (the CSV reader's and the reconciler's Problem both fit)."""

    @property
    def line(self) -> int | None: ...
    @property
    def column(self) -> str | None: ...
    @property
    def reason(self) -> str: ...


def run_report_email(
    sync_name: str,
    finished_at: datetime,
    status: str,
    counts: Mapping[str, int],
    problems: Sequence[ProblemLike],
    message: str = "",
    *,
    to: str | Sequence[str] = (),
    book: str = "",
) -> EmailMessage:
    """The plain-text report of one run; `send` fills in From when it is missing.

    `status` is a run status (ok, no_changes, failed, refused); `finished_at` is shown
    in its own zone, so pass it converted to the owner's zone if that reads better.
    `counts` without ``errors`` counts the problems. A refused or failed run changed
    nothing: its counts are told as what it would have done, never as a table of done.
    `book` is the name of the address book the sync fills.
    """
    name = _one_line(sync_name)
    result = RESULTS.get(status, _one_line(status))
    email = EmailMessage()
    email["Subject"] = f"Sync {name}: {result}"
    if to:
        email["To"] = to if isinstance(to, str) else ", ".join(to)
    email["Date"] = _now()
    lines = [
        f"Sync: {name}",
        *([f"Address book: {_one_line(book)}"] if book else []),
        f"Finished: {finished_at.isoformat(timespec='seconds')} ({_in_words(finished_at)})",
        f"Result: {result}",
    ]
    if message:
        lines.append(f"Details: {message.strip()}")
    lines.append("")
    shown = dict(counts)
    shown.setdefault("errors", len(problems))
    names = [*COUNT_NAMES, *(extra for extra in (SCANNED, MERGED) if extra in counts)]
    if not applied(status):
        lines.append(effect(status, counts))
        names = [n for n in names if n not in (*CHANGES, "unchanged") and shown.get(n)]
    width = max((len(_label(n)) for n in names), default=0) + 1
    lines += [f"{_label(n) + ':':<{width}} {shown.get(n, 0)}" for n in names]
    if problems:
        lines += ["", _problems_heading(len(problems))]
        lines += [f"  {_where(p)}{_one_line(p.reason)}" for p in problems[:MAX_PROBLEMS]]
    email.set_content("\n".join(lines) + "\n")
    return email


def _now() -> str:
    # An aware datetime in the server's zone: "+0000" on a server in UTC, never the
    # "-0000" of a time whose zone is unknown (RFC 5322, 3.3).
    return format_datetime(datetime.now().astimezone())


def _label(name: str) -> str:
    return name.replace("_", " ").capitalize()


def _problems_heading(total: int) -> str:
    if total <= MAX_PROBLEMS:
        return "Problems:"
    return f"Problems (the first {MAX_PROBLEMS} of {total}):"


def _where(problem: ProblemLike) -> str:
    parts = []
    if problem.line is not None:
        parts.append(f"line {problem.line}")
    if problem.column:
        parts.append(f"column {_one_line(problem.column)!r}")
    return ", ".join(parts) + ": " if parts else ""


def _one_line(text: str) -> str:
    # Names and reasons come from users' files; they must not break headers or lines.
    return " ".join(str(text).split())


def _in_words(moment: datetime) -> str:
    zone = moment.tzname() or "local time"
    return (
        f"{_DAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} "
        f"{moment.year} at {moment:%H:%M} {zone}"
    )


@dataclass(frozen=True)
class MassDeletion:
    """What the owner is told of a client that deleted much of a book."""

    client: str  # its User-Agent ("" when it sent none)
    account: str  # the account it signed in as
    book: str  # the book's name as its owner sees it
    deleted: int
    book_size: int
    first_at: datetime
    last_at: datetime
    link: str  # the alert in the admin page
    whole_book: bool = False  # the client deleted the book itself (it is in the trash)


MAX_CLIENT_IN_SUBJECT = 60


def mass_deletion_email(deletion: MassDeletion, *, to: str | Sequence[str]) -> EmailMessage:
    """The plain-text email that names the client, the book and how many it deleted, with
    the link to the admin page's alert (where one action restores them)."""
    client = _one_line(deletion.client) or "a client that sent no User-Agent"
    short = client if len(client) <= MAX_CLIENT_IN_SUBJECT else client[:MAX_CLIENT_IN_SUBJECT] + "…"
    book = _one_line(deletion.book)
    if deletion.whole_book:
        return _book_deletion_email(deletion, client, short, book, to=to)
    email = EmailMessage()
    email["Subject"] = (
        f"Contacts deleted: {deletion.deleted} of {deletion.book_size} in “{book}” by {short}"
    )
    email["To"] = to if isinstance(to, str) else ", ".join(to)
    email["Date"] = _now()
    lines = [
        f"A client deleted {deletion.deleted} of the {deletion.book_size} contacts in the "
        f"address book “{book}”.",
        "",
        f"Client:       {client}",
        f"Account:      {_one_line(deletion.account)}",
        f"Address book: {book}",
        f"Deleted:      {deletion.deleted} of {deletion.book_size} contacts",
        f"When:         {_span(deletion.first_at, deletion.last_at)}",
        "",
        "The contacts were deleted as the client asked. If that was not meant, bring them",
        "back, each under its UID and as it was, with one click:",
        "",
        f"  {deletion.link}",
        "",
        "Phones and programs then download them again at their next sync. If the",
        "deletions were meant, dismiss the alert there.",
    ]
    email.set_content("\n".join(lines) + "\n")
    return email


def _book_deletion_email(
    deletion: MassDeletion, client: str, short: str, book: str, *, to: str | Sequence[str]
) -> EmailMessage:
    email = EmailMessage()
    email["Subject"] = f"Address book deleted: “{book}” ({deletion.deleted} contacts) by {short}"
    email["To"] = to if isinstance(to, str) else ", ".join(to)
    email["Date"] = _now()
    lines = [
        f"A client deleted the address book “{book}” with its {deletion.deleted} contacts.",
        "",
        f"Client:       {client}",
        f"Account:      {_one_line(deletion.account)}",
        f"Address book: {book}",
        f"Contacts:     {deletion.deleted}",
        f"When:         {_span(deletion.first_at, deletion.last_at)}",
        "",
        "The book was deleted as the client asked, and is kept in the trash of deleted",
        "address books. If that was not meant, bring it back with its contacts with one",
        "click:",
        "",
        f"  {deletion.link}",
        "",
        "Phones and programs then find it again and download its contacts at their next",
        "sync. If the deletion was meant, dismiss the alert there.",
    ]
    email.set_content("\n".join(lines) + "\n")
    return email


def _span(first: datetime, last: datetime) -> str:
    zone = f" {last.tzname()}" if last.tzname() else ""
    end = f"{last:%H:%M:%S}" if first.date() == last.date() else f"{last:%Y-%m-%d %H:%M:%S}"
    return f"{first:%Y-%m-%d %H:%M:%S} to {end}{zone}"


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Send `message` to its To and Cc addresses.

    Raises NotifyError, and nothing else, when it cannot be sent. The caller logs the
    error and shows it on the sync; it must never fail the import being reported.
    """
    recipients = [
        addr
        for _, addr in getaddresses([*message.get_all("To", []), *message.get_all("Cc", [])])
        if addr
    ]
    if not recipients:
        raise NotifyError("the email has no recipient")
    if "From" not in message:
        message["From"] = settings.sender
    if "Message-ID" not in message:
        message["Message-ID"] = make_msgid(domain=parseaddr(settings.sender)[1].partition("@")[2])
    try:
        _deliver(settings, message, recipients)
    except NotifyError:
        raise
    except smtplib.SMTPAuthenticationError:
        # from None: nothing from the login exchange goes into logs.
        raise NotifyError(
            f"SMTP login failed for user {settings.user} at {settings.address}"
        ) from None
    except Exception as exc:  # noqa: BLE001 - the contract: only NotifyError escapes
        raise NotifyError(_scrub(_explain(exc, settings), settings.password)) from None


def _deliver(settings: SmtpSettings, message: EmailMessage, recipients: list[str]) -> None:
    smtp: smtplib.SMTP
    if settings.security is Security.SSL:
        smtp = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=settings.tls_context()
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    with smtp:
        if settings.security is Security.STARTTLS:
            smtp.ehlo()
            if not smtp.has_extn("starttls"):
                raise NotifyError(f"STARTTLS not supported by {settings.address}")
            smtp.starttls(context=settings.tls_context())
            smtp.ehlo()
        if settings.user is not None and settings.password is not None:
            smtp.login(settings.user, settings.password)
        smtp.send_message(message, from_addr=parseaddr(settings.sender)[1], to_addrs=recipients)


def _explain(exc: BaseException, settings: SmtpSettings) -> str:
    where = settings.address
    if isinstance(exc, ConnectionRefusedError):
        return f"connection to {where} refused"
    if isinstance(exc, socket.gaierror):
        return f"cannot find the SMTP host {settings.host}"
    if isinstance(exc, TimeoutError):
        return f"connection to {where} timed out"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"certificate verify failed for {settings.host}: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS with {where} failed: {exc.reason or exc}"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"{where} does not offer SMTP login (AUTH); check security and port"
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return f"{where} refused the sender {settings.sender}: {_reply(exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(sorted(exc.recipients))
        return f"{where} refused the recipient {refused}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"{where} closed the connection; check security ({settings.security}) and port"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{where} answered {exc.smtp_code} {_reply(exc.smtp_error)}"
    if isinstance(exc, OSError):
        return f"cannot send email via {where}: {exc.strerror or exc}"
    return f"cannot send email via {where}: {type(exc).__name__}: {exc}"


def _reply(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw


def _scrub(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret else text
