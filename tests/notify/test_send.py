"""Sending through real SMTP servers on 127.0.0.1: plain, AUTH, STARTTLS, SSL, refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from contacthub.jobs.notify import NotifyError, Security, SmtpSettings, run_report_email, send
from contacthub.sources.csv.problems import Problem
from tests.support.net import LOOPBACK, free_port
from tests.support.smtp import PASSWORD, USER, Mailbox

SENDER = "contacthub <hub@example.org>"

# The AUTH and SSL servers offer AUTH without STARTTLS on purpose.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")


def report(to: str | list[str] = "owner@example.org"):  # noqa: ANN201
    return run_report_email(
        "Clients",
        datetime(2025, 3, 30, 6, 0, tzinfo=UTC),
        "ok",
        {"added": 3, "updated": 1, "deleted": 2, "unchanged": 40, "errors": 1},
        [Problem(7, "Phone", "invalid phone number")],
        "",
        to=to,
    )


def settings(port: int, security: Security = Security.NONE, **more: object) -> SmtpSettings:
    return replace(SmtpSettings(LOOPBACK, SENDER, port, security, timeout=10), **more)


def received(mailbox: Mailbox) -> tuple[list[str], str, object]:
    (envelope,) = mailbox.envelopes
    parsed = message_from_bytes(envelope.content, policy=policy.default)
    return envelope.rcpt_tos, envelope.mail_from, parsed


def test_plain_server_receives_the_report(plain_server: Mailbox) -> None:
    send(settings(plain_server.port), report(["owner@example.org", "team@example.org"]))
    recipients, mail_from, email = received(plain_server)
    assert recipients == ["owner@example.org", "team@example.org"]
    assert mail_from == "hub@example.org"
    assert email["Subject"] == "Sync Clients: ok"  # type: ignore[index]
    assert email["From"] == SENDER  # type: ignore[index]
    assert email["Message-ID"]  # type: ignore[index]
    text = email.get_content()  # type: ignore[attr-defined]
    for line in (
        "Added:     3",
        "Deleted:   2",
        "Unchanged: 40",
        "Errors:    1",
        "line 7, column 'Phone': invalid phone number",
    ):
        assert line in text


def test_auth_with_the_right_password(auth_server: Mailbox) -> None:
    send(settings(auth_server.port, user=USER, password=PASSWORD), report())
    assert auth_server.logins == [USER]
    assert len(auth_server.envelopes) == 1


def test_auth_with_a_wrong_password(auth_server: Mailbox) -> None:
    wrong = "wrong-Pass-42"
    with pytest.raises(NotifyError) as caught:
        send(settings(auth_server.port, user=USER, password=wrong), report())
    where = f"{LOOPBACK}:{auth_server.port}"
    assert str(caught.value) == f"SMTP login failed for user {USER} at {where}"
    assert wrong not in str(caught.value) and caught.value.__cause__ is None
    assert auth_server.envelopes == []


def test_server_requiring_auth_without_user(auth_server: Mailbox) -> None:
    where = f"{LOOPBACK}:{auth_server.port}"
    with pytest.raises(NotifyError, match=f"{where} refused the sender .*Authentication required"):
        send(settings(auth_server.port), report())


def test_starttls_with_a_trusted_test_ca(starttls_server: Mailbox, ca_file: Path) -> None:
    send(
        settings(
            starttls_server.port, Security.STARTTLS, user=USER, password=PASSWORD, ca_file=ca_file
        ),
        report(),
    )
    assert starttls_server.logins == [USER]
    assert len(starttls_server.envelopes) == 1


def test_starttls_with_an_untrusted_certificate(starttls_server: Mailbox) -> None:
    with pytest.raises(NotifyError, match=f"certificate verify failed for {LOOPBACK}"):
        send(
            settings(starttls_server.port, Security.STARTTLS, user=USER, password=PASSWORD),
            report(),
        )
    assert starttls_server.envelopes == []


def test_starttls_not_offered(plain_server: Mailbox, ca_file: Path) -> None:
    with pytest.raises(NotifyError) as caught:
        send(settings(plain_server.port, Security.STARTTLS, ca_file=ca_file), report())
    assert str(caught.value) == f"STARTTLS not supported by {LOOPBACK}:{plain_server.port}"
    assert plain_server.envelopes == []


def test_ssl(ssl_server: Mailbox, ca_file: Path) -> None:
    send(
        settings(ssl_server.port, Security.SSL, user=USER, password=PASSWORD, ca_file=ca_file),
        report(),
    )
    assert ssl_server.logins == [USER]
    assert len(ssl_server.envelopes) == 1


def test_ssl_against_a_plain_server(plain_server: Mailbox, ca_file: Path) -> None:
    with pytest.raises(NotifyError, match=f"TLS with {LOOPBACK}:{plain_server.port} failed"):
        send(settings(plain_server.port, Security.SSL, ca_file=ca_file), report())


def test_refused_connection() -> None:
    port = free_port()
    with pytest.raises(NotifyError) as caught:
        send(settings(port, user=USER, password=PASSWORD), report())
    assert str(caught.value) == f"connection to {LOOPBACK}:{port} refused"


def test_no_recipient() -> None:
    with pytest.raises(NotifyError, match="no recipient"):
        send(settings(free_port()), report(to=[]))
