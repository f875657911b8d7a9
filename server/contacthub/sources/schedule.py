"""When a sync runs: a start in an IANA time zone, a recurrence pattern and a range.

A `Schedule` is stored as RFC 5545 text, a DTSTART with its TZID and (unless it
runs once) an RRULE::

    DTSTART;TZID=Europe/Tallinn:20250301T090000
    RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;WKST=MO;COUNT=10

Occurrences are computed by python-dateutil over local wall-clock times and only
then turned into instants with zoneinfo, so a daily 09:00 Europe/Tallinn schedule
runs at 09:00 local time on both sides of a DST change. Choices, as RFC 5545 makes
them (section 3.3.5):

- A wall-clock time that does not exist (the spring-forward gap) is read with the
  UTC offset before the gap: 03:30 on the day Tallinn jumps from 03:00 to 04:00
  runs at 04:30 local time.
- A wall-clock time that exists twice (fall back) runs once, at the first of the two.
- "Every N hours" counts wall-clock hours from the start time: every 6 hours from
  00:00 runs at 00:00, 06:00, 12:00 and 18:00 local every day, so across a DST change
  one interval is 5 or 7 real hours. Two wall-clock times that land on one instant
  (03:00 and 04:00 on the spring-forward day) run once, though COUNT counts both.
- Monthly on day 29, 30 or 31 runs on the month's last day when the month is shorter
  (day 31 runs on 28 or 29 February, 30 April ...); in RRULE terms
  ``BYMONTHDAY=28,29,30,31;BYSETPOS=-1``.
- The start is the earliest possible run; it is a run only when it matches the
  pattern (weekly on Monday from a Tuesday start first runs the next Monday).
- "End by a date" includes that whole local day.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import rrule as du

from contacthub.errors import UserError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_RFC_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_STAMP = "%Y%m%dT%H%M%S"
# Offsets change by at most a couple of hours, so a day covers any reordering of
# instants around a gap.
_MARGIN = timedelta(days=1)
MAX_INTERVAL = 1000
_JSON_FIELDS = frozenset(
    {"start", "timezone", "frequency", "interval", "weekdays", "month_day", "count", "until"}
)


class ScheduleError(UserError):
    """A schedule that cannot be used; `field` names the JSON field at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message, field=field)
        self.field: str = field


class Frequency(StrEnum):
    ONCE = "once"
    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


