"""The report email: subject, time in two forms, counts, the first problems."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

from contacthub.jobs.notify import run_report_email
from contacthub.reconcile.changes import Problem as SyncProblem
from contacthub.sources.csv.problems import Problem as CsvProblem

FINISHED = datetime(2025, 3, 30, 6, 0, 5, tzinfo=UTC)
COUNTS = {"added": 3, "updated": 1, "deleted": 0, "unchanged": 120, "errors": 2}


def body(email: object) -> str:
    return email.get_content()  # type: ignore[attr-defined]


def test_ok_report() -> None:
    problems = [CsvProblem(4, "Email", "invalid email address"), CsvProblem(9, None, "empty row")]
    email = run_report_email(
        "Clients", FINISHED, "ok", COUNTS, problems, "3 added, 1 updated", to="owner@example.org"
    )
    assert email["Subject"] == "Sync Clients: ok"
    assert email["To"] == "owner@example.org"
    text = body(email)
    assert "Sync: Clients\n" in text
    assert "Finished: 2025-03-30T06:00:05+00:00 (Sunday 30 March 2025 at 06:00 UTC)" in text
    assert "Result: ok\nDetails: 3 added, 1 updated\n" in text
    for line in ("Added:     3", "Updated:   1", "Deleted:   0", "Unchanged: 120", "Errors:    2"):
        assert line in text
    assert (
        "Problems:\n  line 4, column 'Email': invalid email address\n  line 9: empty row\n"
    ) in text
    assert "scanned" not in text


def test_failed_report_in_a_local_zone() -> None:
    local = FINISHED.astimezone(ZoneInfo("Europe/Tallinn"))
    email = run_report_email("Team", local, "failed", {}, [], "HTTP 404 for https://x/a.csv")
    assert email["Subject"] == "Sync Team: failed"
    text = body(email)
    assert "2025-03-30T09:00:05+03:00 (Sunday 30 March 2025 at 09:00 EEST)" in text
    assert "Details: HTTP 404 for https://x/a.csv" in text
    # A failed run changed nothing: no table of counts that reads as done.
    assert "\n\nNothing was changed.\n" in text
    assert "Added" not in text and "Deleted" not in text


def test_a_refused_run_says_what_it_would_have_done_and_that_nothing_changed() -> None:
    counts = {"added": 20, "updated": 0, "deleted": 18, "unchanged": 2, "errors": 0}
    message = "this run would delete 18 of the sync's 20 contacts and keep 2"
    email = run_report_email("A", FINISHED, "refused", counts, [], message, book="Kunden")
    text = body(email)
    assert "Address book: Kunden\n" in text
    assert f"Details: {message}\n" in text and "refused: refused" not in text
    assert "Would have added 20 and deleted 18; nothing was changed.\n" in text
    assert "Deleted:" not in text and "Added:" not in text and "Unchanged:" not in text


def test_the_date_header_has_a_known_zone() -> None:
    email = run_report_email("A", FINISHED, "ok", COUNTS, [], "")
    date = email["Date"]
    assert not date.endswith("-0000") and re.search(r" [+-]\d{4}$", date), date
    assert abs(parsedate_to_datetime(date) - datetime.now(UTC)) < timedelta(minutes=1)


def test_refused_and_no_changes() -> None:
    refused = run_report_email("A", FINISHED, "refused", COUNTS, [], "")
    assert refused["Subject"] == "Sync A: refused by the mass-deletion guard"
    assert "Details" not in body(refused)
    assert run_report_email("A", FINISHED, "no_changes", {}, [], "")["Subject"] == (
        "Sync A: no changes"
    )


def test_only_the_first_ten_problems() -> None:
    problems = [SyncProblem(f"reason {n}", line=n + 1) for n in range(12)]
    text = body(run_report_email("A", FINISHED, "ok", {"added": 1}, problems, ""))
    assert "Problems (the first 10 of 12):" in text
    assert "line 10: reason 9" in text and "reason 10" not in text
    assert "Errors:    12" in text  # counted from the problems when counts lack it


def test_mail_source_counts_messages_scanned() -> None:
    text = body(
        run_report_email("Inbox", FINISHED, "ok", {**COUNTS, "messages_scanned": 500}, [], "")
    )
    assert "Messages scanned: 500" in text


def test_names_and_reasons_cannot_break_headers_or_lines() -> None:
    problems = [SyncProblem("bad\nvalue", line=2, column="A\r\nB")]
    email = run_report_email(
        "Evil\r\nBcc: x@example.org",
        FINISHED,
        "ok",
        {},
        problems,
        "",
        to=["a@example.org", "b@example.org"],
    )
    assert email["Subject"] == "Sync Evil Bcc: x@example.org: ok"
    assert email["Bcc"] is None
    assert email["To"] == "a@example.org, b@example.org"
    assert "line 2, column 'A B': bad value" in body(email)
