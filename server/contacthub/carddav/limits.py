"""What one request may make the server read: a REPORT's budget, PROPFIND's depth.

A REPORT reads at most a budget of cards (contacthub_radicale/budget.py),
smaller when the client asks for fewer with DAV:limit (sync-collection, RFC
6578 6.3) or CARDDAV:limit (addressbook-query, RFC 6352 8.6.1). A multiget of
MULTIGET_CARDS cards of the largest size a card may have always fits.

A PROPFIND of Depth infinity asks for every collection of an account with every
card. Radicale answered it as if it were Depth 1, which misleads the client; it
is refused with DAV:propfind-finite-depth, as RFC 4918 9.1 lets a server do.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from contacthub_radicale.budget import CARD_BYTES, MEMBERS, AnswerBudget

_LIMITS = ("{DAV:}limit/{DAV:}nresults", "{urn:ietf:params:xml:ns:carddav}limit/"
           "{urn:ietf:params:xml:ns:carddav}nresults")  # fmt: skip
MULTIGET_CARDS = 10  # DAVx5 asks for ten cards at a time


class LimitRefused(ValueError):
    """A client's limit that is not a count; the message says what is wrong."""


def report_budget(root: Element | None, max_resource_size: int) -> AnswerBudget:
    """The budget of a REPORT whose body is `root`, on a server that keeps cards of up
    to `max_resource_size` bytes."""
    budget = AnswerBudget(multiget_bytes=max(CARD_BYTES, MULTIGET_CARDS * max_resource_size))
    if root is None:
        return budget
    for path in _LIMITS:
        element = root.find(path)
        if element is not None:
            budget.members = min(MEMBERS, _nresults(element.text or ""))
    return budget


def _nresults(text: str) -> int:
    value = text.strip()
    # Nine digits at most: any more is no count we could serve, and Python refuses to
    # read an int of over 4,300 digits.
    if not (value.isascii() and value.isdigit() and len(value) <= 9 and int(value) > 0):
        raise LimitRefused(f"nresults must be a whole number from 1, not {value[:40]!r}")
    return int(value)


def is_infinite_depth(environ: dict[str, object]) -> bool:
    return str(environ.get("HTTP_DEPTH", "")).strip().lower() == "infinity"
