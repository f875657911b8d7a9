"""Inputs the CardDAV fuzzer (tests/fuzz) found answered with a 500, or answered with an
error after changing a book; each is sent here as it was found, on a real `serve`."""

from __future__ import annotations

import base64
import uuid

import pytest

from tests.support import dav
from tests.support.dav import DISPLAYNAME, RESOURCETYPE
from tests.support.servers import DavServer, DavSession
from tests.support.vcards import make_card, new_uid

XML = {"Content-Type": "application/xml; charset=utf-8"}
PROPFIND_BODY = (
    b'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:">'
    b"<D:prop><D:getetag/></D:prop></D:propfind>"
)


@pytest.fixture
def anonymous(contacthub_server: DavServer) -> DavSession:
    return contacthub_server.session(None)


@pytest.mark.parametrize(
    "authorization",
    [
        "Basic !!!",  # decodes to nothing: Radicale split it and raised
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Basic a",  # not base64
        "Basicfoo",
        "Basic \u00e9",  # not ASCII
    ],
)
def test_an_authorization_that_is_no_basic_credential_is_answered_401(
    anonymous: DavSession, authorization: str
) -> None:
    answer = anonymous.request(
        "PROPFIND",
        "/alice/contacts/",
        headers={"Authorization": authorization.encode("latin-1"), "Depth": "0"},  # type: ignore[dict-item]
    )
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert "no Basic credentials" in answer.text


@pytest.mark.parametrize(
    "content_type", ["text/xml; charset=nonsense", "application/xml; charset="]
)
def test_a_content_type_naming_an_unknown_charset_is_refused_with_415(
    alice: DavSession, content_type: str
) -> None:
    answer = alice.request(
        "PROPFIND",
        "/alice/contacts/",
        data=PROPFIND_BODY,
        headers={"Content-Type": content_type, "Depth": "0"},
    )
    assert answer.status_code == 415
    assert "unknown charset" in answer.text


@pytest.mark.parametrize("encoding", ["nonsense", "cp932"])
def test_an_xml_body_in_an_encoding_that_cannot_be_read_is_refused_with_400(
    alice: DavSession, encoding: str
) -> None:
    body = PROPFIND_BODY.replace(b'encoding="utf-8"', f'encoding="{encoding}"'.encode())
    answer = alice.request(
        "PROPFIND", "/alice/contacts/a-1.vcf", data=body, headers={**XML, "Depth": "0"}
    )
    assert answer.status_code == 400
    assert "encoding cannot be read" in answer.text


@pytest.mark.parametrize("root", [b'<D:propfind xmlns:D="DAV:"/>', b'<X:thing xmlns:X="urn:x"/>'])
def test_a_propfind_whose_body_asks_for_nothing_is_refused_with_400(
    alice: DavSession, root: bytes
) -> None:
    answer = alice.request("PROPFIND", "/alice/contacts/", data=root, headers={**XML, "Depth": "0"})
    assert answer.status_code == 400
    assert "the PROPFIND body asks for nothing" in answer.text


def test_a_multiget_with_an_empty_href_is_refused_with_400(
    alice: DavSession, new_book: str
) -> None:
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><C:addressbook-multiget xmlns:D="DAV:" '
        b'xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><C:address-data/>'
        b"</D:prop><D:href></D:href></C:addressbook-multiget>"
    )
    answer = alice.request("REPORT", new_book, data=body, headers={**XML, "Depth": "1"})
    assert answer.status_code == 400
    assert "href of the multiget is empty" in answer.text


def test_a_proppatch_that_fails_after_writing_leaves_the_book_as_it_was(
    alice: DavSession, new_book: str
) -> None:
    """Radicale set the properties, then failed building its answer (400): the book had lost
    its address-book type. An error answer now rolls back what the request wrote."""
    card = new_book + "kept.vcf"
    dav.create_card(alice, card, make_card(new_uid(), "Kept Person"))
    before = dav.sync_collection(alice, new_book, None).sync_token
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:">'
        b"<D:remove><D:prop><D:resourcetype/></D:prop></D:remove></D:propertyupdate>"
    )
    answer = alice.request("PROPPATCH", new_book, data=body, headers=XML)
    assert answer.status_code == 400
    book = dav.propfind_one(alice, new_book, [RESOURCETYPE, DISPLAYNAME])
    assert dav.q(dav.CARD, "addressbook") in book.resourcetypes()
    assert book.text(DISPLAYNAME) == "Test book"
    assert dav.sync_collection(alice, new_book, None).sync_token == before
    assert alice.get(card).status_code == 200


def test_a_move_to_another_server_is_answered_502_and_moves_nothing(
    alice: DavSession, new_book: str
) -> None:
    """RFC 4918 9.9.4 answers a MOVE to another server with 502 (Radicale's answer)."""
    card = new_book + f"{uuid.uuid4().hex}.vcf"
    dav.create_card(alice, card, make_card(new_uid(), "Staying Person"))
    answer = alice.request(
        "MOVE", card, headers={"Destination": "http://evil.example/alice/contacts/x.vcf"}
    )
    assert answer.status_code == 502
    assert alice.get(card).status_code == 200
