"""Which clients see the account's books as one (README: "One book for the Mac").

macOS Contacts syncs only the first book of an account; its User-Agent names the
system and its address book framework: `macOS/14.2 (23C64) AddressBookCore/2487.300.5`,
before macOS 11 `Mac OS X/10.15.7 (19H2) AddressBook/2245`. iOS sends
`iOS/17.1 (21B80) dataaccessd/1.0` and sees every book, as does any other client.

A device that signs in with an app password may have a setting of its own (`ONE_BOOK`,
`APART`; None: as recognised), kept with the app password; a request signed in with the
account's own password is as recognised.
"""

from __future__ import annotations

import posixpath
import re
from urllib.parse import unquote, urlsplit

from radicale import pathutils

from contacthub.store import parent_of
from contacthub.store.records import APART, ONE_BOOK, BookView
from contacthub_radicale.union import is_default_book
from contacthub_radicale.union_names import group_book

__all__ = ["APART", "ONE_BOOK", "BookView", "sees_one_book", "recognised_as_one_book"]

_MAC_ADDRESS_BOOK = re.compile(r"^(macOS|Mac OS X|Mac_OS_X)/\S+.*\bAddressBook(Core)?/", re.I)


def recognised_as_one_book(agent: str) -> bool:
    """Whether the User-Agent is macOS's address book."""
    return _MAC_ADDRESS_BOOK.search(agent) is not None


def sees_one_book(agent: str, setting: BookView | None = None) -> bool:
    """Whether a client sees the account's books as one: the device's setting, if any,
    else the recognition of its User-Agent."""
    if setting is not None:
        return setting == ONE_BOOK
    return recognised_as_one_book(agent)


def moves_through_combined_book(path: str, destination: str) -> bool:
    """Whether a MOVE of `path` to the URL `destination` takes a card into or out of the
    combined book (the default book of a one-book client's account)."""
    to_path = pathutils.strip_path(pathutils.sanitize_path(unquote(urlsplit(destination).path)))
    return any(is_default_book(parent_of(p)) for p in (path, to_path) if p)


def names_a_source_group(path: str) -> bool:
    """Whether `path` names a source book's group card in the combined book."""
    return is_default_book(parent_of(path)) and group_book(posixpath.basename(path)) is not None
