"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it accepts.

`serve_mailbox(Mailbox(free_port()), **controller_options)` runs one for the length of a
``with`` block. aiosmtpd stores an envelope before it answers DATA, so once a client's
send returns, the mail is in `Mailbox.envelopes`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword

from tests.support.net import LOOPBACK

USER = "reports"
PASSWORD = "s3cret-Pass"


@dataclass
class Mailbox:
    port: int
    envelopes: list[Envelope] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 OK"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == USER.encode()
            and auth_data.password == PASSWORD.encode()
        )
        if ok:
            self.logins.append(USER)
        return AuthResult(success=ok, handled=False)


@contextmanager
def serve_mailbox(mailbox: Mailbox, **options: Any) -> Iterator[Mailbox]:
    controller = Controller(mailbox, hostname=LOOPBACK, port=mailbox.port, **options)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
