"""Connecting to IMAP: security by port, presets, and an actionable message for each failure."""

from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import replace

import pytest

from contacthub.errors import LoginRefused
from contacthub.fetch import FetchPolicy
from contacthub.sources.imap.connection import (
    PRESETS,
    ImapAccount,
    ImapError,
    connect,
    logout,
    test_connection,
)
from tests.imap.fake_servers import LineServer, imap_capabilities, pop3
from tests.support.dns_server import DnsServer
from tests.support.dovecot import SENT_FOLDER, DovecotServer
from tests.support.mail_fixtures import LOOPBACK_POLICY
from tests.support.net import LOOPBACK, free_port


def test_security_follows_ssl_and_port() -> None:
    def security(port: int, use_ssl: bool, starttls: bool | None = None) -> str:
        return ImapAccount("u", "p", "imap.example.org", port, use_ssl, starttls=starttls).security

    assert security(993, True) == "ssl"
    assert security(143, True) == "starttls"
    assert security(143, False) == "none"
    assert security(993, False) == "none"
    assert security(1143, True, starttls=True) == "starttls"
    assert security(143, True, starttls=False) == "ssl"


def test_presets_fill_server_and_port() -> None:
    assert set(PRESETS) == {"outlook", "yahoo", "aol", "icloud", "gmail"}
    gmail = PRESETS["gmail"].account("ann@gmail.com", "app-password")
    assert (gmail.host, gmail.port, gmail.ssl, gmail.security) == (
        "imap.gmail.com",
        993,
        True,
        "ssl",
    )
    assert "app password" in PRESETS["gmail"].note
    for preset in PRESETS.values():
        assert preset.host.count(".") >= 2 and preset.port == 993 and preset.ssl
        assert preset.label and preset.note


def test_password_is_not_in_repr() -> None:
    assert "hunter2" not in repr(ImapAccount("ann", "hunter2", "imap.example.org"))


def test_plain_login_and_check(dovecot: DovecotServer, account: ImapAccount) -> None:
    check = test_connection(account, timeout=10, policy=LOOPBACK_POLICY)
    assert check.security == "none"
    assert check.sent_folder == SENT_FOLDER  # marked \Sent, under a name nobody guesses
    assert check.inbox_messages == 0


def test_starttls_on_the_plain_port(
    dovecot: DovecotServer, account: ImapAccount, trusted: ssl.SSLContext
) -> None:
    secure = replace(account, ssl=True, starttls=True)
    client = connect(secure, timeout=10, ssl_context=trusted, policy=LOOPBACK_POLICY)
    try:
        assert isinstance(client.sock, ssl.SSLSocket)
        assert client.sock.version() in ("TLSv1.2", "TLSv1.3")
    finally:
        logout(client)
    assert (
        test_connection(secure, timeout=10, ssl_context=trusted, policy=LOOPBACK_POLICY).security
        == "starttls"
    )


def test_ssl_port_with_the_test_ca(
    dovecot: DovecotServer, account: ImapAccount, trusted: ssl.SSLContext
) -> None:
    secure = replace(account, port=dovecot.imaps_port, ssl=True)
    client = connect(secure, timeout=10, ssl_context=trusted, policy=LOOPBACK_POLICY)
    try:
        assert isinstance(client.sock, ssl.SSLSocket)
        assert client.select("INBOX", readonly=True)[0] == "OK"
    finally:
        logout(client)
    check = test_connection(secure, timeout=10, ssl_context=trusted, policy=LOOPBACK_POLICY)
    assert (check.security, check.sent_folder) == ("ssl", SENT_FOLDER)


def test_non_ascii_password(dovecot: DovecotServer) -> None:
    dovecot.add_user("jose@example.org", "contraseña-Größe-1")
    account = ImapAccount(
        "jose@example.org", "contraseña-Größe-1", dovecot.host, dovecot.imap_port, ssl=False
    )
    assert test_connection(account, timeout=10, policy=LOOPBACK_POLICY).inbox_messages == 0


def test_configured_sent_folder_must_exist(dovecot: DovecotServer, account: ImapAccount) -> None:
    assert (
        test_connection(replace(account, sent_folder="Drafts"), policy=LOOPBACK_POLICY).sent_folder
        == "Drafts"
    )
    with pytest.raises(ImapError) as caught:
        test_connection(
            replace(account, sent_folder="Sent Items"), timeout=10, policy=LOOPBACK_POLICY
        )
    message = str(caught.value)
    assert "no folder 'Sent Items'" in message
    assert SENT_FOLDER in message and "INBOX" in message


# -- errors -----------------------------------------------------------------------------------
def failure(account: ImapAccount, **options: object) -> str:
    options.setdefault("policy", LOOPBACK_POLICY)
    with pytest.raises(ImapError) as caught:
        connect(account, **options)  # type: ignore[arg-type]
    return str(caught.value)


def test_wrong_password_suggests_the_other_username(
    dovecot: DovecotServer, account: ImapAccount
) -> None:
    local = account.username.split("@")[0]
    message = failure(replace(account, password="wrong"), timeout=10)
    assert "refused the login for" in message and account.username in message
    assert "wrong username or password" in message
    assert f"only the part before @ ('{local}')" in message
    assert "app password" in message

    message = failure(replace(account, username=local), timeout=10)
    assert f"the whole email address ('{local}@…')" in message


