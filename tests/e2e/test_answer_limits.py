"""What one request may make the server read: answers about big books are bounded the way
the RFCs let a server bound them, and ordinary requests still get everything.

- PROPFIND Depth infinity: 403 with DAV:propfind-finite-depth (RFC 4918 9.1).
- addressbook-query: at most 10,000 cards or 8 MiB of card text, fewer when the client
  asks (CARDDAV:limit); a cut-short answer carries a 507 for the request-URI with
  DAV:number-of-matches-within-limits (RFC 6352 8.6.2).
- sync-collection: pages of the same size (or the client's DAV:limit), each with a 507 for
  the request-URI and a sync-token that continues after it (RFC 6578 3.6).
- addressbook-multiget: refused with 403 and the same condition when the cards it names
  hold more than ten cards of the largest size allowed (or 8 MiB); one of many cards is
  sent as it is read (chunked), and a client that leaves midway does not hold the book.
- PROPFIND Depth 1 of a big book: every card, sent in windows.
- GET of a whole book: every card, streamed.

Real `serve` on SQLite and PostgreSQL; the books are filled through the store (fast).
"""

from __future__ import annotations

import functools
import gzip
import re
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace

import pytest
import requests

from contacthub.store import ItemData, Store
from contacthub.vcard.parse import item_data
from contacthub_radicale.budget import CARD_BYTES
from tests.clients.cards import make_card
from tests.conftest import BACKENDS, USERS
from tests.support import dav
from tests.support.servers import ContacthubServer, DavSession

BIG = "/alice/big/"
PHOTOS = "/alice/photos/"
BIG_CARDS = 10_050  # past one answer's 10,000
PHOTO_CARDS = 20
PHOTO_BYTES = 1_000_000  # 20 of them: past one answer's 8 MiB
MAX_RESOURCE_SIZE = 1_500_000  # a multiget's bound: max(8 MiB, 10 cards of this size)
WITHIN_LIMITS = "number-of-matches-within-limits"
XMLNS = 'xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"'


def href(index: int) -> str:
    return f"card-{index:05d}.vcf"


def photo_card(index: int) -> ItemData:
    """A card with a photo of PHOTO_BYTES of base64, folded; indexed as the card without it."""
    plain = make_card(index, seed=3)
    photo = "PHOTO;ENCODING=b;TYPE=JPEG:" + "QUFB" * (PHOTO_BYTES // 4)
    folded = "\r\n ".join(photo[i : i + 74] for i in range(0, len(photo), 74))
    return replace(item_data(plain), text=plain.replace("END:VCARD", folded + "\r\nEND:VCARD"))


@functools.cache
def big_book() -> list[tuple[str, ItemData]]:
    """The big book's cards, made once for both stores (3 s of CPU each time)."""
    return [(href(i), item_data(make_card(i))) for i in range(BIG_CARDS)]


def fill(store_url: str) -> None:
    store = Store.open(store_url)
    try:
        with store.write() as tx:
            tx.ensure_collection("alice")
            book = tx.create_collection(BIG.strip("/"), {"tag": "VADDRESSBOOK"})
            for start in range(0, BIG_CARDS, 2000):
                tx.add_items(book, big_book()[start : start + 2000])
            album = tx.create_collection(
                PHOTOS.strip("/"), {"tag": "VADDRESSBOOK", "D:displayname": "Photos"}
            )
            tx.add_items(album, [(href(i), photo_card(i)) for i in range(PHOTO_CARDS)])
    finally:
        store.close()


def server_store_url(server: ContacthubServer) -> str:
    return server.store_url or f"sqlite:///{server.data_dir / 'contacthub.db'}"


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ContacthubServer]:
    base = tmp_path_factory.mktemp(f"limits-{request.param}")
    store_url = None
    if request.param == "postgresql":
        store_url = request.getfixturevalue("postgres_server").create_database()
    started = ContacthubServer(
        base / "data",
        USERS,
        store_url=store_url,
        config={"server": {"max_resource_size": str(MAX_RESOURCE_SIZE)}},
    )
    started.start()
    fill(server_store_url(started))
    yield started
    started.stop()


