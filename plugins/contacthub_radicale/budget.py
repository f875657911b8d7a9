"""How much one REPORT's answer may hold, and whether it had to stop short.

Radicale builds a whole multistatus in memory before it sends a byte, from
items the storage has read whole. An addressbook-query or a first
sync-collection of a 50,000-card book, or of a few hundred cards with
megabyte photos, costs hundreds of megabytes and seconds of CPU for one
request. So a REPORT reads at most MEMBERS items and CARD_BYTES of their
text; what did not fit is left out, and the answer says so the way the RFCs
ask: a 507 for the request-URI with DAV:number-of-matches-within-limits
(RFC 6352 8.6.2 for addressbook-query, RFC 6578 3.6 for sync-collection,
whose sync-token then continues where the page stopped). A multiget asks for
named cards and has no way to answer in part: one over its own, larger bound
is refused (a client asks for them in batches: DAVx5 ten, Evolution a hundred).
"""

from __future__ import annotations

from dataclasses import dataclass

MEMBERS = 10_000  # members of one answer of a query or a sync page
CARD_BYTES = 8 * 1024 * 1024  # card text read for one page of an answer; one card always fits


class AnswerTooLarge(Exception):
    """A REPORT that names more card text than one answer may hold.

    Not a ValueError: Radicale answers those with a bare 400, and this one is
    answered with the condition that names the limit.
    """


@dataclass
class AnswerBudget:
    """What one REPORT may still read: members (the client's DAV/CARDDAV:limit
    when smaller) and bytes of card text (a multiget's own bound for the cards it
    names)."""

    members: int = MEMBERS
    card_bytes: int = CARD_BYTES
    multiget_bytes: int = CARD_BYTES
    truncated: bool = False
    request_href: str = ""  # where the answer says it was cut short
    _members_used: int = 0
    _bytes_used: int = 0

    def admit(self, size: int) -> bool:
        """Count a member of `size` bytes of card text; False, and the answer marked
        as cut short, when it does not fit. The first member fits whatever its size."""
        over_bytes = self._members_used > 0 and self._bytes_used + size > self.card_bytes
        if self._members_used >= self.members or over_bytes:
            self.truncated = True
            return False
        self._members_used += 1
        self._bytes_used += size
        return True

    def multiget_reader(self) -> MultigetReader:
        return MultigetReader(self.multiget_bytes)

    def check_multiget(self, sizes: list[int]) -> None:
        """Refuse a multiget whose cards do not fit the budget together. The count of
        hrefs is the XML body's to bound: vdirsyncer names every card it lacks at once."""
        if len(sizes) > 1 and sum(sizes) > self.multiget_bytes:
            raise AnswerTooLarge(
                f"the cards asked for hold {sum(sizes)} bytes; one answer holds at most "
                f"{self.multiget_bytes}: ask for fewer at a time"
            )


@dataclass
class MultigetReader:
    """Counts a multiget's cards as they are read, and refuses the multiget once they
    hold more than `limit` bytes together (one card alone always fits)."""

    limit: int
    cards: int = 0
    used: int = 0

    def read(self, size: int) -> None:
        self.cards += 1
        self.used += size
        if self.cards > 1 and self.used > self.limit:
            raise AnswerTooLarge(
                f"the cards asked for hold more than {self.limit} bytes, the most one "
                "answer holds: ask for fewer at a time"
            )