def test_a_refused_login_is_the_login_kind_naming_the_password(
    dovecot: DovecotServer, account: ImapAccount
) -> None:
    with pytest.raises(LoginRefused) as caught:
        connect(replace(account, password="wrong"), timeout=10, policy=LOOPBACK_POLICY)
    assert isinstance(caught.value, ImapError)  # a run's failure like any other
    assert caught.value.field == "password"
    # Not every failure is the login's: a closed port is not.
    with pytest.raises(ImapError) as closed:
        connect(replace(account, port=free_port()), timeout=10, policy=LOOPBACK_POLICY)
    assert not isinstance(closed.value, LoginRefused)


def test_host_not_found(monkeypatch: pytest.MonkeyPatch) -> None:
    account = ImapAccount("ann", "pw", "imap.no-such-host.invalid", 993)
    # Looked up in the test's DNS server, which knows no names: nothing leaves the machine.
    with DnsServer({}) as dns:
        monkeypatch.setattr(socket, "getaddrinfo", dns.getaddrinfo("imap.no-such-host.invalid"))
        message = failure(account, timeout=10)
    assert ("imap.no-such-host.invalid", "A") in dns.asked
    assert "IMAP server 'imap.no-such-host.invalid' not found" in message
    assert "check the server name" in message


def test_a_server_the_guard_refuses_is_not_connected_to(dovecot: DovecotServer) -> None:
    account = ImapAccount("ann", "pw", dovecot.host, dovecot.imap_port, ssl=False)
    message = failure(account, timeout=10, policy=FetchPolicy())  # public addresses only
    assert message == (
        f"Address {LOOPBACK} of host {LOOPBACK} is loopback; "
        "to fetch from it, set [fetch] allow_private = true, or name its network in "
        "[fetch] allowed_networks, in DATA_DIR/contacthub.conf."
    )


def test_no_host() -> None:
    assert "no IMAP server given" in failure(ImapAccount("ann", "pw", " "))


def test_port_closed() -> None:
    port = free_port()
    message = failure(ImapAccount("ann", "pw", LOOPBACK, port, ssl=False), timeout=10)
    assert f"nothing accepts connections on {LOOPBACK} port {port}" in message
    assert "check the port" in message


def test_no_answer() -> None:
    with socket.socket() as listener:  # accepts in the kernel, never speaks
        listener.bind((LOOPBACK, 0))
        listener.listen(4)
        port = listener.getsockname()[1]
        message = failure(ImapAccount("ann", "pw", LOOPBACK, port, ssl=False), timeout=0.5)
    assert f"no answer from {LOOPBACK} port {port} within 0.5 s" in message


def test_tls_against_the_plain_port(
    dovecot: DovecotServer, account: ImapAccount, trusted: ssl.SSLContext
) -> None:
    message = failure(replace(account, ssl=True), timeout=10, ssl_context=trusted)
    assert f"port {dovecot.imap_port} does not speak SSL/TLS" in message
    assert "port 993" in message and "port 143" in message


@pytest.mark.parametrize("starttls", [False, True], ids=["ssl-port", "starttls"])
def test_untrusted_certificate(
    dovecot: DovecotServer, account: ImapAccount, starttls: bool
) -> None:
    port = dovecot.imap_port if starttls else dovecot.imaps_port
    # The system's CAs do not include the test CA.
    message = failure(replace(account, port=port, ssl=True, starttls=starttls), timeout=10)
    assert f"the TLS certificate of {dovecot.host} is not trusted" in message
    assert "certificate" in message


def test_pop3_server() -> None:
    with LineServer("+OK POP3 server ready <1896.697170952@pop.example.org>", pop3) as server:
        message = failure(ImapAccount("ann", "pw", LOOPBACK, server.port, ssl=False))
    assert f"{LOOPBACK} port {server.port} is a POP3 server, not IMAP" in message
    assert "IMAP server and port" in message


def test_other_protocol() -> None:
    with LineServer("220 mx.example.org ESMTP Postfix") as server:
        message = failure(ImapAccount("ann", "pw", LOOPBACK, server.port, ssl=False))
    assert "does not speak IMAP (it answered '220 mx.example.org ESMTP Postfix')" in message


def test_greeting_bye() -> None:
    with LineServer("* BYE Too many connections from your IP") as server:
        message = failure(ImapAccount("ann", "pw", LOOPBACK, server.port, ssl=False))
    assert "refused the connection: Too many connections from your IP" in message


def test_closed_without_greeting() -> None:
    with socket.socket() as listener:
        listener.bind((LOOPBACK, 0))
        listener.listen(4)
        port = listener.getsockname()[1]

        def close_one() -> None:
            connection, _ = listener.accept()
            connection.close()

        closer = threading.Thread(target=close_one)
        closer.start()
        message = failure(ImapAccount("ann", "pw", LOOPBACK, port, ssl=False), timeout=10)
        closer.join()
    assert f"{LOOPBACK} port {port} closed the connection without greeting" in message


def test_starttls_not_offered() -> None:
    script = imap_capabilities("IMAP4rev1 AUTH=PLAIN")
    with LineServer("* OK IMAP4rev1 ready", script) as server:
        account = ImapAccount("ann", "pw", LOOPBACK, server.port, ssl=True, starttls=True)
        message = failure(account)
    assert "does not offer STARTTLS: use port 993 with SSL" in message


def test_passwords_only_over_tls() -> None:
    script = imap_capabilities("IMAP4rev1 STARTTLS LOGINDISABLED")
    with LineServer("* OK IMAP4rev1 ready", script) as server:
        message = failure(ImapAccount("ann", "pw", LOOPBACK, server.port, ssl=False))
    assert "accepts passwords only over an encrypted connection: turn on Use SSL" in message
