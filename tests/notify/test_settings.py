"""[smtp] settings: defaults, and errors that name the option."""

from __future__ import annotations

from pathlib import Path

import pytest

from contacthub.config import ConfigError
from contacthub.jobs.notify import Security, SmtpConfigError, SmtpSettings

BASE = {"host": "mail.example.org", "sender": "contacthub <hub@example.org>"}


def test_defaults() -> None:
    settings = SmtpSettings.from_config(BASE)
    assert settings == SmtpSettings(
        "mail.example.org",
        "contacthub <hub@example.org>",
        587,
        Security.STARTTLS,
        None,
        None,
        None,
        30.0,
    )


@pytest.mark.parametrize(("security", "port"), [("none", 25), ("SSL", 465), ("starttls", 587)])
def test_port_follows_security(security: str, port: int) -> None:
    settings = SmtpSettings.from_config({**BASE, "security": security})
    assert (settings.security, settings.port) == (Security(security.lower()), port)


def test_all_options(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("")
    settings = SmtpSettings.from_config(
        {
            **BASE,
            "port": " 2525 ",
            "security": "ssl",
            "user": "u",
            "password": "p w",
            "ca_file": str(ca),
            "timeout": "5",
        }
    )
    assert (
        settings.port,
        settings.user,
        settings.password,
        settings.ca_file,
        settings.timeout,
    ) == (2525, "u", "p w", ca, 5.0)
    assert "p w" not in repr(settings)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"host": ""}, "host is required"),
        ({"port": "smtp"}, "port must be a number from 1 to 65535, not 'smtp'"),
        ({"port": "70000"}, "port must be a number"),
        ({"security": "tls"}, "security must be none, starttls or ssl, not 'tls'"),
        ({"sender": "hub"}, "sender must be an email address, not 'hub'"),
        ({"user": "u"}, "user and password go together"),
        ({"password": "p"}, "user and password go together"),
        ({"ca_file": "/nonexistent/ca.pem"}, "ca_file '/nonexistent/ca.pem' is not a file"),
        ({"timeout": "soon"}, "timeout must be seconds"),
        ({"passwd": "p"}, "no option 'passwd'"),
    ],
)
def test_errors_name_the_option(change: dict[str, str], message: str) -> None:
    with pytest.raises(SmtpConfigError, match=r"\[smtp\] .*" + message):
        SmtpSettings.from_config({**BASE, **change})


def test_error_is_a_config_error() -> None:
    assert issubclass(SmtpConfigError, ConfigError)
