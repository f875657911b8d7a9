"""A request the guard refuses is logged for the operator: method, path, status and reason,
and never the card that was sent."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from radicale import rights
from werkzeug.test import Client

from contacthub import config
from contacthub.carddav.app import radicale_configuration
from contacthub.carddav.gate import Gate
from contacthub.carddav.guard import CardDavGuard
from contacthub.signin_throttle import SignInThrottle
from contacthub.store import Store
from contacthub.users import UsersFile
from contacthub_radicale.auth import Auth
from tests.support.stores import new_sqlite_store

VADDRESSBOOK = {"tag": "VADDRESSBOOK"}
ALICE = ("alice", "alice-password")


def radicale_stand_in(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    start_response("201 Created", [])
    return [b""]


@pytest.fixture
def client(tmp_path: Path) -> Iterable[Client]:
    store = Store.open(new_sqlite_store(tmp_path / "store.db"))
    with store.write() as tx:
        tx.create_collection("alice/contacts", VADDRESSBOOK)
    settings = config.load(tmp_path)
    UsersFile(settings.users_file).add(*ALICE)
    configuration = radicale_configuration(settings, store)
    gate = Gate(configuration, Auth(configuration), rights.load(configuration))
    throttle = SignInThrottle(settings.throttle)
    yield Client(CardDavGuard(radicale_stand_in, store, settings, gate, throttle))
    store.close()


def refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "contacthub.carddav.guard"]


def test_a_refused_put_is_logged_at_info(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="contacthub")
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nFN:Ann\r\nEND:VCARD\r\n"
    response = client.put(
        "/alice/contacts/u1.vcf", data=card, content_type="text/plain", auth=ALICE
    )
    assert response.status_code == 415
    [record] = refusals(caplog)
    assert record.levelno == logging.INFO
    assert record.getMessage() == (
        "refused PUT '/alice/contacts/u1.vcf': 415 Unsupported Media Type "
        "(a contact must be sent as text/vcard, not 'text/plain')"
    )


def test_the_log_of_a_refused_card_does_not_quote_it(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="contacthub")
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u2\r\nFN:Ann\r\nsecret diary entry\r\nEND:VCARD\r\n"
    response = client.put(
        "/alice/contacts/u2.vcf", data=card, content_type="text/vcard", auth=ALICE
    )
    assert response.status_code == 400
    assert "secret diary entry" in response.get_data(as_text=True)  # the client is told
    [record] = refusals(caplog)
    assert record.getMessage() == (
        "refused PUT '/alice/contacts/u2.vcf': 400 Bad Request (not a valid vCard)"
    )


def test_an_accepted_put_is_not_logged_by_the_guard(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="contacthub")
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u3\r\nFN:Ann\r\nEND:VCARD\r\n"
    assert (
        client.put(
            "/alice/contacts/u3.vcf", data=card, content_type="text/vcard", auth=ALICE
        ).status_code
        == 201
    )
    assert refusals(caplog) == []


class UnreadableBody:
    """A body the guard must not touch: reading it fails the test."""

    def read(self, *_: Any) -> bytes:
        raise AssertionError("the guard read the body of a stranger's request")


@pytest.mark.parametrize("auth", [None, ("alice", "wrong-password")])
def test_a_strangers_put_is_handed_on_with_its_body_unread(
    client: Client, auth: tuple[str, str] | None
) -> None:
    response = client.put(
        "/alice/contacts/u4.vcf",
        data=b"hello",
        content_type="text/plain",
        environ_overrides={"wsgi.input": UnreadableBody(), "CONTENT_LENGTH": "10000000"},
        auth=auth,
    )
    assert response.status_code == 201  # the stand-in for Radicale answered, not the guard