_DU_FREQ: dict[Frequency, Literal[0, 1, 2, 3, 4, 5, 6]] = {
    Frequency.HOURLY: du.HOURLY,
    Frequency.DAILY: du.DAILY,
    Frequency.WEEKLY: du.WEEKLY,
    Frequency.MONTHLY: du.MONTHLY,
}
_UNITS = {
    Frequency.HOURLY: "hour",
    Frequency.DAILY: "day",
    Frequency.WEEKLY: "week",
    Frequency.MONTHLY: "month",
}
_EVERY_ONE = {
    Frequency.HOURLY: "every hour",
    Frequency.DAILY: "daily",
    Frequency.WEEKLY: "weekly",
    Frequency.MONTHLY: "monthly",
}


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name`, or a ScheduleError naming the field `timezone`."""
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9_+\-]+(/[A-Za-z0-9_+\-]+)*", name):
        raise ScheduleError("timezone", f"unknown time zone {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ScheduleError("timezone", f"unknown time zone {name!r}") from None


@dataclass(frozen=True)
class Schedule:
    """`start` is a naive local date and time in `timezone`; `weekdays` are 0 (Monday) to 6.

    Weekly without weekdays means the start's weekday; monthly without a day means
    the start's day. At most one of `count` and `until` ends the range.
    """

    start: datetime
    timezone: str
    frequency: Frequency = Frequency.ONCE
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    month_day: int | None = None
    count: int | None = None
    until: date | None = None
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise once, here
        set_(self, "_tz", zone(self.timezone))
        if not isinstance(self.start, datetime) or self.start.tzinfo is not None:
            raise ScheduleError("start", "start must be a local date and time without an offset")
        set_(self, "start", self.start.replace(microsecond=0))
        try:
            set_(self, "frequency", Frequency(self.frequency))
        except ValueError:
            choices = ", ".join(f.value for f in Frequency)
            raise ScheduleError(
                "frequency", f"frequency must be one of {choices}, not {self.frequency!r}"
            ) from None
        if type(self.interval) is not int or self.interval < 1:
            raise ScheduleError("interval", "interval must be at least 1")
        if self.interval > MAX_INTERVAL:
            raise ScheduleError("interval", f"interval must be at most {MAX_INTERVAL}")
        self._check_pattern(set_)
        self._check_range()

    def _check_pattern(self, set_: Any) -> None:
        freq = self.frequency
        if freq is Frequency.ONCE:
            if self.interval != 1 or self.count is not None or self.until is not None:
                raise ScheduleError(
                    "frequency", "a schedule that runs once takes no interval, count or until"
                )
        if self.weekdays and freq is not Frequency.WEEKLY:
            raise ScheduleError("weekdays", "weekdays are only for a weekly schedule")
        if self.month_day is not None and freq is not Frequency.MONTHLY:
            raise ScheduleError("month_day", "month_day is only for a monthly schedule")
        if freq is Frequency.WEEKLY:
            days = tuple(sorted(set(self.weekdays))) or (self.start.weekday(),)
            if any(type(d) is not int or not 0 <= d <= 6 for d in days):
                raise ScheduleError("weekdays", "weekdays must be numbers from 0 (Monday) to 6")
            set_(self, "weekdays", days)
        if freq is Frequency.MONTHLY:
            day = self.start.day if self.month_day is None else self.month_day
            if type(day) is not int or not 1 <= day <= 31:
                raise ScheduleError("month_day", "month_day must be a day from 1 to 31")
            set_(self, "month_day", day)

    def _check_range(self) -> None:
        if self.count is not None and self.until is not None:
            raise ScheduleError("until", "give either count or until, not both")
        if self.count is not None and (type(self.count) is not int or self.count < 1):
            raise ScheduleError("count", "count must be at least 1")
        if self.until is not None:
            if not isinstance(self.until, date) or isinstance(self.until, datetime):
                raise ScheduleError("until", "until must be a date")
            if self.until < self.start.date():
                raise ScheduleError("until", "until must not be before the start date")

    # -- computing runs -------------------------------------------------------

    def _rule(self) -> du.rrule | None:
        if self.frequency is Frequency.ONCE:
            return None
        month_days: tuple[int, ...] | None = None
        setpos = None
        if self.month_day is not None:
            month_days, setpos = _month_days(self.month_day)
        until = datetime.combine(self.until, time(23, 59, 59)) if self.until else None
        return du.rrule(
            _DU_FREQ[self.frequency],
            dtstart=self.start,
            interval=self.interval,
            wkst=du.MO,
            byweekday=self.weekdays or None,
            bymonthday=month_days,
            bysetpos=setpos,
            count=self.count,
            until=until,
        )

    def _instant(self, local: datetime) -> datetime:
        # fold=0: the offset before a gap, the first of two repeated times (RFC 5545).
        return local.replace(tzinfo=self._tz, fold=0).astimezone(UTC)

    def _instants_from(self, after: datetime) -> Iterator[datetime]:
        """Instants of runs, roughly in order, starting a margin before `after`."""
        rule = self._rule()
        if rule is None:
            yield self._instant(self.start)
            return
        begin = after.astimezone(self._tz).replace(tzinfo=None) - _MARGIN
        for local in rule.xafter(begin, inc=True):
            yield self._instant(local)

    def next_run(self, after: datetime) -> datetime | None:
        """The first run strictly after the aware instant `after`, in UTC; None when done."""
        _require_aware(after, "after")
        best: datetime | None = None
        for instant in self._instants_from(after):
            if best is not None and instant > best + _MARGIN:
                break
            if instant > after and (best is None or instant < best):
                best = instant
        return best

    def occurrences_between(
        self, start: datetime, end: datetime, limit: int = 1000
    ) -> list[datetime]:
        """Runs at or after `start` and before `end` (aware instants), in UTC, at most `limit`."""
        _require_aware(start, "start")
        _require_aware(end, "end")
        found: set[datetime] = set()
        for instant in self._instants_from(start):
            if instant >= end + _MARGIN or len(found) >= limit + 1:
                break
            if start <= instant < end:
                found.add(instant)
        return sorted(found)[:limit]

    # -- RFC 5545 -------------------------------------------------------------

    def to_rrule(self) -> str:
        """DTSTART with TZID, then the RRULE unless it runs once; lines end with CRLF."""
        lines = [f"DTSTART;TZID={self.timezone}:{self.start.strftime(_STAMP)}"]
        if self.frequency is not Frequency.ONCE:
            parts = [f"FREQ={self.frequency.name}", f"INTERVAL={self.interval}"]
            if self.frequency is Frequency.WEEKLY:
                parts += [f"BYDAY={','.join(_RFC_DAYS[d] for d in self.weekdays)}", "WKST=MO"]
            if self.month_day is not None:
                days, setpos = _month_days(self.month_day)
                parts.append(f"BYMONTHDAY={','.join(map(str, days))}")
                if setpos is not None:
                    parts.append(f"BYSETPOS={setpos}")
            if self.count is not None:
                parts.append(f"COUNT={self.count}")
            if self.until is not None:
                end = self._instant(datetime.combine(self.until, time(23, 59, 59)))
                parts.append(f"UNTIL={end.strftime(_STAMP)}Z")
            lines.append("RRULE:" + ";".join(parts))
        return "\r\n".join(lines) + "\r\n"

    @classmethod
    def from_rrule(cls, text: str) -> Schedule:
        """Read what `to_rrule` wrote; other RRULE features raise ScheduleError."""
        start: datetime | None = None
        tz_name = ""
        rule: dict[str, str] | None = None
        for line in filter(None, (raw.strip() for raw in text.splitlines())):
            name, _, value = line.partition(":")
            if name.upper().startswith("DTSTART"):
                start, tz_name = _parse_dtstart(name, value)
            elif name.upper() == "RRULE":
                rule = _parse_parts(value)
            else:
                raise ScheduleError("rrule", f"unexpected line {line!r}")
        if start is None:
            raise ScheduleError("rrule", "DTSTART is missing")
        if rule is None:
            return cls(start, tz_name)
        return cls(start, tz_name, **_pattern_from_parts(rule, zone(tz_name)))

    # -- JSON -----------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(timespec="seconds" if self.start.second else "minutes"),
            "timezone": self.timezone,
            "frequency": self.frequency.value,
            "interval": self.interval,
            "weekdays": [WEEKDAYS[d] for d in self.weekdays],
            "month_day": self.month_day,
            "count": self.count,
            "until": self.until.isoformat() if self.until else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Schedule:
        """Build from the API's form; missing optional fields take their defaults."""
        if not isinstance(data, Mapping):
            raise ScheduleError("schedule", "schedule must be an object")
        unknown = sorted(set(data) - _JSON_FIELDS)
        if unknown:
            raise ScheduleError(unknown[0], f"unknown field {unknown[0]!r}")
        for required in ("start", "timezone"):
            if data.get(required) in (None, ""):
                raise ScheduleError(required, f"{required} is required")
        return cls(
            start=_json_start(data["start"]),
            timezone=_json_str(data["timezone"], "timezone"),
            frequency=_json_frequency(data.get("frequency") or "once"),
            interval=_json_int(data.get("interval", 1), "interval"),
            weekdays=_json_weekdays(data.get("weekdays") or []),
            month_day=_json_optional_int(data.get("month_day"), "month_day"),
            count=_json_optional_int(data.get("count"), "count"),
            until=_json_until(data.get("until")),
        )

    # -- words ----------------------------------------------------------------

    def describe(self) -> str:
        """For people: "every 2 weeks on Monday and Friday at 07:30 (UTC), 10 times"."""
        at = self.start.strftime("%H:%M")
        if self.frequency is Frequency.ONCE:
            return f"once on {self.start.date().isoformat()} at {at} ({self.timezone})"
        if self.interval == 1:
            every = _EVERY_ONE[self.frequency]
        else:
            every = f"every {self.interval} {_UNITS[self.frequency]}s"
        if self.frequency is Frequency.HOURLY:
            text = f"{every} from {at}"
        elif self.frequency is Frequency.WEEKLY:
            days = _and([WEEKDAYS[d].capitalize() for d in self.weekdays])
            text = f"{every} on {days} at {at}"
        elif self.frequency is Frequency.MONTHLY:
            assert self.month_day is not None
            text = f"{every} on day {self.month_day}"
            if self.month_day > 28:
                text += " (or the last day of a shorter month)"
            text += f" at {at}"
        else:
            text = f"{every} at {at}"
        text += f" ({self.timezone})"
        if self.count is not None:
            text += ", once" if self.count == 1 else f", {self.count} times"
        if self.until is not None:
            text += f", until {self.until.isoformat()}"
        return text


def _month_days(day: int) -> tuple[tuple[int, ...], int | None]:
    if day <= 28:
        return (day,), None
    return tuple(range(28, day + 1)), -1


def _and(words: Sequence[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime")


def _parse_stamp(value: str, what: str) -> datetime:
    try:
        return datetime.strptime(value, _STAMP)
    except ValueError:
        raise ScheduleError("rrule", f"{what} {value!r} is not a date-time") from None


def _parse_dtstart(name: str, value: str) -> tuple[datetime, str]:
    params = {}
    for param in name.split(";")[1:]:
        key, _, val = param.partition("=")
        params[key.upper()] = val
    tz_name = params.get("TZID", "")
    if value.endswith("Z") and not tz_name:
        return _parse_stamp(value[:-1], "DTSTART"), "UTC"
    if not tz_name:
        raise ScheduleError("rrule", "DTSTART needs a TZID")
    return _parse_stamp(value, "DTSTART"), tz_name


def _parse_parts(value: str) -> dict[str, str]:
    parts: dict[str, str] = {}
    for part in filter(None, value.split(";")):
        key, sep, val = part.partition("=")
        if not sep or key.upper() in parts:
            raise ScheduleError("rrule", f"bad RRULE part {part!r}")
        parts[key.upper()] = val
    return parts


def _pattern_from_parts(parts: dict[str, str], tz: ZoneInfo) -> dict[str, Any]:
    parts = dict(parts)
    freq_name = parts.pop("FREQ", "")
    frequency = next((f for f in _DU_FREQ if f.name == freq_name), None)
    if frequency is None:
        raise ScheduleError("rrule", f"unsupported FREQ {freq_name!r}")
    found: dict[str, Any] = {"frequency": frequency}
    try:
        found["interval"] = int(parts.pop("INTERVAL", "1"))
        if "COUNT" in parts:
            found["count"] = int(parts.pop("COUNT"))
    except ValueError:
        raise ScheduleError("rrule", "INTERVAL and COUNT must be numbers") from None
    if "UNTIL" in parts:
        raw = parts.pop("UNTIL")
        end = _parse_stamp(raw.removesuffix("Z"), "UNTIL")
        if raw.endswith("Z"):
            end = end.replace(tzinfo=UTC).astimezone(tz).replace(tzinfo=None)
        found["until"] = end.date()
    if parts.pop("WKST", "MO") != "MO":
        raise ScheduleError("rrule", "only WKST=MO is supported")
    if "BYDAY" in parts:
        days = parts.pop("BYDAY").split(",")
        if any(d not in _RFC_DAYS for d in days):
            raise ScheduleError("rrule", f"unsupported BYDAY {','.join(days)!r}")
        found["weekdays"] = tuple(_RFC_DAYS.index(d) for d in days)
    if "BYMONTHDAY" in parts:
        found["month_day"] = _month_day_from(parts.pop("BYMONTHDAY"), parts.pop("BYSETPOS", None))
    if parts:
        raise ScheduleError("rrule", f"unsupported RRULE part {sorted(parts)[0]!r}")
    return found


def _month_day_from(days: str, setpos: str | None) -> int:
    try:
        numbers = tuple(int(d) for d in days.split(","))
    except ValueError:
        raise ScheduleError("rrule", f"unsupported BYMONTHDAY {days!r}") from None
    day = numbers[-1]
    if _month_days(day) != (numbers, None if setpos is None else int(setpos)):
        raise ScheduleError("rrule", f"unsupported BYMONTHDAY {days!r}")
    return day


def _json_str(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ScheduleError(name, f"{name} must be a string")
    return value


def _json_frequency(value: Any) -> Frequency:
    try:
        return Frequency(_json_str(value, "frequency"))
    except ValueError:
        choices = ", ".join(f.value for f in Frequency)
        raise ScheduleError(
            "frequency", f"frequency must be one of {choices}, not {value!r}"
        ) from None


def _json_int(value: Any, name: str) -> int:
    if type(value) is not int:
        raise ScheduleError(name, f"{name} must be a whole number")
    return value


def _json_optional_int(value: Any, name: str) -> int | None:
    return None if value is None else _json_int(value, name)


def _json_start(value: Any) -> datetime:
    try:
        start = datetime.fromisoformat(_json_str(value, "start"))
    except ValueError:
        raise ScheduleError(
            "start", f"start must be a local date and time like 2025-03-01T09:00, not {value!r}"
        ) from None
    if start.tzinfo is not None:
        raise ScheduleError("start", "start is a local time: give the zone in timezone, not here")
    return start


def _json_until(value: Any) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(_json_str(value, "until"))
    except ValueError:
        raise ScheduleError(
            "until", f"until must be a date like 2025-12-31, not {value!r}"
        ) from None


def _json_weekdays(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise ScheduleError("weekdays", "weekdays must be a list of day names")
    days = []
    for name in value:
        if not isinstance(name, str) or name.lower() not in WEEKDAYS:
            raise ScheduleError("weekdays", f"unknown weekday {name!r}")
        days.append(WEEKDAYS.index(name.lower()))
    return tuple(days)