@pytest.fixture
def alice(server: ContacthubServer) -> DavSession:
    return server.session("alice")


def report(session: DavSession, path: str, body: str) -> requests.Response:
    return session.request(
        "REPORT",
        path,
        data=body.encode(),
        headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
    )


def query(limit: int | str | None = None, props: str = "<D:getetag/><C:address-data/>") -> str:
    nresults = "" if limit is None else f"<C:limit><C:nresults>{limit}</C:nresults></C:limit>"
    return (
        f'<?xml version="1.0"?><C:addressbook-query {XMLNS}><D:prop>{props}</D:prop>'
        f"{nresults}</C:addressbook-query>"
    )


def sync(token: str, limit: int | None = None, data: bool = False) -> str:
    nresults = "" if limit is None else f"<D:limit><D:nresults>{limit}</D:nresults></D:limit>"
    props = "<D:getetag/>" + ("<C:address-data/>" if data else "")
    return (
        f'<?xml version="1.0"?><D:sync-collection {XMLNS}><D:sync-token>{token}</D:sync-token>'
        f"<D:sync-level>1</D:sync-level>{nresults}<D:prop>{props}</D:prop></D:sync-collection>"
    )


def cards_and_cut(answer: requests.Response, book: str) -> tuple[dav.Multistatus, bool]:
    """The members an answer lists, and whether it says it was cut short (a 507 for the
    book itself, with the condition)."""
    assert answer.status_code == 207, answer.text[:500]
    listing = dav.parse_multistatus(answer.content)
    cut = [r for r in listing if r.href == book]
    if cut:
        assert [r.status for r in cut] == [507]
        assert WITHIN_LIMITS in answer.text
    members = [r for r in listing if r.href != book]
    return dav.Multistatus(members, listing.sync_token), bool(cut)


def follow(session: DavSession, book: str, **options: object) -> tuple[list[str], int, str]:
    """Every page of a first sync: the hrefs in order, the number of pages, the last token."""
    hrefs: list[str] = []
    token, pages = "", 0
    while True:
        pages += 1
        listing, cut = cards_and_cut(report(session, book, sync(token, **options)), book)  # type: ignore[arg-type]
        hrefs += listing.hrefs()
        assert listing.sync_token
        token = listing.sync_token
        if not cut:
            return hrefs, pages, token
        assert pages < 100


# -- PROPFIND ------------------------------------------------------------------------------


def test_propfind_of_depth_infinity_is_refused_with_the_condition(alice: DavSession) -> None:
    for path in ("/alice/", BIG):
        answer = alice.request("PROPFIND", path, headers={"Depth": "infinity"})
        assert answer.status_code == 403
        assert dav.error_conditions(answer.content) == {dav.q(dav.DAV, "propfind-finite-depth")}


def stored_etags(store_url: str, book: str) -> dict[str, str]:
    store = Store.open(store_url)
    try:
        with store.read() as tx:
            record = tx.require_collection(book.strip("/"))
            return {book + item.href: item.etag for item in tx.iter_items(record.id)}
    finally:
        store.close()


def test_propfind_of_depth_one_lists_every_card_of_a_big_book(
    server: ContacthubServer, alice: DavSession
) -> None:
    """Sent in windows of 2,000 cards: the same multistatus, every card once, its ETag."""
    listing = dav.propfind(alice, BIG, [dav.GETETAG, dav.DISPLAYNAME], depth="1")
    assert listing.responses[0].href == BIG
    members = {r.href: r.etag for r in listing.responses[1:]}
    assert len(listing) == BIG_CARDS + 1 and len(members) == BIG_CARDS
    assert members == stored_etags(server_store_url(server), BIG)


