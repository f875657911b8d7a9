"""vCard 3.0 and 4.0 per client, against a real `contacthub serve`: a 4.0 client (CardBook,
DAVx5) and a 3.0 client (macOS, iOS) on the same card, byte for byte what each receives."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tests.support import dav
from tests.support.servers import DavSession

V4_CARD = (
    "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:4f0c1d2e-0000-4000-8000-000000000004\r\n"
    "FN:Анна Петрова\r\nN:Петрова;Анна;;;\r\n"
    "TEL;VALUE=uri;TYPE=cell;PREF=1:tel:+1-555-0100\r\nEMAIL;TYPE=work:anna@example.org\r\n"
    "BDAY:--0415\r\nGENDER:F\r\nANNIVERSARY:20100612\r\nPHOTO:data:image/png;base64,iVBORw0KGgo=\r\n"
    'ADR;TYPE=home;LABEL="Main St 1^nBoston":;;Main St 1;Boston;;;\r\n'
    "X-CARDBOOK-NOTE:kept\r\nitem1.URL:https://example.org\r\nEND:VCARD\r\n"
)
V4_CARD_AS_3 = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:urn:uuid:4f0c1d2e-0000-4000-8000-000000000004\r\n"
    "FN:Анна Петрова\r\nN:Петрова;Анна;;;\r\n"
    "TEL;TYPE=cell,pref:+1-555-0100\r\nEMAIL;TYPE=work:anna@example.org\r\n"
    "BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-15\r\nX-GENDER:Female\r\nX-ANNIVERSARY:20100612\r\n"
    "PHOTO;ENCODING=b;TYPE=PNG:iVBORw0KGgo=\r\n"
    "ADR;TYPE=home:;;Main St 1;Boston;;;\r\nLABEL;TYPE=home:Main St 1\\nBoston\r\n"
    "X-CARDBOOK-NOTE:kept\r\nitem1.URL:https://example.org\r\nEND:VCARD\r\n"
)
V3_CARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.4//EN\r\n"
    "N:Doe;Jane;;;\r\nFN:Jane Doe\r\n"
    "item1.EMAIL;type=INTERNET;type=pref:jane@example.org\r\nitem1.X-ABLabel:blog\r\n"
    "TEL;type=CELL;type=VOICE;type=pref:+1 555 0101\r\n"
    "BDAY;X-APPLE-OMIT-YEAR=1604:1604-12-24\r\nPHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRg==\r\n"
    "X-ABShowAs:PERSON\r\nUID:3f0c1d2e-0000-4000-8000-000000000003\r\nEND:VCARD\r\n"
)
V3_CARD_AS_4 = (
    "BEGIN:VCARD\r\nVERSION:4.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.4//EN\r\n"
    "N:Doe;Jane;;;\r\nFN:Jane Doe\r\n"
    "item1.EMAIL;TYPE=INTERNET;PREF=1:jane@example.org\r\nitem1.X-ABLabel:blog\r\n"
    "TEL;TYPE=CELL,VOICE;PREF=1:+1 555 0101\r\n"
    "BDAY:--1224\r\nPHOTO:data:image/jpeg;base64,/9j/4AAQSkZJRg==\r\n"
    "X-ABShowAs:PERSON\r\nUID:3f0c1d2e-0000-4000-8000-000000000003\r\nEND:VCARD\r\n"
)
ACCEPT_4 = {"Accept": "text/vcard; version=4.0"}
ACCEPT_3 = {"Accept": "text/vcard; version=3.0"}


def _get(session: DavSession, url: str, headers: dict[str, str] | None = None) -> tuple[str, str]:
    resp = session.get(url, headers=headers or {})
    assert resp.status_code == 200, resp.text
    assert "Accept" in resp.headers.get("Vary", "")
    return resp.content.decode(), resp.headers["ETag"]


def _multiget(
    session: DavSession, book: str, hrefs: list[str], **attributes: str
) -> dict[str, tuple[str, str]]:
    root = ET.Element(dav.q(dav.CARD, "addressbook-multiget"))
    prop = ET.SubElement(root, dav.q(dav.DAV, "prop"))
    ET.SubElement(prop, dav.GETETAG)
    ET.SubElement(prop, dav.ADDRESS_DATA, attributes)
    for href in hrefs:
        ET.SubElement(root, dav.q(dav.DAV, "href")).text = href
    resp = dav.report_raw(session, book, root, depth="1")
    assert resp.status_code == 207, resp.text
    answer = dav.parse_multistatus(resp.content)
    return {r.href: (r.address_data or "", r.etag or "") for r in answer}


def _xml_text(card: str) -> str:
    """A card as an XML parser hands it out of address-data (line ends normalized)."""
    return card.replace("\r\n", "\n")


def test_a_card_a_4_0_client_writes_is_kept_and_read_as_3_0_by_default(
    alice: DavSession, new_book: str
) -> None:
    href = f"{new_book}anna.vcf"
    etag = dav.create_card(alice, href, V4_CARD)

    assert _get(alice, href, ACCEPT_4) == (V4_CARD, etag)  # the bytes it sent, its ETag
    as_3, etag_3 = _get(alice, href)  # macOS names no version
    assert as_3 == V4_CARD_AS_3
    assert etag_3 != etag
    assert _get(alice, href, ACCEPT_3) == (as_3, etag_3)  # stable per representation

    # The 3.0 client edits with the ETag it was given; the 4.0 client then reads 4.0.
    edited = as_3.replace("FN:Анна Петрова", "FN:Anna Petrova")
    resp = dav.put_vcard(alice, href, edited, if_match=etag_3)
    assert resp.status_code in (201, 204), resp.text
    assert _get(alice, href, ACCEPT_3) == (edited, resp.headers["ETag"])
    as_4, etag_4 = _get(alice, href, ACCEPT_4)
    assert "FN:Anna Petrova\r\n" in as_4 and as_4.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\n")
    assert "BDAY:--0415\r\n" in as_4 and "GENDER:F\r\n" in as_4
    assert etag_4 != resp.headers["ETag"]

    # The ETag of a representation of the card before is no longer current.
    stale = dav.put_vcard(alice, href, V4_CARD, if_match=etag_3)
    assert stale.status_code == 412


def test_a_card_a_3_0_client_writes_is_read_as_4_0_by_a_4_0_client(
    alice: DavSession, new_book: str
) -> None:
    href = f"{new_book}jane.vcf"
    etag = dav.create_card(alice, href, V3_CARD)

    assert _get(alice, href) == (V3_CARD, etag)  # unchanged for 3.0 clients
    as_4, etag_4 = _get(alice, href, ACCEPT_4)
    assert as_4 == V3_CARD_AS_4
    assert etag_4 != etag
    assert (
        alice.get(href, headers=ACCEPT_4)
        .headers["Content-Type"]
        .startswith("text/vcard; version=4.0")
    )

    # The 4.0 client writes back with the ETag it read; the card is kept as it sent it.
    edited = as_4.replace("FN:Jane Doe", "FN:Jane Q. Doe")
    resp = dav.put_vcard(alice, href, edited, if_match=etag_4)
    assert resp.status_code in (201, 204), resp.text
    assert _get(alice, href, ACCEPT_4) == (edited, resp.headers["ETag"])
    as_3, _ = _get(alice, href)
    assert "FN:Jane Q. Doe\r\n" in as_3 and "BDAY;X-APPLE-OMIT-YEAR=1604:1604-12-24\r\n" in as_3

    deleted = alice.delete(href, headers={"If-Match": etag_4})  # an old representation's
    assert deleted.status_code == 412


def test_multiget_answers_in_the_version_its_address_data_names(
    alice: DavSession, new_book: str
) -> None:
    anna, jane = f"{new_book}anna.vcf", f"{new_book}jane.vcf"
    anna_etag = dav.create_card(alice, anna, V4_CARD)
    jane_etag = dav.create_card(alice, jane, V3_CARD)

    as_4 = _multiget(
        alice, new_book, [anna, jane], **{"content-type": "text/vcard", "version": "4.0"}
    )
    assert as_4[anna] == (_xml_text(V4_CARD), anna_etag)
    assert as_4[jane] == (_xml_text(V3_CARD_AS_4), _get(alice, jane, ACCEPT_4)[1])

    default = _multiget(alice, new_book, [anna, jane])
    assert default[anna] == (_xml_text(V4_CARD_AS_3), _get(alice, anna)[1])
    assert default[jane] == (_xml_text(V3_CARD), jane_etag)
    assert _multiget(alice, new_book, [anna, jane], version="3.0") == default

    # A listing names no version: its ETags are the 3.0 ones a macOS client compares.
    listed = dav.propfind(alice, new_book, [dav.GETETAG], depth="1").by_href()
    assert listed[anna].etag == default[anna][1]
    assert listed[jane].etag == jane_etag


def test_a_version_that_cannot_be_made_is_refused_with_the_precondition(
    alice: DavSession, new_book: str
) -> None:
    href = f"{new_book}anna.vcf"
    dav.create_card(alice, href, V4_CARD)
    for attributes in ({"version": "2.1"}, {"content-type": "application/vcard+json"}):
        root = ET.Element(dav.q(dav.CARD, "addressbook-multiget"))
        prop = ET.SubElement(root, dav.q(dav.DAV, "prop"))
        ET.SubElement(prop, dav.ADDRESS_DATA, attributes)
        ET.SubElement(root, dav.q(dav.DAV, "href")).text = href
        resp = dav.report_raw(alice, new_book, root, depth="1")
        assert resp.status_code == 403
        assert dav.error_conditions(resp.content) == {
            dav.q(dav.CARD, "supported-address-data-conversion")
        }


def test_a_book_advertises_both_versions(alice: DavSession, new_book: str) -> None:
    supported = dav.q(dav.CARD, "supported-address-data")
    answer = dav.propfind_one(alice, new_book, [supported])
    types = [
        (element.get("content-type"), element.get("version")) for element in answer.props[supported]
    ]
    assert types == [("text/vcard", "3.0"), ("text/vcard", "4.0")]


@pytest.mark.parametrize(("accept", "expected"), [("", V4_CARD_AS_3), ("4.0", V4_CARD)])
def test_a_book_is_exported_in_the_version_asked_for(
    alice: DavSession, new_book: str, accept: str, expected: str
) -> None:
    dav.create_card(alice, f"{new_book}anna.vcf", V4_CARD)
    headers = {"Accept": f"text/vcard; version={accept}"} if accept else {}
    resp = alice.get(new_book, headers=headers)
    assert resp.status_code == 200
    assert resp.content.decode() == expected


def test_a_4_0_card_is_found_by_its_phone_number_as_a_3_0_card_is(
    alice: DavSession, new_book: str
) -> None:
    dav.create_card(alice, f"{new_book}anna.vcf", V4_CARD)
    dav.create_card(alice, f"{new_book}jane.vcf", V3_CARD)
    for number, href in (("+1-555-0100", "anna.vcf"), ("+1 555 0101", "jane.vcf")):
        found = dav.addressbook_query(alice, new_book, [dav.TextMatch("TEL", number, "equals")])
        assert found.hrefs() == [f"{new_book}{href}"]
