"""Whether the request being handled is a client's that sees one book.

The guard decides per request (carddav/one_book.py: macOS's AddressBookCore by default);
the storage then answers the account's default book with the union of all the account's
books (union.py) and lists that book alone in the account's home.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_one_book: ContextVar[bool] = ContextVar("one_book", default=False)


@contextmanager
def showing_one_book(wanted: bool) -> Iterator[None]:
    token = _one_book.set(wanted)
    try:
        yield
    finally:
        _one_book.reset(token)


def shows_one_book() -> bool:
    return _one_book.get()