def test_a_big_listing_is_compressed_when_the_client_asks(alice: DavSession) -> None:
    answer = alice.request(
        "PROPFIND", BIG, headers={"Depth": "1", "Accept-Encoding": "gzip"}, stream=True
    )
    assert answer.status_code == 207 and answer.headers["Content-Encoding"] == "gzip"
    assert "Content-Length" not in answer.headers
    listing = dav.parse_multistatus(gzip.decompress(answer.raw.read()))
    assert len(listing) == BIG_CARDS + 1


def test_a_big_listing_of_every_property_parses(alice: DavSession) -> None:
    listing = dav.propfind(alice, BIG, None, depth="1")
    assert len(listing) == BIG_CARDS + 1
    assert all(r.etag for r in listing.responses[1:])
    assert listing.responses[0].text(dav.SYNC_TOKEN)


def test_a_card_in_a_big_listing_is_described_as_on_its_own(alice: DavSession) -> None:
    """Each window is Radicale's own answer: a member's response, every property asked
    for, is the one a PROPFIND of that card alone gets."""

    def responses(path: str, depth: str) -> dict[str, str]:
        answer = dav.propfind_raw(alice, path, None, depth=depth)
        root = ET.fromstring(answer.content)
        return {
            (r.findtext(dav.q(dav.DAV, "href")) or ""): ET.canonicalize(
                ET.tostring(r, encoding="unicode"), strip_text=True
            )
            for r in root
        }

    listing = responses(BIG, "1")
    for index in (0, 4321, BIG_CARDS - 1):
        alone = responses(BIG + href(index), "0")
        assert alone.items() <= listing.items()


def test_a_books_content_length_is_the_length_of_its_download(alice: DavSession) -> None:
    """Counted by the store, where Radicale joined the whole book into one string."""
    length = dav.q(dav.DAV, "getcontentlength")
    books = dav.propfind(alice, "/alice/", [length], depth="1").by_href()
    for book in (BIG, PHOTOS):
        download = alice.get(book, headers={"Accept-Encoding": "identity"}).content
        assert dav.propfind_one(alice, book, [length]).text(length) == str(len(download))
        assert books[book].text(length) == str(len(download))
    listing = dav.propfind(alice, BIG, None, depth="1")  # allprop, in windows
    assert listing.responses[0].text(length) == books[BIG].text(length)


def test_a_listing_of_photo_cards_comes_in_windows_of_4_mib(
    server: ContacthubServer, alice: DavSession
) -> None:
    listing = dav.propfind(alice, PHOTOS, [dav.GETETAG], depth="1")
    members = {r.href: r.etag for r in listing.responses[1:]}
    assert members == stored_etags(server_store_url(server), PHOTOS)


def test_a_big_listing_refused_by_radicale_is_refused_as_before(
    server: ContacthubServer, alice: DavSession
) -> None:
    broken = alice.request("PROPFIND", BIG, data=b"<D:propfind", headers={"Depth": "1"})
    assert broken.status_code == 400
    bob = server.session("bob")
    assert bob.request("PROPFIND", BIG, headers={"Depth": "1"}).status_code == 403


# -- addressbook-query ---------------------------------------------------------------------


def test_a_query_over_the_budget_stops_at_10000_cards_with_a_507(alice: DavSession) -> None:
    listing, cut = cards_and_cut(report(alice, BIG, query()), BIG)
    assert cut
    assert len(listing) == 10_000
    assert all(r.address_data and "BEGIN:VCARD" in r.address_data for r in listing)


def test_a_query_stops_at_8_mib_of_card_text_with_a_507(alice: DavSession) -> None:
    listing, cut = cards_and_cut(report(alice, PHOTOS, query()), PHOTOS)
    assert cut
    assert 1 <= len(listing) < PHOTO_CARDS
    assert sum(len(r.address_data or "") for r in listing) <= CARD_BYTES


def test_a_query_with_the_clients_limit_answers_that_many_and_says_there_are_more(
    alice: DavSession,
) -> None:
    listing, cut = cards_and_cut(report(alice, BIG, query(limit=5)), BIG)
    assert cut and len(listing) == 5


