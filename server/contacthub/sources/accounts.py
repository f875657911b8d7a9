"""What the mail-account sources (IMAP, Exchange) share: form errors, their book, and
the rule that an account's password is sealed and never shown again."""

from __future__ import annotations

import re

from ..store import Transaction


class AccountError(ValueError):
    """An account form or connection that cannot be used; `field` names what to fix
    ("password", "host", ...; "account" when it is the connection as a whole)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


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
