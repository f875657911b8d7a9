"""A stranger learns nothing from a refused write: the same answer whether a book exists.

The guard checks a card only for a caller who may write there; anyone else gets
Radicale's own 401 (with WWW-Authenticate) or 403, before the body is read.
"""

from __future__ import annotations

import base64
import http.client
import uuid

import pytest

from tests.support.servers import DavServer
from tests.support.vcards import make_card, new_uid

GOOD_CARD = make_card(new_uid(), "Probe Person").encode()
BODIES = {
    "text/plain": (b"hello", "text/plain"),
    "bad vCard": (b"BEGIN:VCARD\r\nnonsense\r\nEND:VCARD\r\n", "text/vcard"),
    "good vCard": (GOOD_CARD, "text/vcard"),
    "huge": (b"x" * (11 * 1024 * 1024), "text/vcard"),
}


def put(
    server: DavServer, path: str, body: bytes, content_type: str, auth: str | None
) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
    conn.putrequest("PUT", path)
    if auth is not None:
        conn.putheader("Authorization", auth)
    conn.putheader("Content-Type", content_type)
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders()
    conn.send(body)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def existing_and_missing() -> tuple[str, str]:
    name = f"probe-{uuid.uuid4().hex[:8]}.vcf"
    return f"/alice/contacts/{name}", f"/alice/no-such-book-{uuid.uuid4().hex[:8]}/{name}"


@pytest.mark.parametrize("kind", list(BODIES))
@pytest.mark.parametrize("who", ["anonymous", "wrong password"])
def test_a_stranger_gets_401_whether_or_not_the_book_exists(
    contacthub_server: DavServer, alice_home: None, kind: str, who: str
) -> None:
    body, content_type = BODIES[kind]
    auth = None if who == "anonymous" else basic("alice", "not-her-password")
    for path in existing_and_missing():
        response = put(contacthub_server, path, body, content_type, auth)
        assert response.status == 401, (path, response.status)
        assert response.getheader("WWW-Authenticate", "").startswith("Basic realm=")


@pytest.mark.parametrize("kind", list(BODIES))
def test_another_user_gets_the_same_answer_whether_or_not_the_book_exists(
    contacthub_server: DavServer, alice_home: None, kind: str
) -> None:
    body, content_type = BODIES[kind]
    bob = basic("bob", contacthub_server.users["bob"])
    answers = {
        put(contacthub_server, p, body, content_type, bob).status for p in existing_and_missing()
    }
    assert answers == {403}


def test_the_owner_still_hears_what_is_wrong_with_her_card(
    contacthub_server: DavServer, alice_home: None
) -> None:
    alice = basic("alice", contacthub_server.users["alice"])
    existing, _ = existing_and_missing()
    assert put(contacthub_server, existing, b"hello", "text/plain", alice).status == 415
    bad = BODIES["bad vCard"][0]
    assert put(contacthub_server, existing, bad, "text/vcard", alice).status == 400


@pytest.fixture
def alice_home(contacthub_server: DavServer) -> None:
    """alice's default book exists (her first request creates it)."""
    assert contacthub_server.session("alice").request("PROPFIND", "/alice/contacts/").ok
