"""Times in words on the admin page ("seconds ago", "in 3 hours"), at a fixed `now`."""

from __future__ import annotations

import pytest

from contacthub.web.admin.pages import ago, in_words

NOW = 1_750_000_000.0
MINUTE, HOUR, DAY = 60, 3600, 86400


@pytest.mark.parametrize(
    ("seconds_before", "words"),
    [
        (0, "seconds ago"),
        (10, "seconds ago"),
        (44, "seconds ago"),
        (45, "a minute ago"),
        (MINUTE, "a minute ago"),
        (89, "a minute ago"),
        (3 * MINUTE, "3 minutes ago"),
        (44 * MINUTE, "44 minutes ago"),
        (50 * MINUTE, "an hour ago"),
        (3 * HOUR, "3 hours ago"),
        (21 * HOUR, "21 hours ago"),
        (23 * HOUR, "a day ago"),
        (2 * DAY, "2 days ago"),
        (25 * DAY, "25 days ago"),
        (60 * DAY, "2 months ago"),
        (400 * DAY, "a year ago"),
        (3 * 365 * DAY, "3 years ago"),
    ],
)
def test_past_moments_read_as_people_say_them(seconds_before: float, words: str) -> None:
    assert ago(NOW - seconds_before, now=NOW) == words


@pytest.mark.parametrize(
    ("seconds_after", "words"),
    [
        (5, "in seconds"),
        (MINUTE, "in a minute"),
        (3 * HOUR, "in 3 hours"),
        (3 * HOUR - 30, "in 3 hours"),
        (2 * DAY, "in 2 days"),
    ],
)
def test_future_moments_read_in_words(seconds_after: float, words: str) -> None:
    assert ago(NOW + seconds_after, now=NOW) == words


def test_no_moment_reads_as_nothing() -> None:
    assert ago(None, now=NOW) == ""


def test_a_duration_is_the_same_either_way() -> None:
    assert in_words(-3 * HOUR) == in_words(3 * HOUR) == "3 hours"
