"""The vCard version the request being handled is answered in.

The guard names it per request (carddav/vcard_version.py: GET's Accept, a REPORT's
address-data); items read from the store are then handed to Radicale in that version
(`items.ConvertedItem`). None, the default, hands out the stored bytes: writes compare
If-Match with the stored card's ETag and answer with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_version: ContextVar[str | None] = ContextVar("vcard_version", default=None)


@contextmanager
def serving(version: str | None) -> Iterator[None]:
    """Within: cards are read in `version` ("3.0", "4.0"; None: as stored)."""
    token = _version.set(version)
    try:
        yield
    finally:
        _version.reset(token)


def served_version() -> str | None:
    return _version.get()
