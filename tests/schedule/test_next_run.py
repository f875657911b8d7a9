"""When runs happen: DST on both sides, patterns and ranges, with fixed instants."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from contacthub.sources.schedule import Frequency, Schedule


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def runs(schedule: Schedule, after: datetime, n: int) -> list[datetime]:
    found: list[datetime] = []
    moment: datetime | None = after
    while len(found) < n:
        assert moment is not None
        moment = schedule.next_run(moment)
        if moment is None:
            break
        found.append(moment)
    return found


TALLINN_DAILY = Schedule(datetime(2025, 1, 1, 9, 0), "Europe/Tallinn", Frequency.DAILY)


def test_daily_tallinn_keeps_wall_clock_across_spring_forward() -> None:
    # 2025-03-30 04:00 EET (+02) becomes 04:00 EEST (+03) at 03:00.
    assert runs(TALLINN_DAILY, utc(2025, 3, 29, 0, 0), 3) == [
        utc(2025, 3, 29, 7, 0),
        utc(2025, 3, 30, 6, 0),
        utc(2025, 3, 31, 6, 0),
    ]


def test_daily_tallinn_keeps_wall_clock_across_fall_back() -> None:
    assert runs(TALLINN_DAILY, utc(2025, 10, 25, 0, 0), 3) == [
        utc(2025, 10, 25, 6, 0),
        utc(2025, 10, 26, 7, 0),
        utc(2025, 10, 27, 7, 0),
    ]


def test_next_run_is_strictly_after() -> None:
    assert TALLINN_DAILY.next_run(utc(2025, 3, 30, 6, 0)) == utc(2025, 3, 31, 6, 0)
    assert TALLINN_DAILY.next_run(utc(2025, 3, 30, 5, 59)) == utc(2025, 3, 30, 6, 0)


def test_next_run_accepts_any_aware_instant_and_refuses_naive() -> None:
    from zoneinfo import ZoneInfo

    local = datetime(2025, 3, 30, 8, 0, tzinfo=ZoneInfo("Europe/Tallinn"))
    assert TALLINN_DAILY.next_run(local) == utc(2025, 3, 30, 6, 0)
    with pytest.raises(ValueError, match="aware"):
        TALLINN_DAILY.next_run(datetime(2025, 3, 30))


def test_time_in_spring_gap_runs_with_the_offset_before_the_gap() -> None:
    # 03:30 does not exist on 2025-03-30 in Tallinn: read at +02, i.e. 04:30 EEST.
    schedule = Schedule(datetime(2025, 3, 28, 3, 30), "Europe/Tallinn", Frequency.DAILY)
    assert runs(schedule, utc(2025, 3, 29, 0, 0), 3) == [
        utc(2025, 3, 29, 1, 30),
        utc(2025, 3, 30, 1, 30),
        utc(2025, 3, 31, 0, 30),
    ]


def test_repeated_time_at_fall_back_runs_once_at_the_first() -> None:
    # 03:30 happens twice on 2025-10-26 in Tallinn: 00:30 UTC (EEST) and 01:30 UTC (EET).
    schedule = Schedule(datetime(2025, 10, 1, 3, 30), "Europe/Tallinn", Frequency.DAILY)
    assert runs(schedule, utc(2025, 10, 25, 12, 0), 2) == [
        utc(2025, 10, 26, 0, 30),
        utc(2025, 10, 27, 1, 30),
    ]


def test_new_york_daily_across_both_changes() -> None:
    schedule = Schedule(datetime(2025, 1, 1, 9, 0), "America/New_York", Frequency.DAILY)
    assert runs(schedule, utc(2025, 3, 8, 0, 0), 2) == [utc(2025, 3, 8, 14), utc(2025, 3, 9, 13)]
    assert runs(schedule, utc(2025, 11, 1, 0, 0), 2) == [utc(2025, 11, 1, 13), utc(2025, 11, 2, 14)]


def test_new_york_gap_and_repeat() -> None:
    gap = Schedule(datetime(2025, 3, 1, 2, 30), "America/New_York", Frequency.DAILY)
    assert gap.next_run(utc(2025, 3, 9, 0, 0)) == utc(2025, 3, 9, 7, 30)  # 03:30 EDT
    repeat = Schedule(datetime(2025, 10, 1, 1, 30), "America/New_York", Frequency.DAILY)
    assert runs(repeat, utc(2025, 11, 2, 0, 0), 2) == [
        utc(2025, 11, 2, 5, 30),
        utc(2025, 11, 3, 6, 30),
    ]


def test_every_six_hours_counts_wall_clock_hours_across_dst() -> None:
    schedule = Schedule(datetime(2025, 3, 29, 0, 0), "Europe/Tallinn", Frequency.HOURLY, 6)
    assert runs(schedule, utc(2025, 3, 29, 12, 0), 5) == [
        utc(2025, 3, 29, 16, 0),  # 18:00 EET
        utc(2025, 3, 29, 22, 0),  # 00:00 EET
        utc(2025, 3, 30, 3, 0),  # 06:00 EEST: five real hours later
        utc(2025, 3, 30, 9, 0),
        utc(2025, 3, 30, 15, 0),
    ]


def test_hourly_through_the_gap_never_runs_one_instant_twice() -> None:
    schedule = Schedule(datetime(2025, 3, 30, 0, 0), "Europe/Tallinn", Frequency.HOURLY)
    found = runs(schedule, utc(2025, 3, 29, 23, 30), 4)
    # 02:00 EET, then 03:00 (absent, so 04:00 EEST) and 04:00 EEST: one instant, one run.
    assert found == [
        utc(2025, 3, 30, 0),
        utc(2025, 3, 30, 1),
        utc(2025, 3, 30, 2),
        utc(2025, 3, 30, 3),
    ]


def test_weekly_monday_wednesday_friday() -> None:
    schedule = Schedule(
        datetime(2025, 6, 3, 7, 30),
        "UTC",
        Frequency.WEEKLY,
        weekdays=(4, 0, 2),
    )
    # The start is a Tuesday: the first run is the Wednesday.
    assert runs(schedule, utc(2025, 6, 1), 5) == [
        utc(2025, 6, 4, 7, 30),
        utc(2025, 6, 6, 7, 30),
        utc(2025, 6, 9, 7, 30),
        utc(2025, 6, 11, 7, 30),
        utc(2025, 6, 13, 7, 30),
    ]


def test_every_two_weeks() -> None:
    schedule = Schedule(datetime(2025, 6, 2, 7, 30), "UTC", Frequency.WEEKLY, 2, weekdays=(0, 4))
    assert runs(schedule, utc(2025, 6, 1), 4) == [
        utc(2025, 6, 2, 7, 30),
        utc(2025, 6, 6, 7, 30),
        utc(2025, 6, 16, 7, 30),
        utc(2025, 6, 20, 7, 30),
    ]


def test_monthly_on_the_31st_runs_on_the_last_day_of_shorter_months() -> None:
    schedule = Schedule(datetime(2027, 12, 31, 9, 0), "UTC", Frequency.MONTHLY, month_day=31)
    assert [r.date() for r in runs(schedule, utc(2027, 12, 1), 5)] == [
        date(2027, 12, 31),
        date(2028, 1, 31),
        date(2028, 2, 29),
        date(2028, 3, 31),
        date(2028, 4, 30),
    ]


def test_monthly_day_defaults_to_the_start_day() -> None:
    schedule = Schedule(datetime(2025, 1, 15, 9, 0), "UTC", Frequency.MONTHLY, 3)
    assert schedule.month_day == 15
    assert runs(schedule, utc(2025, 1, 1), 2) == [utc(2025, 1, 15, 9), utc(2025, 4, 15, 9)]


def test_count_ends_the_range() -> None:
    schedule = Schedule(datetime(2025, 5, 1, 9, 0), "Europe/Tallinn", Frequency.DAILY, count=3)
    assert runs(schedule, utc(2025, 1, 1), 10) == [
        utc(2025, 5, 1, 6),
        utc(2025, 5, 2, 6),
        utc(2025, 5, 3, 6),
    ]
    assert schedule.next_run(utc(2025, 5, 3, 6)) is None
    assert schedule.next_run(utc(2030, 1, 1)) is None


def test_until_includes_the_whole_local_day() -> None:
    schedule = Schedule(
        datetime(2025, 5, 1, 23, 30),
        "America/New_York",
        Frequency.DAILY,
        until=date(2025, 5, 3),
    )
    found = runs(schedule, utc(2025, 1, 1), 10)
    # 23:30 EDT is 03:30 UTC the next day.
    assert found == [utc(2025, 5, 2, 3, 30), utc(2025, 5, 3, 3, 30), utc(2025, 5, 4, 3, 30)]


def test_once() -> None:
    schedule = Schedule(datetime(2025, 7, 1, 9, 0), "Europe/Tallinn")
    assert schedule.frequency is Frequency.ONCE
    assert schedule.next_run(utc(2025, 1, 1)) == utc(2025, 7, 1, 6)
    assert schedule.next_run(utc(2025, 7, 1, 6)) is None


def test_far_after_a_long_running_schedule() -> None:
    schedule = Schedule(datetime(2020, 1, 1, 0, 0), "Europe/Tallinn", Frequency.HOURLY)
    assert schedule.next_run(utc(2025, 3, 30, 0, 10)) == utc(2025, 3, 30, 1, 0)


def test_occurrences_between_is_half_open_sorted_and_limited() -> None:
    schedule = Schedule(datetime(2025, 3, 30, 0, 0), "Europe/Tallinn", Frequency.HOURLY)
    found = schedule.occurrences_between(utc(2025, 3, 30, 0), utc(2025, 3, 30, 3))
    assert found == [utc(2025, 3, 30, 0), utc(2025, 3, 30, 1), utc(2025, 3, 30, 2)]
    assert len(schedule.occurrences_between(utc(2025, 4, 1), utc(2025, 5, 1), limit=5)) == 5
    assert TALLINN_DAILY.occurrences_between(utc(2024, 1, 1), utc(2025, 1, 1)) == []
