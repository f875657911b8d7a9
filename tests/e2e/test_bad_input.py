"""Bad input over HTTP: refused with a 4xx and a reason, and the store unchanged.

Malformed cards, cards without UID or FN, wrong media types, oversized bodies,
names that could escape a collection; and requests that must never crash the
server.
"""

from __future__ import annotations

import base64
import http.client
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.conftest import BACKENDS, StartContacthub
from tests.support import dav
from tests.support.dav import GETETAG, RESOURCETYPE, SYNC_TOKEN
from tests.support.servers import DavServer, DavSession
from tests.support.vcards import event, make_card, new_uid


@dataclass(frozen=True)
class Snapshot:
    """What a client can see of alice's and bob's data."""

    home: frozenset[str]
    books: dict[str, frozenset[tuple[str, str]]]
    tokens: dict[str, str]

    @classmethod
    def take(cls, server: DavServer, books: list[str]) -> Snapshot:
        alice = server.session("alice")
        home = frozenset(dav.propfind(alice, "/alice/", [RESOURCETYPE], depth="1").hrefs())
        items, tokens = {}, {}
        for book in books:
            owner = server.session(book.split("/")[1])
            ms = dav.propfind(owner, book, [GETETAG, SYNC_TOKEN], depth="1")
            items[book] = frozenset((r.href, r.etag or "") for r in ms if r.href != book)
            tokens[book] = next(r.text(SYNC_TOKEN) or "" for r in ms if r.href == book)
        return cls(home, items, tokens)


@pytest.fixture
def book_with_card(contacthub_server: DavServer, new_book: str) -> Iterator[str]:
    alice = contacthub_server.session("alice")
    dav.create_card(
        alice,
        new_book + "existing.vcf",
        make_card(new_uid(), "Existing Person", emails=["existing@example.org"]),
    )
    # bob's default book exists and holds a card: escapes must not reach it.
    bob = contacthub_server.session("bob")
    dav.sync_collection(bob, "/bob/contacts/", None)
    if bob.get("/bob/contacts/bobs.vcf").status_code == 404:
        dav.create_card(bob, "/bob/contacts/bobs.vcf", make_card(new_uid(), "Bob Own"))
    yield new_book


def _body(text: str) -> bytes:
    return text.encode("utf-8")


def _without(prop: str) -> bytes:
    card = make_card(new_uid(), "Nameless Wonder", emails=["nw@example.org"])
    return _body(
        "".join(
            line + "\r\n"
            for line in card.split("\r\n")
            if line
            and not line.startswith(prop + ":")
            and not (prop == "FN" and line.startswith("N:"))
        )
    )


BAD_CARDS: dict[str, tuple[bytes, str]] = {
    "not-a-vcard": (b"hello, this is not a vCard\r\n", "text/vcard"),
    "empty-body": (b"", "text/vcard"),
    "unterminated": (
        _body("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u-1\r\nFN:Cut Off\r\n"),
        "text/vcard",
    ),
    "garbage-line": (
        _body(
            "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u-2\r\nFN:Broken\r\n"
            "this line has no colon at all\r\nEND:VCARD\r\n"
        ),
        "text/vcard",
    ),
    "no-uid": (_without("UID"), "text/vcard"),
    "no-fn": (_without("FN"), "text/vcard"),
    "two-cards": (_body(make_card(new_uid(), "One") + make_card(new_uid(), "Two")), "text/vcard"),
    "an-event": (
        _body(event(new_uid(), "Not a contact", "20250101T100000Z", "20250101T110000Z")),
        "text/calendar",
    ),
    "not-utf8": (make_card(new_uid(), "Zoë Latin1").encode("latin-1"), "text/vcard"),
    "json-content-type": (_body(make_card(new_uid(), "Json Typed")), "application/json"),
    "no-content-type": (_body(make_card(new_uid(), "Untyped")), ""),
}

