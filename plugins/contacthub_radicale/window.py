"""One window of a collection's members: what a streamed PROPFIND Depth 1 lists at a time.

Radicale lists a collection's members by holding all of them, and a response
for each, in memory at once. carddav/listing.py asks Radicale for one window
of members at a time instead, planned here from the members' sizes; the
storage lists only the members of the window it is handed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MEMBERS = 2000  # members of one window
CARD_BYTES = 4 * 1024 * 1024  # card text read for one window; one card always fits


@dataclass(frozen=True)
class ListingWindow:
    """The members with hrefs after `after`, up to and including `last`."""

    after: str
    last: str
    first: bool  # the first window also lists the collection's child collections
    # In the combined book (union_windows.py): the book whose members these are (0: the
    # collection's own), and the books whose group cards the window lists.
    book: int = 0
    groups: tuple[int, ...] = ()


def plan(
    sizes: Iterable[tuple[str, int]], members: int = MEMBERS, card_bytes: int = CARD_BYTES
) -> list[ListingWindow]:
    """The windows of a collection whose members are `sizes` (href, text length) in href
    order: each as many members as fit."""
    windows: list[ListingWindow] = []
    after = last = ""
    count = used = 0
    for href, size in sizes:
        if count and (count >= members or used + size > card_bytes):
            windows.append(ListingWindow(after, last, first=not windows))
            after, count, used = last, 0, 0
        last, count, used = href, count + 1, used + size
    if count:
        windows.append(ListingWindow(after, last, first=not windows))
    return windows
