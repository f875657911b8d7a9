"""Times people give and read in the history's doors: ISO 8601, with a zone or in UTC.

A restore names the time to go back to as text (the API's "to", the CLI's --to); a time
without an offset is read as UTC, and every time shown says its zone.
"""

from __future__ import annotations

from datetime import UTC, datetime

from contacthub.errors import BadRequest, quoted

MAX_TIME = 64
EXAMPLE = "2024-05-01T09:30:00+02:00, or 2024-05-01T07:30:00Z in UTC"


def parse_time(text: str, *, field: str) -> float:
    """The moment `text` names (a POSIX timestamp); BadRequest naming `field` when it is
    not an ISO 8601 date and time."""
    try:
        if len(text) > MAX_TIME:
            raise ValueError(text)
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadRequest(
            f"The time {quoted(text)} is not an ISO 8601 date and time; write it as {EXAMPLE}.",
            field=field,
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def iso_time(moment: float) -> str:
    """A moment as ISO 8601 in UTC, to the millisecond (a restore to it is exact enough to
    fall between two writes a person made)."""
    return datetime.fromtimestamp(moment, UTC).isoformat(timespec="milliseconds")


def shown_time(moment: float) -> str:
    """A moment for people: 2024-05-01 07:30:00 UTC."""
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