# Cases plain Radicale accepts (it invents a UID, does not require FN, ignores the
# media type and decodes leniently); contacthub must refuse them.
CONTACTHUB_ONLY = {"no-uid", "no-fn", "json-content-type", "no-content-type", "not-utf8"}


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=pytest.mark.contacthub_only) if c in CONTACTHUB_ONLY else c
        for c in sorted(BAD_CARDS)
    ],
)
def test_bad_card_is_refused_and_store_unchanged(
    contacthub_server: DavServer, book_with_card: str, case: str
) -> None:
    body, content_type = BAD_CARDS[case]
    alice = contacthub_server.session("alice")
    books = [book_with_card, "/bob/contacts/"]
    before = Snapshot.take(contacthub_server, books)
    href = f"{book_with_card}{case}.vcf"
    headers = {"Content-Type": content_type} if content_type else {}
    resp = alice.put(href, data=body, headers=headers)
    # An event is a well-formed object of the wrong kind: a conflict with the book's
    # type is as fair an answer as a refused media type.
    allowed = (400, 409, 415, 422) if case == "an-event" else (400, 415)
    assert resp.status_code in allowed, (resp.status_code, resp.text[:300])
    assert resp.text.strip(), "a refusal must say why"
    assert alice.get(href).status_code == 404
    assert Snapshot.take(contacthub_server, books) == before


@pytest.mark.contacthub_only
def test_refusals_give_a_reason(contacthub_server: DavServer, book_with_card: str) -> None:
    """The body of a refused PUT names the problem, in words a person can act on."""
    alice = contacthub_server.session("alice")
    expectations = {"no-uid": "UID", "no-fn": "FN", "json-content-type": "text/vcard"}
    for case, word in expectations.items():
        body, content_type = BAD_CARDS[case]
        resp = alice.put(
            f"{book_with_card}{case}.vcf", data=body, headers={"Content-Type": content_type}
        )
        assert resp.status_code in (400, 415)
        assert word in resp.text, (case, resp.text)


class RawClient:
    """http.client, so paths reach the server exactly as written (no dot-segment cleanup)."""

    def __init__(self, server: DavServer, user: str) -> None:
        self.server = server
        token = base64.b64encode(f"{user}:{server.users[user]}".encode()).decode()
        self.auth = f"Basic {token}"

    def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        content_type: str = "text/vcard; charset=utf-8",
    ) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.server.host, self.server.port, timeout=60)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            conn.putheader("Authorization", self.auth)
            conn.putheader("Content-Type", content_type)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders()
            conn.send(body)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()


ESCAPING_NAMES = [
    "..",
    "%2E%2E",
    "%2e%2e/",
    "../escaped-{n}.vcf",
    ".",
    "a%2Fb-{n}.vcf",
    "%2E%2E%2F%2E%2E%2Fbob%2Fcontacts%2Fplanted-{n}.vcf",
    "..%2F..%2Fbob%2Fcontacts%2Fplanted-{n}.vcf",
    "a%00b-{n}.vcf",
    "a%0Ab-{n}.vcf",
    "a%0D%0AX-Injected:%201-{n}.vcf",
    "a%7Fb-{n}.vcf",
    "a%1Bb-{n}.vcf",
]


# Plain Radicale resolves these dot segments (and may then replace a whole book).
RESOLVED_BY_RADICALE = {"../escaped-{n}.vcf", "."}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.contacthub_only) if n in RESOLVED_BY_RADICALE else n
        for n in ESCAPING_NAMES
    ],
)
def test_names_that_could_escape_the_book_are_refused(
    contacthub_server: DavServer, book_with_card: str, name: str
) -> None:
    books = [book_with_card, "/bob/contacts/"]
    before = Snapshot.take(contacthub_server, books)
    raw = RawClient(contacthub_server, "alice")
    path = book_with_card + name.format(n=uuid.uuid4().hex[:8])
    card = make_card(new_uid(), "Escape Artist", emails=["escape@example.org"])
    status, body = raw.request("PUT", path, card.encode())
    assert 400 <= status < 500, (path, status, body[:300])
    after = Snapshot.take(contacthub_server, books)
    assert after == before, f"PUT {path} -> {status} changed the store"


