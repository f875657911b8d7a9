"""Real SMTP servers on 127.0.0.1 (aiosmtpd) and a throwaway CA for their certificates.

Each server fixture yields a `Mailbox` (tests.support.smtp): its port and the envelopes it
accepted. aiosmtpd stores an envelope before it answers DATA, so once `send` returns the
mail is there.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.notify.certs import CertificateFiles, make_certificates
from tests.support.net import free_port
from tests.support.smtp import Mailbox, serve_mailbox


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return make_certificates(tmp_path_factory.mktemp("smtp-tls"))


def _server_context(certs: CertificateFiles) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certs.server_cert, certs.server_key)
    return context


def _serve(mailbox: Mailbox, **options: Any) -> Iterator[Mailbox]:
    with serve_mailbox(mailbox, **options):
        yield mailbox


@pytest.fixture
def plain_server() -> Iterator[Mailbox]:
    yield from _serve(Mailbox(free_port()))


@pytest.fixture
def auth_server() -> Iterator[Mailbox]:
    mailbox = Mailbox(free_port())
    yield from _serve(
        mailbox, authenticator=mailbox.authenticate, auth_required=True, auth_require_tls=False
    )


@pytest.fixture
def starttls_server(certificates: CertificateFiles) -> Iterator[Mailbox]:
    mailbox = Mailbox(free_port())
    yield from _serve(
        mailbox,
        tls_context=_server_context(certificates),
        require_starttls=True,
        authenticator=mailbox.authenticate,
        auth_required=True,
    )


@pytest.fixture
def ssl_server(certificates: CertificateFiles) -> Iterator[Mailbox]:
    mailbox = Mailbox(free_port())
    # aiosmtpd counts only STARTTLS as TLS when it decides to offer AUTH, not implicit TLS.
    yield from _serve(
        mailbox,
        ssl_context=_server_context(certificates),
        authenticator=mailbox.authenticate,
        auth_required=True,
        auth_require_tls=False,
    )


@pytest.fixture
def ca_file(certificates: CertificateFiles) -> Path:
    return certificates.ca_cert
