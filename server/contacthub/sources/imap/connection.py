"""IMAP connections with imaplib: settings, provider presets, connect and test, the Sent folder.

``connect()`` returns a logged-in client or raises ImapError with a message saying what went
wrong and what to do (wrong password, unknown host, closed port, TLS failure, a POP3 server).
Security follows the settings: ``ssl`` on means implicit TLS, except on port 143 (or with
``starttls=True``) where the plain connection is upgraded with STARTTLS; with TLS asked for,
there is never a fallback to plain text. Certificates are always verified, for the host name.
The socket goes to an address of the host that the address guard checked when connecting
(fetch/pinned.py): a name that resolves elsewhere a moment later (DNS rebinding) changes nothing.
"""

from __future__ import annotations

import imaplib
import re
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from contacthub.errors import LoginRefused, UserError
from contacthub.fetch import FetchError, FetchPolicy
from contacthub.fetch.model import HostNotFound
from contacthub.fetch.pinned import open_socket
from contacthub.sources.imap.utf7 import decode_mailbox, encode_mailbox
from contacthub.sources.mail_account import guard_sentence

STARTTLS_PORT = 143
DEFAULT_TIMEOUT = 30.0
Security = Literal["ssl", "starttls", "none"]

# Last path components of Sent folders in common clients and languages, for servers
# without SPECIAL-USE; compared case-insensitively, in this order of preference.
SENT_NAMES = (
    "sent",
    "sent items",
    "sent messages",
    "sent mail",
    "sent-mail",
    "gesendet",
    "gesendete objekte",
    "gesendete elemente",
    "envoyés",
    "éléments envoyés",
    "messages envoyés",
    "enviados",
    "elementos enviados",
    "posta inviata",
    "inviata",
    "verzonden",
    "verzonden items",
    "skickat",
    "skickade objekt",
    "sendt",
    "wysłane",
    "отправленные",
)
# OpenSSL's reasons when the other end answers a TLS handshake in plain text.
_PLAINTEXT_REASONS = {
    "WRONG_VERSION_NUMBER",
    "HTTP_REQUEST",
    "PACKET_LENGTH_TOO_LONG",
    "RECORD_LAYER_FAILURE",
}
_RESPONSE_CODE = re.compile(r"^\[([A-Z-]+)[^\]]*\]\s*")
_LIST_LINE = re.compile(
    rb'^\((?P<attributes>[^)]*)\) (?P<delimiter>"(?:[^"\\]|\\.)*"|NIL) ?(?P<name>.*)$', re.I
)


class ImapError(UserError):
    """The mailbox cannot be reached or read; the message is for the person who set it up."""


class ImapLoginRefused(ImapError, LoginRefused):
    """The server refused the username and password (LOGIN or AUTHENTICATE said NO)."""


class FolderMissing(ImapError):
    """The configured Sent folder is not on the server (the setting is at fault)."""


class ServerNotFound(ImapError):
    """The server's name does not resolve (the host setting is at fault)."""


class ServerRefused(ImapError):
    """The address guard refuses the server's address: the host setting, or the admin's
    [fetch] allow_private / allowed_networks, is at fault. The message is the guard's."""


@dataclass(frozen=True)
class ImapAccount:
    username: str
    password: str = field(repr=False)
    host: str
    port: int = 993
    ssl: bool = True
    sent_folder: str | None = None  # None: the folder marked \Sent, else a usual name
    # None: STARTTLS on port 143 and implicit TLS on any other port (when ssl is on); True
    # for STARTTLS on another port, e.g. Proton Mail Bridge on 1143.
    starttls: bool | None = None

    @property
    def security(self) -> Security:
        if not self.ssl:
            return "none"
        starttls = self.port == STARTTLS_PORT if self.starttls is None else self.starttls
        return "starttls" if starttls else "ssl"

    @property
    def where(self) -> str:
        return f"{self.host} port {self.port}"

    @property
    def own_addresses(self) -> tuple[str, ...]:
        """The account's address when the username is one (never a contact)."""
        return (self.username,) if "@" in self.username else ()


