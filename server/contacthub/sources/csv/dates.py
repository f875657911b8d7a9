"""Birthdays as the exports write them, normalised to ISO 8601.

Accepted: 1980-05-17, 19800517, 5/17/1980 (Outlook English, month first; 17/5/1980 is read day
first because 17 cannot be a month), 17.05.1980 (Outlook German), and without a year
--05-17 or --0517 (vCard, Google). Outlook writes an empty date as 0/0/00 or 0.0.00: that is
no birthday. The result is YYYY-MM-DD, or --MM-DD without a year.
"""

from __future__ import annotations

import datetime
import re

from contacthub.errors import UserError

_ISO = re.compile(r"^(\d{4})-?(\d{2})-?(\d{2})(?:T.*)?$")
_NO_YEAR = re.compile(r"^--(\d{2})-?(\d{2})$")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_OUTLOOK_EMPTY = frozenset({"0/0/00", "0.0.00", "00.00.00", "0/0/0000", "0.0.0000"})
_LEAP_YEAR = 2000


class InvalidDate(UserError):
    pass


def _iso(year: int | None, month: int, day: int) -> str:
    try:
        datetime.date(year if year is not None else _LEAP_YEAR, month, day)
    except ValueError:
        raise InvalidDate(f"{year}-{month}-{day}") from None
    if year is None:
        return f"--{month:02d}-{day:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def parse_birthday(text: str) -> str:
    """The ISO form of ``text``, "" for an empty or Outlook "no date"; InvalidDate otherwise."""
    value = text.strip()
    if not value or value in _OUTLOOK_EMPTY:
        return ""
    if match := _ISO.match(value):
        year, month, day = map(int, match.groups())
        return _iso(year, month, day)
    if match := _NO_YEAR.match(value):
        month, day = map(int, match.groups())
        return _iso(None, month, day)
    if match := _SLASHED.match(value):
        first, second, year = map(int, match.groups())
        month, day = (second, first) if first > 12 >= second else (first, second)
        return _iso(year, month, day)
    if match := _DOTTED.match(value):
        day, month, year = map(int, match.groups())
        return _iso(year, month, day)
    raise InvalidDate(value)
