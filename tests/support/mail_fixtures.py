"""Mail fixtures shared by tests/imap and tests/api: a private Dovecot (session), fresh
accounts on it, and the seeded mailbox of tests/imap/messages.py."""

from __future__ import annotations

import itertools
import ssl
from collections.abc import Iterator

import pytest

from contacthub.fetch import FetchPolicy
from contacthub.sources.imap.connection import ImapAccount
from tests.fetch.certs import CertificateFiles, make_certificates
from tests.imap.messages import mailbox
from tests.support.dovecot import DovecotServer

_accounts = itertools.count(1)
# Dovecot and the fake servers are on loopback: the address guard lets exactly that through.
LOOPBACK_POLICY = FetchPolicy(allowed_networks=("127.0.0.0/8",))


@pytest.fixture(scope="session")
def mail_certificates(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return make_certificates(tmp_path_factory.mktemp("mail-certs"))


@pytest.fixture(scope="session")
def dovecot(mail_certificates: CertificateFiles) -> Iterator[DovecotServer]:
    with DovecotServer(mail_certificates) as server:
        yield server


@pytest.fixture
def trusted(mail_certificates: CertificateFiles) -> ssl.SSLContext:
    """Verifies certificates against the test CA (and nothing else)."""
    return ssl.create_default_context(cafile=str(mail_certificates.ca_file))


@pytest.fixture
def account(dovecot: DovecotServer) -> ImapAccount:
    """A fresh user with an empty mailbox, over the plain port without TLS."""
    username = f"ann{next(_accounts)}@example.org"
    password = f"{username}-Secret-7"
    dovecot.add_user(username, password)
    return ImapAccount(username, password, dovecot.host, dovecot.imap_port, ssl=False)


@pytest.fixture
def seeded(dovecot: DovecotServer, account: ImapAccount) -> ImapAccount:
    """*account* with the messages of tests/imap/messages.py in INBOX and the Sent folder."""
    with dovecot.client(account.username) as client:
        for folder, messages in mailbox(account.username).items():
            for raw in messages:
                dovecot.append(client, folder, raw)
    return account