def test_a_query_within_the_clients_limit_has_no_507(alice: DavSession) -> None:
    book = f"/alice/small-{uuid.uuid4().hex[:8]}/"
    dav.mkcol_addressbook(alice, book, "Small")
    for index in range(3):
        dav.create_card(alice, book + href(index), make_card(index, seed=9))
    for limit in (3, 5):  # RFC 6352 8.6.2: no 507 when the matches fit the limit exactly
        listing, cut = cards_and_cut(report(alice, book, query(limit=limit)), book)
        assert not cut and len(listing) == 3
    listing, cut = cards_and_cut(report(alice, book, query(limit=2)), book)
    assert cut and len(listing) == 2


@pytest.mark.parametrize("limit", ["0", "-1", "many", "1" * 5000, ""])
def test_a_limit_that_is_not_a_count_is_refused_with_the_reason(
    alice: DavSession, limit: str
) -> None:
    answer = report(alice, BIG, query(limit=limit))
    assert answer.status_code == 400
    assert "nresults must be a whole number" in answer.text


def test_a_filtered_query_under_the_budget_is_complete(alice: DavSession) -> None:
    body = query().replace(
        "</C:addressbook-query>",
        '<C:filter><C:prop-filter name="EMAIL"><C:text-match match-type="contains">'
        ".10017@</C:text-match></C:prop-filter></C:filter></C:addressbook-query>",
    )
    listing, cut = cards_and_cut(report(alice, BIG, body), BIG)
    assert not cut and listing.hrefs() == [BIG + href(10_017)]


# -- sync-collection -----------------------------------------------------------------------


def test_a_first_sync_comes_in_pages_that_add_up_to_the_book(alice: DavSession) -> None:
    first, cut = cards_and_cut(report(alice, BIG, sync("")), BIG)
    assert cut and len(first) == 10_000
    hrefs, pages, _token = follow(alice, BIG)
    assert pages == 2
    assert sorted(hrefs) == [BIG + href(i) for i in range(BIG_CARDS)]


def test_a_page_token_used_as_an_ordinary_token_brings_the_rest(alice: DavSession) -> None:
    """A client that ignores the 507 keeps the token, and its next sync brings the rest."""
    first, _cut = cards_and_cut(report(alice, BIG, sync("")), BIG)
    assert first.sync_token
    rest = dav.sync_collection(alice, BIG, first.sync_token)
    assert len(first) + len([r for r in rest if r.href != BIG]) == BIG_CARDS


def test_the_clients_limit_pages_a_sync_and_changes_after_it_arrive(alice: DavSession) -> None:
    book = f"/alice/paged-{uuid.uuid4().hex[:8]}/"
    dav.mkcol_addressbook(alice, book, "Paged")
    for index in range(7):
        dav.create_card(alice, book + href(index), make_card(index, seed=5))
    dav.put_vcard(alice, book + href(8), make_card(8, seed=5))
    assert alice.delete(book + href(8)).status_code in (200, 204)
    hrefs, pages, token = follow(alice, book, limit=3)
    assert pages == 3 and sorted(hrefs) == [book + href(i) for i in range(7)]
    dav.create_card(alice, book + href(7), make_card(7, seed=5))
    assert dav.sync_collection(alice, book, token).hrefs() == [book + href(7)]


def test_a_sync_with_card_data_comes_in_pages_of_8_mib(alice: DavSession) -> None:
    first, cut = cards_and_cut(report(alice, PHOTOS, sync("", data=True)), PHOTOS)
    assert cut and 1 <= len(first) < PHOTO_CARDS
    hrefs, pages, _token = follow(alice, PHOTOS, data=True)
    assert pages >= 2 and sorted(hrefs) == [PHOTOS + href(i) for i in range(PHOTO_CARDS)]


# -- addressbook-multiget ------------------------------------------------------------------


def test_a_multiget_of_ten_of_the_largest_cards_is_answered(alice: DavSession) -> None:
    listing = dav.multiget(alice, PHOTOS, [PHOTOS + href(i) for i in range(10)])
    assert len(listing) == 10 and all(r.address_data for r in listing)


