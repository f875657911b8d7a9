"""What the mail-account sources (IMAP, Exchange) share: form errors, their book, and the
address guard's words (a server a user names is reached only at an address the [fetch]
policy allows, as for remote files)."""

from __future__ import annotations

import re

from contacthub.errors import UserError
from contacthub.fetch import FetchError
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


def guard_sentence(error: FetchError) -> str:
    """The address guard's refusal of a mail server as a sentence, e.g. "Address 10.0.0.5 of
    host mail.example.org is private; to fetch from it, set [fetch] allow_private = true, or
    name its network in [fetch] allowed_networks, in /srv/contacthub/contacthub.conf."
    The clients connect only to addresses the guard checked as they connect (fetch/pinned.py),
    and say this when it refuses one."""
    text = str(error)
    return f"{text[:1].upper()}{text[1:]}."