@pytest.mark.contacthub_only
@pytest.mark.parametrize("backend", BACKENDS)
def test_size_limits_give_413(contacthub_factory: StartContacthub, backend: str) -> None:
    server = contacthub_factory(
        backend,
        config={
            "server": {"max_content_length": "40000", "max_resource_size": "8000"},
        },
    )
    alice = server.session("alice")
    book = "/alice/contacts/"
    dav.sync_collection(alice, book, None)
    dav.create_card(
        alice,
        book + "small.vcf",
        make_card(new_uid(), "Small Enough", extra=["NOTE:" + "s" * 6000]),
    )
    before = Snapshot.take(server, [book])

    big_card = make_card(new_uid(), "Too Big", extra=["NOTE:" + "b" * 12000])
    assert 8000 < len(big_card.encode()) < 40000
    resp = dav.put_vcard(alice, book + "big.vcf", big_card)
    assert resp.status_code == 413, resp.text[:300]
    huge_card = make_card(new_uid(), "Far Too Big", extra=["NOTE:" + "h" * 60000])
    resp = dav.put_vcard(alice, book + "huge.vcf", huge_card)
    assert resp.status_code == 413, resp.text[:300]
    # A whole-book upload over max_content_length.
    many = "".join(
        make_card(new_uid(), f"Bulk {i}", extra=["NOTE:" + "x" * 3000]) for i in range(20)
    )
    resp = alice.put(
        f"/alice/bulk-{uuid.uuid4().hex[:6]}/",
        data=many.encode(),
        headers={"Content-Type": "text/vcard"},
    )
    assert resp.status_code == 413, resp.text[:300]
    # A REPORT body over max_content_length.
    hrefs = [f"{book}{'n' * 200}-{i}.vcf" for i in range(300)]
    assert dav.multiget_raw(alice, book, hrefs).status_code == 413
    assert Snapshot.take(server, [book]) == before


@pytest.mark.contacthub_only
@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_card_as_the_very_first_request(
    contacthub_factory: StartContacthub, backend: str
) -> None:
    """Before the default book exists, a bad PUT into it must still be refused."""
    server = contacthub_factory(backend, users={"dave": "dave-Secret-4"})
    dave = server.session("dave")
    resp = dave.put(
        "/dave/contacts/first.vcf",
        data=BAD_CARDS["no-fn"][0],
        headers={"Content-Type": "text/vcard"},
    )
    assert resp.status_code in (400, 415), resp.text[:300]
    assert dave.get("/dave/contacts/first.vcf").status_code == 404
    listing = dav.propfind(dave, "/dave/contacts/", [GETETAG], depth="1")
    assert listing.hrefs() == ["/dave/contacts/"]


def test_nothing_a_client_sends_crashes_the_server(
    contacthub_server: DavServer, book_with_card: str
) -> None:
    alice: DavSession = contacthub_server.session("alice")
    book = book_with_card
    xml = {"Content-Type": "application/xml"}
    attempts = [
        ("PROPFIND", book, b"<not-xml", {**xml, "Depth": "1"}),
        (
            "PROPFIND",
            book,
            b"<?xml version='1.0'?><D:propfind xmlns:D='DAV:'><D:prop>",
            {**xml, "Depth": "1"},
        ),
        ("PROPFIND", book, b"", {"Depth": "infinity"}),
        ("PROPFIND", book, b"", {"Depth": "banana"}),
        ("REPORT", book, b"<x/>", xml),
        (
            "REPORT",
            book,
            b"<?xml version='1.0'?><D:sync-collection xmlns:D='DAV:'>"
            b"<D:sync-token>1</D:sync-token></D:sync-collection>",
            xml,
        ),
        (
            "REPORT",
            book,
            b"<?xml version='1.0'?><C:addressbook-query "
            b"xmlns:C='urn:ietf:params:xml:ns:carddav' xmlns:D='DAV:'>"
            b"<C:filter><C:prop-filter name='EMAIL'><C:text-match "
            b"match-type='regex'>x</C:text-match></C:prop-filter></C:filter>"
            b"</C:addressbook-query>",
            {**xml, "Depth": "1"},
        ),
        ("PROPPATCH", book, b"<garbage>", xml),
        ("MKCOL", book + "sub/", b"<not-xml", xml),
        ("MOVE", book + "existing.vcf", b"", {"Destination": "not a url"}),
        ("COPY", book + "existing.vcf", b"", {"Destination": "http://elsewhere/x.vcf"}),
        ("LOCK", book, b"", {}),
        ("BREW", book, b"", {}),
        ("PUT", book + "x.vcf", b"\xff\xfe\x00garbage", {"Content-Type": "text/vcard"}),
        ("PUT", book + "x.vcf", b"BEGIN:VCARD\r\n" * 1000, {"Content-Type": "text/vcard"}),
        ("GET", book + "%ZZ.vcf", b"", {}),
        ("DELETE", "/alice/book-does-not-exist/", b"", {}),
    ]
    before = Snapshot.take(contacthub_server, [book])
    for method, path, body, headers in attempts:
        resp = alice.request(method, path, data=body, headers=headers)
        assert resp.status_code < 500, (method, path, resp.status_code, resp.text[:300])
    assert Snapshot.take(contacthub_server, [book]) == before
    assert alice.get(book + "existing.vcf").status_code == 200
