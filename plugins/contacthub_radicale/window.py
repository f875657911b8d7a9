"""One window of a collection's members: what a streamed PROPFIND Depth 1 lists at a time.

Radicale lists a collection's members by holding all of them, and a response
for each, in memory at once. carddav/listing.py asks Radicale for one window
of members at a time instead; the storage lists only the members in the
window it is handed here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MEMBERS = 2000  # members of one window
CARD_BYTES = 4 * 1024 * 1024  # card text read for one window; one card always fits


@dataclass
class ListingWindow:
    """The members after `after` in href order, as many as fit; the storage notes the
    last one it listed, and whether members are left after it."""

    after: str = ""
    first: bool = True  # the first window also lists the collection's child collections
    last: str = ""
    more: bool = False

    def following(self) -> ListingWindow:
        return ListingWindow(after=self.last, first=False)


def fit(
    sizes: Iterable[tuple[str, int]], members: int = MEMBERS, card_bytes: int = CARD_BYTES
) -> tuple[list[str], bool]:
    """The hrefs of `sizes` (href, text length), in order, that fit one window, and whether
    any are left; takes from `sizes` no more than it needs to tell."""
    hrefs: list[str] = []
    used = 0
    for href, size in sizes:
        if len(hrefs) >= members or (hrefs and used + size > card_bytes):
            return hrefs, True
        hrefs.append(href)
        used += size
    return hrefs, False
