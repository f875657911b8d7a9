"""XML request bodies within bounds: size, elements, depth, properties, and no DTDs.

A 50 MB PROPFIND once held the server for minutes, a 100,000-deep one ended in a
500, and XXE, billion laughs and parameter entities answered 500. Each is now a
4xx that names the limit, answered before Radicale parses the body, and nothing
a refused request names is changed. The guard sits in front of the store, so
SQLite is enough here.
"""

from __future__ import annotations

import time

import pytest

from tests.support import dav
from tests.support.dav import DISPLAYNAME, GETETAG
from tests.support.servers import DavServer, DavSession
from tests.support.vcards import make_card, new_uid

pytestmark = pytest.mark.parametrize("contacthub_server", ["sqlite"], indirect=True)

XML = {"Content-Type": "application/xml; charset=utf-8"}
PROPFIND_START = b'<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>'
PROPFIND_END = b"</D:prop></D:propfind>"

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>
<D:displayname>&lol9;</D:displayname>
</D:prop></D:set></D:propertyupdate>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE D:propertyupdate [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>
<D:displayname>&xxe;</D:displayname>
</D:prop></D:set></D:propertyupdate>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE D:propertyupdate [
 <!ENTITY % file SYSTEM "file:///etc/passwd">
 <!ENTITY % wrap "<!ENTITY leak '%file;'>">
 %wrap;
]>
<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>
<D:displayname>&leak;</D:displayname>
</D:prop></D:set></D:propertyupdate>"""


def _propfind_of(properties: int) -> bytes:
    return PROPFIND_START + b"<D:displayname/>" * properties + PROPFIND_END


def _passwd_lines() -> list[str]:
    with open("/etc/passwd", encoding="utf-8") as passwd:
        return [line.strip() for line in passwd if line.strip()]


@pytest.fixture
def book_with_card(alice: DavSession, new_book: str) -> str:
    dav.put_vcard(alice, new_book + "kept.vcf", make_card(new_uid(), "Kept Person"))
    return new_book


def test_a_17_mib_propfind_is_refused_with_the_size_limit(
    alice: DavSession, book_with_card: str
) -> None:
    body = _propfind_of(17 * 1024 * 1024 // len(b"<D:displayname/>"))
    response = alice.request("PROPFIND", book_with_card, data=body, headers={**XML, "Depth": "1"})
    assert response.status_code == 413
    assert "the limit is 16777216" in response.text


@pytest.mark.parametrize(
    "body",
    [BILLION_LAUGHS, XXE, PARAMETER_ENTITY],
    ids=["billion-laughs", "xxe", "parameter-entity"],
)
@pytest.mark.parametrize("method", ["PROPPATCH", "PROPFIND", "REPORT"])
def test_a_body_with_a_dtd_is_refused_and_nothing_is_read_or_kept(
    alice: DavSession, new_book: str, body: bytes, method: str
) -> None:
    started = time.monotonic()
    response = alice.request(method, new_book, data=body, headers={**XML, "Depth": "0"})
    assert time.monotonic() - started < 5
    assert response.status_code == 400
    assert "DTDs and entities are not accepted" in response.text
    assert not any(line in response.text for line in _passwd_lines())
    assert dav.propfind_one(alice, new_book, [DISPLAYNAME]).text(DISPLAYNAME) == "Test book"


def test_a_100000_deep_body_is_refused_quickly_with_the_depth_limit(
    alice: DavSession, new_book: str
) -> None:
    body = PROPFIND_START + b"<a>" * 100_000 + b"</a>" * 100_000 + PROPFIND_END
    started = time.monotonic()
    response = alice.request("PROPFIND", new_book, data=body, headers={**XML, "Depth": "0"})
    assert time.monotonic() - started < 5
    assert response.status_code == 400
    assert "deeper than 64 elements" in response.text


def test_a_body_of_too_many_elements_is_refused_with_the_element_limit(
    alice: DavSession, new_book: str
) -> None:
    response = alice.request(
        "PROPFIND", new_book, data=_propfind_of(10_001), headers={**XML, "Depth": "0"}
    )
    assert response.status_code == 400
    assert "more than 10000 elements" in response.text


def _multiget_of(book: str, count: int) -> bytes:
    hrefs = b"".join(b"<D:href>%s%d.vcf</D:href>" % (book.encode(), n) for n in range(count))
    return (
        b'<?xml version="1.0"?><C:addressbook-multiget xmlns:D="DAV:" '
        b'xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/></D:prop>'
        + hrefs
        + b"</C:addressbook-multiget>"
    )


def test_a_multiget_of_20000_hrefs_is_answered_as_vdirsyncer_sends_it(
    alice: DavSession, book_with_card: str
) -> None:
    """vdirsyncer asks for every card it lacks in one multiget."""
    body = _multiget_of(book_with_card, 20_000)
    response = alice.request("REPORT", book_with_card, data=body, headers={**XML, "Depth": "1"})
    assert response.status_code == 207
    assert len(dav.parse_multistatus(response.content)) == 20_000


def test_a_multiget_of_too_many_hrefs_is_refused_with_the_href_limit(
    alice: DavSession, new_book: str
) -> None:
    body = _multiget_of(new_book, 100_001)
    response = alice.request("REPORT", new_book, data=body, headers={**XML, "Depth": "1"})
    assert response.status_code == 400
    assert "more than 100000 hrefs" in response.text


def test_a_propfind_of_300_properties_is_refused_with_the_property_limit(
    alice: DavSession, new_book: str
) -> None:
    response = alice.request(
        "PROPFIND", new_book, data=_propfind_of(300), headers={**XML, "Depth": "1"}
    )
    assert response.status_code == 400
    assert "300 properties; the limit is 200" in response.text


def test_a_propfind_of_200_properties_is_answered(alice: DavSession, new_book: str) -> None:
    response = alice.request(
        "PROPFIND", new_book, data=_propfind_of(200), headers={**XML, "Depth": "0"}
    )
    assert response.status_code == 207


def test_ordinary_propfind_and_report_are_answered(alice: DavSession, book_with_card: str) -> None:
    listing = dav.propfind(alice, book_with_card, [GETETAG], depth="1")
    assert sorted(listing.hrefs()) == [book_with_card, book_with_card + "kept.vcf"]
    found = dav.multiget(alice, book_with_card, [book_with_card + "kept.vcf"])
    assert found.hrefs() == [book_with_card + "kept.vcf"]


def test_a_stranger_is_asked_to_sign_in_before_the_body_is_looked_at(
    contacthub_server: DavServer, new_book: str
) -> None:
    stranger = contacthub_server.session(None)
    response = stranger.request("PROPFIND", new_book, data=XXE, headers={**XML, "Depth": "0"})
    assert response.status_code == 401
