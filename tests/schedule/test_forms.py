"""A schedule's stored (RRULE), API (JSON) and human forms, and their validation."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from dateutil.rrule import rrulestr

from contacthub.sources.schedule import Frequency, Schedule, ScheduleError

EXAMPLES = [
    Schedule(datetime(2025, 3, 1, 9, 0), "Europe/Tallinn", Frequency.DAILY),
    Schedule(datetime(2025, 3, 1, 9, 0), "Europe/Tallinn"),
    Schedule(datetime(2025, 3, 1, 0, 15), "America/New_York", Frequency.HOURLY, 6, count=20),
    Schedule(datetime(2025, 6, 2, 7, 30), "UTC", Frequency.WEEKLY, 2, weekdays=(0, 4), count=10),
    Schedule(
        datetime(2025, 1, 31, 9, 0),
        "Asia/Tokyo",
        Frequency.MONTHLY,
        month_day=31,
        until=date(2026, 1, 31),
    ),
    Schedule(
        datetime(2025, 1, 3, 18, 0),
        "America/New_York",
        Frequency.MONTHLY,
        2,
        month_day=3,
        until=date(2025, 12, 31),
    ),
]


@pytest.mark.parametrize("schedule", EXAMPLES, ids=lambda s: s.describe())
def test_rrule_round_trip(schedule: Schedule) -> None:
    assert Schedule.from_rrule(schedule.to_rrule()) == schedule


@pytest.mark.parametrize("schedule", EXAMPLES, ids=lambda s: s.describe())
def test_json_round_trip(schedule: Schedule) -> None:
    assert Schedule.from_json(schedule.to_json()) == schedule


def test_rrule_text() -> None:
    assert EXAMPLES[3].to_rrule() == (
        "DTSTART;TZID=UTC:20250602T073000\r\n"
        "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,FR;WKST=MO;COUNT=10\r\n"
    )
    assert EXAMPLES[1].to_rrule() == "DTSTART;TZID=Europe/Tallinn:20250301T090000\r\n"
    monthly = EXAMPLES[4].to_rrule()
    # The end of 2026-01-31 in Tokyo (+09) as UTC, as RFC 5545 wants with a TZID start.
    assert "BYMONTHDAY=28,29,30,31;BYSETPOS=-1;UNTIL=20260131T145959Z" in monthly


def test_rrule_text_is_standard_for_dateutil() -> None:
    rule = rrulestr(EXAMPLES[3].to_rrule())
    assert [d.day for d in list(rule)[:4]] == [2, 6, 16, 20]


def test_json_form() -> None:
    assert EXAMPLES[3].to_json() == {
        "start": "2025-06-02T07:30",
        "timezone": "UTC",
        "frequency": "weekly",
        "interval": 2,
        "weekdays": ["monday", "friday"],
        "month_day": None,
        "count": 10,
        "until": None,
    }


def test_json_defaults() -> None:
    schedule = Schedule.from_json(
        {"start": "2025-06-02T07:30", "timezone": "UTC", "frequency": "weekly"}
    )
    assert schedule.weekdays == (0,) and schedule.interval == 1 and schedule.count is None


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"timezone": "Europe/Tallin"}, "timezone", "unknown time zone 'Europe/Tallin'"),
        ({"timezone": "../../etc/passwd"}, "timezone", "unknown time zone '../../etc/passwd'"),
        ({"interval": 0}, "interval", "interval must be at least 1"),
        ({"interval": "2"}, "interval", "interval must be a whole number"),
        ({"interval": 1001}, "interval", "interval must be at most 1000"),
        ({"frequency": "yearly"}, "frequency", "frequency must be one of once, hourly"),
        ({"start": "2025-13-01T09:00"}, "start", "start must be a local date and time"),
        ({"start": "2025-06-02T07:30+02:00"}, "start", "give the zone in timezone"),
        ({"start": None}, "start", "start is required"),
        ({"count": 0}, "count", "count must be at least 1"),
        ({"until": "2025-06-01"}, "until", "until must not be before the start date"),
        ({"until": "June"}, "until", "until must be a date like 2025-12-31"),
        ({"count": 3, "until": "2025-07-01"}, "until", "either count or until"),
        ({"weekdays": ["funday"]}, "weekdays", "unknown weekday 'funday'"),
        ({"frequency": "daily", "weekdays": ["monday"]}, "weekdays", "only for a weekly"),
        ({"frequency": "monthly", "month_day": 32}, "month_day", "day from 1 to 31"),
        ({"frequency": "once", "count": 2}, "frequency", "runs once takes no"),
        ({"colour": "red"}, "colour", "unknown field 'colour'"),
    ],
)
def test_json_errors_name_the_field(change: dict[str, Any], field: str, message: str) -> None:
    data = {"start": "2025-06-02T07:30", "timezone": "UTC", "frequency": "weekly", **change}
    with pytest.raises(ScheduleError, match=message) as caught:
        Schedule.from_json(data)
    assert caught.value.field == field


@pytest.mark.parametrize(
    "text",
    [
        "RRULE:FREQ=DAILY",
        "DTSTART:20250301T090000\r\nRRULE:FREQ=DAILY",
        "DTSTART;TZID=UTC:20250301T090000\r\nRRULE:FREQ=YEARLY",
        "DTSTART;TZID=UTC:20250301T090000\r\nRRULE:FREQ=DAILY;BYHOUR=9,10",
        "DTSTART;TZID=UTC:20250301T090000\r\nRRULE:FREQ=MONTHLY;BYMONTHDAY=1,15",
        "DTSTART;TZID=UTC:20250301T090000\r\nEXDATE:20250302T090000",
        "DTSTART;TZID=Mars/Olympus:20250301T090000",
    ],
)
def test_unsupported_rrules_are_refused(text: str) -> None:
    with pytest.raises(ScheduleError):
        Schedule.from_rrule(text)


def test_utc_dtstart_without_tzid_is_read_as_utc() -> None:
    schedule = Schedule.from_rrule("DTSTART:20250301T090000Z\nRRULE:FREQ=DAILY;COUNT=2")
    assert schedule == Schedule(datetime(2025, 3, 1, 9), "UTC", Frequency.DAILY, count=2)


@pytest.mark.parametrize(
    ("schedule", "words"),
    [
        (EXAMPLES[0], "daily at 09:00 (Europe/Tallinn)"),
        (EXAMPLES[1], "once on 2025-03-01 at 09:00 (Europe/Tallinn)"),
        (EXAMPLES[2], "every 6 hours from 00:15 (America/New_York), 20 times"),
        (EXAMPLES[3], "every 2 weeks on Monday and Friday at 07:30 (UTC), 10 times"),
        (
            EXAMPLES[4],
            "monthly on day 31 (or the last day of a shorter month) at 09:00 (Asia/Tokyo),"
            " until 2026-01-31",
        ),
        (
            Schedule(
                datetime(2025, 6, 2, 7, 30), "UTC", Frequency.WEEKLY, weekdays=(0, 2, 4), count=1
            ),
            "weekly on Monday, Wednesday and Friday at 07:30 (UTC), once",
        ),
        (
            Schedule(datetime(2025, 6, 2, 7, 30), "UTC", Frequency.DAILY, 3),
            "every 3 days at 07:30 (UTC)",
        ),
        (
            Schedule(datetime(2025, 6, 2, 7, 30), "UTC", Frequency.HOURLY),
            "every hour from 07:30 (UTC)",
        ),
    ],
)
def test_describe(schedule: Schedule, words: str) -> None:
    assert schedule.describe() == words