@dataclass(frozen=True)
class Preset:
    label: str
    host: str
    port: int = 993
    ssl: bool = True
    note: str = ""

    def account(self, username: str, password: str, sent_folder: str | None = None) -> ImapAccount:
        return ImapAccount(username, password, self.host, self.port, self.ssl, sent_folder)


PRESETS: dict[str, Preset] = {
    "outlook": Preset(
        "Outlook.com / Hotmail",
        "outlook.office365.com",
        note="Microsoft may refuse password logins from other apps; with two-step "
        "verification, create an app password at account.microsoft.com → Security.",
    ),
    "yahoo": Preset(
        "Yahoo Mail",
        "imap.mail.yahoo.com",
        note="Use an app password: Yahoo account → Security → Generate app password.",
    ),
    "aol": Preset(
        "AOL Mail",
        "imap.aol.com",
        note="Use an app password: AOL account → Security → Generate app password.",
    ),
    "icloud": Preset(
        "iCloud Mail",
        "imap.mail.me.com",
        note="Use an app-specific password (account.apple.com → Sign-In and Security). "
        "The username is usually the part of the address before @.",
    ),
    "gmail": Preset(
        "Gmail",
        "imap.gmail.com",
        note="Use an app password (Google account → Security → 2-Step Verification → "
        "App passwords), not the account password.",
    ),
}


@dataclass(frozen=True)
class Folder:
    name: str  # decoded from modified UTF-7
    delimiter: str | None
    attributes: frozenset[str]  # lower case, e.g. "\\sent", "\\noselect"

    @property
    def selectable(self) -> bool:
        return not self.attributes & {"\\noselect", "\\nonexistent"}


@dataclass(frozen=True)
class ConnectionCheck:
    security: Security
    sent_folder: str | None  # None when the account has no Sent folder we could find
    inbox_messages: int
    folders: tuple[str, ...] = ()  # the selectable folders, as the server lists them


# -- connecting -------------------------------------------------------------------------------
class _BadGreeting(Exception):
    def __init__(self, line: bytes | None) -> None:
        super().__init__(line)
        self.line = line


class _GreetingCheck(imaplib.IMAP4):
    """Connects to an address of the host that the guard (``policy``) checked, and keeps the
    server's first line, to tell a POP3 or other server from a broken IMAP one."""

    first_line: bytes | None = None
    policy: FetchPolicy  # set before IMAP4.__init__, which connects

    def _pinned_socket(self, timeout: float | None) -> socket.socket:
        return open_socket(self.host, self.port, self.policy, timeout)

    def _get_line(self) -> bytes:
        line: bytes = super()._get_line()  # type: ignore[misc]  # not in typeshed's imaplib
        if self.first_line is None:
            self.first_line = line
        return line

    def _connect(self) -> None:
        try:
            super()._connect()  # type: ignore[misc]  # not in typeshed's imaplib
        except imaplib.IMAP4.error as exc:
            raise _BadGreeting(self.first_line) from exc


