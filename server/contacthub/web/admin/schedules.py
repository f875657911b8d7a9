"""The schedule and report fields of any source, shared by the import wizard's last step and
a mail account's page: the form as sent and as saved, in the API's schedule form, and the
schedule's refusals in the page's words. The template half is schedule_macros.html."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from flask import request

from contacthub.sources.schedule import WEEKDAYS, ScheduleError
from contacthub.sources.settings import schedule_of
from contacthub.store import SourceRecord
from contacthub.web.admin.pages import FormErrors


@dataclass(frozen=True)
class RunWords:
    """How a page names one run of its source: an import (a CSV sync), a sync (an account)."""

    run: str  # "import"
    a_run: str  # "an import"
    button: str  # "Run import": the button that runs it by hand


IMPORT = RunWords("import", "an import", "Run import")
SYNC = RunWords("sync", "a sync", "Sync now")


def frequencies(words: RunWords) -> tuple[tuple[str, str], ...]:
    return (
        ("none", f"Not scheduled: {words.run} when I choose {words.button}"),
        ("once", "Once"),
        ("hourly", "Hourly"),
        ("daily", "Daily"),
        ("weekly", "Weekly"),
        ("monthly", "Monthly"),
    )


def ends(words: RunWords) -> tuple[tuple[str, str], ...]:
    return (
        ("never", "No end date"),
        ("count", f"End after a number of {words.run}s"),
        ("until", "End by a date"),
    )


def _schedule_words(words: RunWords) -> dict[str, str]:
    """The schedule's reasons name its JSON fields; the page names its inputs."""
    return {
        "start": "The start",
        "until": "The end date",
        "count": f"The number of {words.run}s",
        "interval": "The interval",
        "month_day": "The day of the month",
        "weekdays": "The days",
        "timezone": "The time zone",
        "frequency": "The pattern",
    }


@cache
def time_zones() -> list[str]:
    return sorted(zone for zone in available_timezones() if zone != "Factory")


@dataclass(frozen=True)
class Choices:
    """What the schedule fields offer, in the words of the page's runs."""

    words: RunWords

    @property
    def frequencies(self) -> tuple[tuple[str, str], ...]:
        return frequencies(self.words)

    @property
    def ends(self) -> tuple[tuple[str, str], ...]:
        return ends(self.words)

    @property
    def zones(self) -> list[tuple[str, str]]:
        return [(zone, zone) for zone in time_zones()]

    @property
    def weekdays(self) -> tuple[str, ...]:
        return tuple(WEEKDAYS)


@dataclass
class ScheduleForm:
    frequency: str = "none"
    start: str = ""
    timezone: str = "UTC"
    interval: str = "1"
    weekdays: list[str] = field(default_factory=list)
    month_day: str = ""
    end: str = "never"
    count: str = ""
    until: str = ""
    notify: str = ""
    fresh: bool = True  # nothing saved or typed yet: the page may take the browser's zone

    @classmethod
    def of(cls, source: SourceRecord) -> ScheduleForm:
        notify = ", ".join(source.settings.get("notify") or [])
        try:
            schedule = schedule_of(source)
        except ScheduleError:
            schedule = None  # unreadable: shown as not scheduled, to be set again
        if schedule is None:
            start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
            return cls(
                start=(start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                notify=notify,
                fresh=not notify,
            )
        saved = schedule.to_json()
        return cls(
            frequency=saved["frequency"],
            start=saved["start"][:16],
            timezone=saved["timezone"],
            interval=str(saved["interval"]),
            weekdays=list(saved["weekdays"]),
            month_day=str(saved["month_day"] or ""),
            end="count" if saved["count"] else "until" if saved["until"] else "never",
            count=str(saved["count"] or ""),
            until=saved["until"] or "",
            notify=notify,
            fresh=False,
        )

    @classmethod
    def posted(cls) -> ScheduleForm:
        form = request.form
        return cls(
            frequency=form.get("schedule.frequency", "none"),
            start=form.get("schedule.start", "").strip(),
            timezone=form.get("schedule.timezone", "UTC"),
            interval=form.get("schedule.interval", "1").strip(),
            weekdays=form.getlist("schedule.weekdays"),
            month_day=form.get("schedule.month_day", "").strip(),
            end=form.get("schedule.end", "never"),
            count=form.get("schedule.count", "").strip(),
            until=form.get("schedule.until", "").strip(),
            notify=form.get("notify", "").strip(),
            fresh=False,
        )

    def schedule_json(self, errors: FormErrors, words: RunWords = IMPORT) -> dict[str, Any] | None:
        """The API's schedule form; numbers that are not numbers go into `errors`."""
        if self.frequency == "none":
            return None
        if not self.start:
            errors["schedule.start"] = f"Choose the date and time of the first {words.run}."
        schedule: dict[str, Any] = {
            "start": self.start,
            "timezone": self.timezone,
            "frequency": self.frequency,
        }
        if self.frequency == "once":
            return schedule
        schedule["interval"] = _number(self.interval, "schedule.interval", errors)
        if self.frequency == "weekly":
            schedule["weekdays"] = self.weekdays
        if self.frequency == "monthly" and self.month_day:
            schedule["month_day"] = _number(self.month_day, "schedule.month_day", errors)
        if self.end == "count":
            schedule["count"] = _number(self.count, "schedule.count", errors)
        elif self.end == "until":
            if not self.until:
                errors["schedule.until"] = f"Choose the date of the last {words.run}."
            schedule["until"] = self.until
        return schedule


def _number(text: str, name: str, errors: FormErrors) -> int:
    try:
        return int(text)
    except ValueError:
        errors[name] = "Enter a whole number, such as 1 or 2."
        return 0


def plain(errors: FormErrors, words: RunWords = IMPORT) -> None:
    """The schedule's reasons in the page's words: "The end date must not be ..."."""
    named = _schedule_words(words)
    for name, message in errors.items():
        if name.startswith("schedule."):
            bare = name.removeprefix("schedule.")
            prefix = bare[:1].upper() + bare[1:] + " "
            if message.startswith(prefix) and bare in named:
                errors[name] = f"{named[bare]} {message[len(prefix) :]}"


def described(source: SourceRecord) -> str | None:
    """The saved schedule in words; None when there is none (or it cannot be read)."""
    try:
        schedule = schedule_of(source)
    except ScheduleError:
        return None
    return schedule.describe() if schedule else None
