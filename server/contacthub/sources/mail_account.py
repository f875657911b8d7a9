"""What the mail-account sources (IMAP, Exchange) share: form errors, their book, and
the address guard (a server a user names is reached only when the [fetch] policy allows
its address, as for remote files)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from contacthub.errors import UserError
from contacthub.fetch import FetchError, FetchPolicy, resolve
from contacthub.store import Transaction


class AccountError(UserError):
    """An account form or connection that cannot be used; `field` names what to fix
    ("password", "host", ...; "account" when it is the connection as a whole)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)
        self.field: str = field


def account_book(tx: Transaction, owner: str, slug_base: str, title: str) -> str:
    """A new address book for an account's contacts, e.g. "From IMAP (ann@example.org)";
    a number is added to its path when the path is taken."""
    base = f"{owner}/{re.sub(r'[^a-z0-9]+', '-', slug_base.lower()).strip('-')[:60]}"
    path, number = base, 1
    while tx.get_collection(path) is not None:
        number += 1
        path = f"{base}-{number}"
    tx.create_collection(path, {"tag": "VADDRESSBOOK", "D:displayname": title})
    return path


def check_server(policy: FetchPolicy, host: str, port: int, field: str) -> None:
    """Refuse a mail server on a loopback, private, link-local or metadata address unless
    the admin allowed it ([fetch] allow_private / allowed_networks). The client connects by
    name afterwards; the check bounds what a user can point the hub at, not DNS rebinding."""
    try:
        resolve(host, port, policy)
    except FetchError as error:
        raise AccountError(field, f"{str(error)[:1].upper()}{str(error)[1:]}.") from None


def url_server(url: str) -> tuple[str, int]:
    """The host and port of a server URL."""
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (80 if parts.scheme == "http" else 443)