class _Client(_GreetingCheck):
    """Plain IMAP; STARTTLS wraps this socket in TLS for the host name later."""

    def __init__(self, host: str, port: int, policy: FetchPolicy, timeout: float) -> None:
        self.policy = policy
        super().__init__(host, port, timeout=timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        return self._pinned_socket(timeout)


class _SSLClient(_GreetingCheck, imaplib.IMAP4_SSL):
    """Implicit TLS, for the host name (SNI and the certificate check)."""

    def __init__(
        self, host: str, port: int, policy: FetchPolicy, context: ssl.SSLContext, timeout: float
    ) -> None:
        self.policy = policy
        super().__init__(host, port, ssl_context=context, timeout=timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        # IMAP4_SSL's own calls IMAP4._create_socket by name, past the pinning: done here.
        return self.ssl_context.wrap_socket(self._pinned_socket(timeout), server_hostname=self.host)


def connect(
    account: ImapAccount,
    timeout: float = DEFAULT_TIMEOUT,
    ssl_context: ssl.SSLContext | None = None,
    policy: FetchPolicy | None = None,
) -> imaplib.IMAP4:
    """A logged-in client for *account*; ImapError says what failed and what to do.

    ``policy``: the address guard's ([fetch]; the default: public addresses only).
    """
    if not account.host.strip():
        raise ImapError("no IMAP server given: enter the server name, e.g. imap.example.org")
    context = ssl_context or ssl.create_default_context()
    try:
        client = _open(account, context, timeout, policy or FetchPolicy())
    except _BadGreeting as exc:
        raise _greeting_error(account, exc.line) from None
    except HostNotFound as exc:
        raise _not_found(account, exc) from None
    except FetchError as exc:
        raise ServerRefused(guard_sentence(exc)) from None
    except (OSError, imaplib.IMAP4.error) as exc:
        raise _connection_error(account, exc, timeout) from exc
    try:
        _secure(client, account, context)
        _login(client, account)
    except ImapError:
        _close(client)
        raise
    except (OSError, imaplib.IMAP4.error) as exc:
        _close(client)
        raise _connection_error(account, exc, timeout) from exc
    return client


def _open(
    account: ImapAccount, context: ssl.SSLContext, timeout: float, policy: FetchPolicy
) -> imaplib.IMAP4:
    if account.security == "ssl":
        return _SSLClient(account.host, account.port, policy, context, timeout)
    return _Client(account.host, account.port, policy, timeout)


def _secure(client: imaplib.IMAP4, account: ImapAccount, context: ssl.SSLContext) -> None:
    if account.security == "starttls":
        if "STARTTLS" not in client.capabilities:
            raise ImapError(
                f"{account.where} does not offer STARTTLS: use port 993 with SSL, or turn "
                "SSL off (the password then travels unencrypted)"
            )
        client.starttls(context)
    if "LOGINDISABLED" in client.capabilities:
        raise ImapError(
            f"{account.host} accepts passwords only over an encrypted connection: turn on "
            "Use SSL (port 993, or port 143 for STARTTLS)"
        )


def _login(client: imaplib.IMAP4, account: ImapAccount) -> None:
    try:
        if (account.username + account.password).isascii():
            client.login(_quote(account.username), account.password)
        elif "AUTH=PLAIN" in client.capabilities:
            secret = f"\0{account.username}\0{account.password}".encode()
            client.authenticate("PLAIN", lambda _challenge: secret)
        else:
            raise ImapError(
                f"{account.host} cannot take a username or password with non-ASCII "
                "characters (it offers no AUTH=PLAIN): use an app password, or ask the "
                "provider"
            )
    except imaplib.IMAP4.abort:
        raise
    except imaplib.IMAP4.error as exc:
        raise _login_error(account, _text(exc)) from None


def _login_error(account: ImapAccount, reply: str) -> ImapError:
    match = _RESPONSE_CODE.match(reply)
    code = match.group(1) if match else ""
    said = f" (the server said: {reply})" if reply else ""
    if code == "UNAVAILABLE":
        return ImapError(f"{account.host} cannot log you in right now{said}: try again later")
    if code == "PRIVACYREQUIRED":
        return ImapError(
            f"{account.host} accepts passwords only over an encrypted connection{said}: "
            "turn on Use SSL"
        )
    user = account.username
    if "@" in user:
        other = f"only the part before @ ('{user.split('@', 1)[0]}')"
    else:
        other = f"the whole email address ('{user}@…')"
    return ImapLoginRefused(
        f"{account.host} refused the login for '{user}': wrong username or password{said}. "
        f"The username may be the whole address or only the part before @: try {other}. "
        "Gmail, Yahoo, AOL and iCloud want an app password, not the account password."
    )


def _greeting_error(account: ImapAccount, line: bytes | None) -> ImapError:
    if line is None:
        return ImapError(
            f"{account.where} closed the connection without greeting: check the port "
            "(IMAP uses 993 with SSL, or 143)"
        )
    text = line.decode("utf-8", "replace").strip()
    if text.startswith("+OK"):
        return ImapError(
            f"{account.where} is a POP3 server, not IMAP: use the provider's IMAP server "
            "and port (often imap.<domain>, port 993 with SSL or 143)"
        )
    if text.upper().startswith("* BYE"):
        return ImapError(f"{account.host} refused the connection: {text[5:].strip()}")
    return ImapError(
        f"{account.where} does not speak IMAP (it answered {text[:80]!r}): check the server "
        "name and port (IMAP uses 993 with SSL, or 143)"
    )


def _not_found(account: ImapAccount, exc: HostNotFound) -> ServerNotFound:
    cause = exc.__cause__  # the resolver's error, when it gave one
    reason = cause.strerror if isinstance(cause, socket.gaierror) else "no address"
    return ServerNotFound(
        f"IMAP server '{account.host}' not found (the name does not resolve: {reason}): "
        "check the server name, e.g. imap.example.org, or pick a preset"
    )


def _connection_error(account: ImapAccount, exc: BaseException, timeout: float) -> ImapError:
    host, where = account.host, account.where
    if isinstance(exc, ConnectionRefusedError):
        return ImapError(
            f"nothing accepts connections on {where} (connection refused): check the port; "
            "IMAP uses 993 with SSL, or 143"
        )
    if isinstance(exc, TimeoutError):
        hint = (
            f"; port {account.port} usually expects SSL: turn on Use SSL"
            if not account.ssl and account.port in (993, 995)
            else "; a firewall may block the port"
        )
        return ImapError(
            f"no answer from {where} within {timeout:g} s: check the server name and port{hint}"
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        detail = exc.verify_message or exc.reason or str(exc)
        return ImapError(
            f"the TLS certificate of {host} is not trusted ({detail}): check that the "
            "server name is the one the provider gives (the certificate must name it)"
        )
    if isinstance(exc, ssl.SSLError):
        if exc.reason in _PLAINTEXT_REASONS:
            return ImapError(
                f"{where} does not speak SSL/TLS (it answered in plain text): use port 993 "
                "for SSL, port 143 for STARTTLS, or turn SSL off"
            )
        return ImapError(
            f"TLS with {where} failed ({exc.reason or exc}): check the port, or the server "
            "may only support outdated TLS versions"
        )
    if isinstance(exc, imaplib.IMAP4.error):
        return ImapError(f"{host} broke off the IMAP conversation ({_text(exc)}): try again")
    if isinstance(exc, ConnectionError):
        return ImapError(f"{where} closed the connection ({exc.strerror or exc}): try again")
    if isinstance(exc, OSError):
        return ImapError(f"could not connect to {where} ({exc.strerror or exc})")
    return ImapError(f"could not connect to {where} ({exc})")


def _close(client: imaplib.IMAP4) -> None:
    try:
        client.shutdown()
    except OSError:
        pass


def logout(client: imaplib.IMAP4) -> None:
    """Log out politely; a connection that already broke is just closed."""
    try:
        client.logout()
    except (OSError, imaplib.IMAP4.error):
        _close(client)


# -- folders ----------------------------------------------------------------------------------
def list_folders(client: imaplib.IMAP4) -> list[Folder]:
    if "SPECIAL-USE" in client.capabilities:
        # RFC 6154: asks for the attributes explicitly; imaplib has no RETURN option.
        typ, data = client.xatom("LIST", '""', '"*"', "RETURN", "(SPECIAL-USE)")
        lines = client.response("LIST")[1] if typ == "OK" else data
    else:
        typ, lines = client.list('""', '"*"')
    if typ != "OK":
        raise ImapError(f"{client.host} would not list its folders ({_text(lines)})")
    return [folder for folder in map(parse_list_line, lines) if folder is not None]


def parse_list_line(item: bytes | tuple[bytes, bytes] | None) -> Folder | None:
    """A LIST response as imaplib gives it: bytes, or (prefix, name) for a literal name."""
    if item is None:
        return None
    head, literal = (item[0], item[1]) if isinstance(item, tuple) else (item, None)
    match = _LIST_LINE.match(head)
    if match is None:
        return None
    raw_delimiter = match.group("delimiter")
    delimiter = None if raw_delimiter.upper() == b"NIL" else _unquote(raw_delimiter)
    if literal is not None:
        name = literal
    else:
        name = match.group("name")
        name = _unquote(name) if name.startswith(b'"') else name
    attributes = frozenset(a.lower() for a in match.group("attributes").decode().split())
    return Folder(
        decode_mailbox(name.decode("utf-8", "replace")),
        delimiter.decode("utf-8", "replace") if delimiter is not None else None,
        attributes,
    )


def pick_sent_folder(folders: Iterable[Folder]) -> str | None:
    """The folder marked \\Sent, else the first with a usual Sent name."""
    selectable = [folder for folder in folders if folder.selectable]
    for folder in selectable:
        if "\\sent" in folder.attributes:
            return folder.name
    by_name: dict[str, str] = {}
    for folder in selectable:
        last = folder.name.rsplit(folder.delimiter, 1)[-1] if folder.delimiter else folder.name
        by_name.setdefault(last.casefold(), folder.name)
    for name in SENT_NAMES:
        if name in by_name:
            return by_name[name]
    return None


def find_sent_folder(client: imaplib.IMAP4) -> str | None:
    return pick_sent_folder(list_folders(client))


def test_connection(
    account: ImapAccount,
    timeout: float = DEFAULT_TIMEOUT,
    ssl_context: ssl.SSLContext | None = None,
    policy: FetchPolicy | None = None,
) -> ConnectionCheck:
    """Log in, open INBOX and find the Sent folder, as a check before saving the settings."""
    client = connect(account, timeout, ssl_context, policy)
    try:
        folders = list_folders(client)
        sent = resolve_sent_folder(account, folders)
        typ, data = client.select("INBOX", readonly=True)
        if typ != "OK":
            raise ImapError(f"{account.host} would not open INBOX ({_text(data)})")
        names = tuple(folder.name for folder in folders if folder.selectable)
        return ConnectionCheck(account.security, sent, int(data[0] or 0), names)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise _connection_error(account, exc, timeout) from exc
    finally:
        logout(client)


def resolve_sent_folder(account: ImapAccount, folders: list[Folder]) -> str | None:
    """The configured Sent folder (which must exist), else the one found on the server."""
    if account.sent_folder is None:
        return pick_sent_folder(folders)
    names = {folder.name for folder in folders if folder.selectable}
    if account.sent_folder not in names:
        shown = ", ".join(sorted(names)) or "none"
        raise FolderMissing(
            f"there is no folder '{account.sent_folder}' on {account.host}: choose one of "
            f"{shown}, or leave the Sent folder empty to find it automatically"
        )
    return account.sent_folder


# test_connection is an API name, not a pytest test.
test_connection.__test__ = False  # type: ignore[attr-defined]


def quote_mailbox(name: str) -> str:
    """*name* as an IMAP command argument: modified UTF-7, quoted."""
    return _quote(encode_mailbox(name))


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _unquote(value: bytes) -> bytes:
    return re.sub(rb"\\(.)", rb"\1", value[1:-1])


def _text(value: object) -> str:
    if isinstance(value, BaseException) and value.args:
        value = value.args[0]
    if isinstance(value, list):
        value = b" ".join(v for v in value if isinstance(v, bytes))
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).strip()
