"""The report email after each run of a sync that has notification addresses."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default

from contacthub.config import Settings
from contacthub.jobs.runner import run_sync
from contacthub.sources.context import RunContext
from contacthub.sources.settings import parse_notify, save_settings
from contacthub.store import SourceRecord, Store
from tests.fetch.http_server import LocalHTTPServer, Site
from tests.jobs.conftest import SENDER, smtp_to
from tests.jobs.helpers import ANN, BOB, CID, csv_of, http_sync, runs_of, serve
from tests.support.net import LOOPBACK, free_port
from tests.support.smtp import Mailbox

BOSS = "boss@example.org"


def notified(ctx: RunContext, site: Site, http: LocalHTTPServer, *addresses: str) -> SourceRecord:
    source = http_sync(ctx, site, http)
    return save_settings(ctx, source, notify=parse_notify(list(addresses) or [BOSS]))


def read(mailbox: Mailbox, index: int = -1) -> EmailMessage:
    message = message_from_bytes(mailbox.envelopes[index].content, policy=default)
    assert isinstance(message, EmailMessage)
    return message


def body_of(message: EmailMessage) -> str:
    return str(message.get_content()).replace("\r\n", "\n")  # as sent over SMTP: CRLF


def counts_in(body: str) -> dict[str, int]:
    return {
        name.lower(): int(value)
        for name, value in re.findall(r"^(\w+):\s+(\d+)$", body, re.MULTILINE)
    }


def test_every_run_emails_the_sync_name_result_and_counts(
    ctx: RunContext,
    settings: Settings,
    store: Store,
    site: Site,
    http: LocalHTTPServer,
    mailbox: Mailbox,
) -> None:
    settings.smtp = smtp_to(mailbox)
    source = notified(ctx, site, http, BOSS, "deputy@example.org")

    first = run_sync(ctx, source)
    serve(site, "/people.csv", csv_of(ANN, BOB, CID))
    second = run_sync(ctx, source)
    third = run_sync(ctx, source)

    assert len(mailbox.envelopes) == 3
    assert mailbox.envelopes[0].rcpt_tos == [BOSS, "deputy@example.org"]
    assert mailbox.envelopes[0].mail_from == SENDER
    reports = [read(mailbox, n) for n in range(3)]
    assert [report["Subject"] for report in reports] == [
        "Sync people: ok",
        "Sync people: ok",
        "Sync people: no changes",
    ]
    bodies = [body_of(report) for report in reports]
    assert all("Sync: people\n" in body for body in bodies)
    assert "Result: ok\n" in bodies[0] and "Result: no changes\n" in bodies[2]
    assert counts_in(bodies[0])["added"] == 2
    assert (counts_in(bodies[1])["added"], counts_in(bodies[1])["unchanged"]) == (1, 2)
    assert counts_in(bodies[2])["added"] == 0
    expected = f"sent to {BOSS}, deputy@example.org"
    assert [run.email for run in runs_of(store, source)] == [expected] * 3
    assert (first.status, second.status, third.status) == ("ok", "ok", "no_changes")


def test_a_failed_run_emails_why_it_failed(
    ctx: RunContext, settings: Settings, site: Site, http: LocalHTTPServer, mailbox: Mailbox
) -> None:
    settings.smtp = smtp_to(mailbox)
    source = notified(ctx, site, http)
    del site.files["/people.csv"]

    run_sync(ctx, source)

    report = read(mailbox)
    assert report["Subject"] == "Sync people: failed"
    assert f"Details: HTTP 404 for {http.url('/people.csv')}" in body_of(report)


def test_with_the_smtp_server_down_the_run_stands_and_says_the_email_was_not_sent(
    ctx: RunContext, settings: Settings, store: Store, site: Site, http: LocalHTTPServer
) -> None:
    port = free_port()  # nothing listens there
    settings.smtp = {"host": LOOPBACK, "port": str(port), "security": "none", "sender": SENDER}
    source = notified(ctx, site, http)

    run = run_sync(ctx, source)

    [recorded] = runs_of(store, source)
    assert run.status == recorded.status == "ok" and recorded.counts["added"] == 2
    assert recorded.email == f"not sent: connection to {LOOPBACK}:{port} refused"


def test_without_an_smtp_server_configured_the_run_says_so(
    ctx: RunContext, store: Store, site: Site, http: LocalHTTPServer
) -> None:
    source = notified(ctx, site, http)

    run_sync(ctx, source)

    [recorded] = runs_of(store, source)
    assert recorded.status == "ok"
    assert recorded.email.startswith("not sent: no SMTP server is configured")


def test_a_bad_smtp_setting_is_shown_on_the_run(
    ctx: RunContext,
    settings: Settings,
    store: Store,
    site: Site,
    http: LocalHTTPServer,
    mailbox: Mailbox,
) -> None:
    settings.smtp = {**smtp_to(mailbox), "security": "tls-please"}
    source = notified(ctx, site, http)

    run_sync(ctx, source)

    [recorded] = runs_of(store, source)
    assert recorded.status == "ok"
    assert recorded.email == (
        "not sent: [smtp] security must be none, starttls or ssl, not 'tls-please'"
    )
    assert mailbox.envelopes == []


def test_a_sync_without_notification_addresses_sends_nothing(
    ctx: RunContext,
    settings: Settings,
    store: Store,
    site: Site,
    http: LocalHTTPServer,
    mailbox: Mailbox,
) -> None:
    settings.smtp = smtp_to(mailbox)
    source = http_sync(ctx, site, http)

    run_sync(ctx, source)

    assert mailbox.envelopes == []
    assert [run.email for run in runs_of(store, source)] == [""]