def test_a_multiget_over_its_bound_is_refused_with_the_condition(alice: DavSession) -> None:
    answer = dav.multiget_raw(alice, PHOTOS, [PHOTOS + href(i) for i in range(PHOTO_CARDS)])
    assert answer.status_code == 403
    assert dav.q(dav.DAV, WITHIN_LIMITS) in dav.error_conditions(answer.content)
    assert "ask for fewer at a time" in answer.text


def test_a_multiget_of_every_card_of_a_big_book_is_sent_as_it_is_read(
    alice: DavSession,
) -> None:
    """vdirsyncer names every card it lacks at once: the answer comes chunked, whole."""
    named = [BIG + href(i) for i in range(BIG_CARDS)] + [BIG + "missing.vcf"]
    answer = dav.multiget_raw(alice, BIG, named)
    assert answer.status_code == 207
    assert answer.headers.get("Transfer-Encoding") == "chunked"
    assert "Content-Length" not in answer.headers
    found = dav.parse_multistatus(answer.content).by_href()
    assert len(found) == BIG_CARDS + 1
    assert found[BIG + "missing.vcf"].status == 404
    last = found[BIG + href(BIG_CARDS - 1)].address_data or ""
    assert last.replace("\r\n", "\n") == make_card(BIG_CARDS - 1).replace("\r\n", "\n")


def test_a_client_leaving_a_big_multiget_midway_leaves_the_book_writable(
    alice: DavSession,
) -> None:
    named = [BIG + href(i) for i in range(BIG_CARDS)]
    hrefs = "".join(f"<D:href>{h}</D:href>" for h in named)
    body = (
        f'<?xml version="1.0"?><C:addressbook-multiget {XMLNS}><D:prop><D:getetag/>'
        f"<C:address-data/></D:prop>{hrefs}</C:addressbook-multiget>"
    )
    headers = {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"}
    with alice.request("REPORT", BIG, data=body.encode(), headers=headers, stream=True) as answer:
        assert answer.status_code == 207
        assert answer.raw.read(64 * 1024)
    started = time.monotonic()
    put = dav.put_vcard(alice, BIG + href(0), make_card(0))
    assert put.status_code in (201, 204)
    assert time.monotonic() - started < 5
    assert len(dav.multiget(alice, BIG, named[:3])) == 3


# -- GET of a whole book -------------------------------------------------------------------


def test_get_of_a_book_streams_every_card_in_order(alice: DavSession) -> None:
    answer = alice.get(BIG, headers={"Accept-Encoding": "identity"})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/vcard; charset=utf-8"
    disposition = "attachment; filename*=utf-8''Address%20book.vcf"
    assert answer.headers["Content-Disposition"] == disposition
    expected = "".join(make_card(i) for i in sorted(range(BIG_CARDS), key=href))
    assert answer.content.decode() == expected
    ctag = dav.propfind_one(alice, BIG, [dav.GETCTAG]).text(dav.GETCTAG)
    assert answer.headers["ETag"] == ctag


def test_get_of_a_book_is_compressed_when_the_client_asks(alice: DavSession) -> None:
    answer = alice.get(PHOTOS, headers={"Accept-Encoding": "gzip"}, stream=True)
    assert answer.headers["Content-Encoding"] == "gzip"
    assert answer.headers["Content-Disposition"].endswith("''Photos.vcf")
    text = gzip.decompress(answer.raw.read()).decode()
    assert len(re.findall("BEGIN:VCARD", text)) == PHOTO_CARDS


def test_head_of_a_book_has_the_headers_and_no_body(alice: DavSession) -> None:
    answer = alice.head(BIG)
    assert answer.status_code == 200 and answer.content == b""
    assert answer.headers["Content-Type"] == "text/vcard; charset=utf-8"


def test_get_of_anothers_book_is_refused_as_one_that_does_not_exist(
    server: ContacthubServer,
) -> None:
    bob = server.session("bob")
    assert bob.get(BIG).status_code == bob.get("/alice/no-such-book/").status_code == 403
    assert server.session(None).get(BIG).status_code == 401
