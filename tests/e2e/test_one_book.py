"""A client announcing itself as macOS's AddressBookCore sees the account's books as one
book (the default book's path), whose sync-collection follows changes in every book and
whose writes reach each card's own book; a DAVx5-like client sees the books apart."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest

from tests.support import dav
from tests.support.servers import DavServer, DavSession

MAC = "macOS/14.2 (23C64) AddressBookCore/2487.300.5"
OLD_MAC = "Mac OS X/10.15.7 (19H2) AddressBook/2245"
DAVX5 = "DAVx5/4.3.13-ose (2024/01/09; dav4jvm; okhttp/4.12.0) Android/14"
IOS = "iOS/17.1 (21B80) dataaccessd/1.0"
DEFAULT = "/alice/contacts/"


def card(uid: str, name: str | None = None) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{name or uid}\r\nEND:VCARD\r\n"


def client(server: DavServer, agent: str) -> DavSession:
    session = server.session("alice")
    session.headers["User-Agent"] = agent
    return session


@pytest.fixture
def mac(contacthub_server: DavServer) -> DavSession:
    return client(contacthub_server, MAC)


@pytest.fixture
def davx5(contacthub_server: DavServer) -> DavSession:
    return client(contacthub_server, DAVX5)


def uid() -> str:
    return f"u-{uuid.uuid4().hex[:12]}"


def book_uuid_in(hrefs: list[str], name: str) -> str:
    """The book uuid in the combined-book name of card `name`."""
    (found,) = [h for h in hrefs if h.endswith(f"~{name}")]
    return found[len(DEFAULT) + 1 :].split("~")[0]


def address_books(session: DavSession) -> list[str]:
    listing = dav.propfind(session, "/alice/", [dav.RESOURCETYPE], depth="1")
    return [r.href for r in listing if dav.q(dav.CARD, "addressbook") in r.resourcetypes()]


@pytest.mark.parametrize("agent", [MAC, OLD_MAC])
def test_a_mac_finds_one_book_in_the_home_and_others_find_them_all(
    contacthub_server: DavServer, davx5: DavSession, new_book: str, agent: str
) -> None:
    assert address_books(client(contacthub_server, agent)) == [DEFAULT]
    for apart in (davx5, client(contacthub_server, IOS)):
        books = address_books(apart)
        assert books[0] == DEFAULT and new_book in books


def test_the_one_book_holds_every_book_and_others_see_them_apart(
    mac: DavSession, davx5: DavSession, new_book: str
) -> None:
    home_card, other_card = uid(), uid()
    dav.create_card(davx5, f"{DEFAULT}{home_card}.vcf", card(home_card))
    dav.create_card(davx5, f"{new_book}{other_card}.vcf", card(other_card))

    hrefs = [r.href for r in dav.propfind(mac, DEFAULT, [dav.GETETAG], depth="1")]
    assert f"{DEFAULT}{home_card}.vcf" in hrefs
    combined = [h for h in hrefs if h.endswith(f"~{other_card}.vcf")]
    assert len(combined) == 1 and combined[0].startswith(f"{DEFAULT}~")

    got = mac.get(quote(combined[0]))
    assert got.status_code == 200 and got.text == card(other_card)
    multiget = dav.multiget(mac, DEFAULT, [quote(combined[0]), f"{DEFAULT}{home_card}.vcf"])
    # XML reads a CR LF in address-data as LF.
    assert {r.href: r.address_data for r in multiget} == {
        combined[0]: card(other_card).replace("\r\n", "\n"),
        f"{DEFAULT}{home_card}.vcf": card(home_card).replace("\r\n", "\n"),
    }

    # DAVx5 sees each card in its own book only.
    apart = [r.href for r in dav.propfind(davx5, DEFAULT, [dav.GETETAG], depth="1")]
    assert f"{DEFAULT}{home_card}.vcf" in apart and not any(other_card in h for h in apart)
    in_new = [r.href for r in dav.propfind(davx5, new_book, [dav.GETETAG], depth="1")]
    assert f"{new_book}{other_card}.vcf" in in_new


def test_the_one_books_sync_follows_changes_in_every_book(
    mac: DavSession, davx5: DavSession, new_book: str
) -> None:
    first = uid()
    dav.create_card(davx5, f"{new_book}{first}.vcf", card(first))
    initial = dav.sync_collection(mac, DEFAULT, None)
    book = book_uuid_in(initial.hrefs(), f"{first}.vcf")
    token = initial.sync_token
    assert dav.sync_collection(mac, DEFAULT, token).hrefs() == []

    added, home_card = uid(), uid()
    dav.create_card(davx5, f"{new_book}{added}.vcf", card(added))
    dav.create_card(davx5, f"{DEFAULT}{home_card}.vcf", card(home_card))
    changed = dav.sync_collection(mac, DEFAULT, token)
    assert sorted(changed.hrefs()) == sorted(
        [f"{DEFAULT}{home_card}.vcf", f"{DEFAULT}~{book}~{added}.vcf"]
    )

    assert davx5.delete(f"{new_book}{first}.vcf").status_code == 200
    deleted = dav.sync_collection(mac, DEFAULT, changed.sync_token)
    assert [(r.href, r.status) for r in deleted] == [(f"{DEFAULT}~{book}~{first}.vcf", 404)]


def test_a_book_made_after_the_token_arrives_whole(
    mac: DavSession, davx5: DavSession, contacthub_server: DavServer
) -> None:
    token = dav.sync_collection(mac, DEFAULT, None).sync_token
    later = f"/alice/book-{uuid.uuid4().hex[:12]}/"
    dav.mkcol_addressbook(davx5, later, "Later")
    name = uid()
    dav.create_card(davx5, f"{later}{name}.vcf", card(name))
    changed = dav.sync_collection(mac, DEFAULT, token).hrefs()
    assert len(changed) == 1 and changed[0].endswith(f"~{name}.vcf")


def test_writes_through_the_one_book_reach_each_cards_own_book(
    mac: DavSession, davx5: DavSession, new_book: str
) -> None:
    new = uid()
    dav.create_card(mac, f"{DEFAULT}{new}.vcf", card(new))
    assert davx5.get(f"{DEFAULT}{new}.vcf").text == card(new)

    other = uid()
    dav.create_card(davx5, f"{new_book}{other}.vcf", card(other))
    hrefs = dav.sync_collection(mac, DEFAULT, None).hrefs()
    book = book_uuid_in(hrefs, f"{other}.vcf")
    combined = quote(f"{DEFAULT}~{book}~{other}.vcf")
    etag = mac.get(combined).headers["ETag"]

    edited = card(other, "Edited on the Mac")
    response = dav.put_vcard(mac, combined, edited, if_match=etag)
    assert response.status_code == 204, response.text
    assert davx5.get(f"{new_book}{other}.vcf").text == edited
    assert davx5.get(f"{DEFAULT}~{book}~{other}.vcf").status_code == 404

    assert mac.delete(combined).status_code == 200
    assert davx5.get(f"{new_book}{other}.vcf").status_code == 404


def test_a_move_through_the_one_book_is_refused_and_changes_nothing(
    mac: DavSession, davx5: DavSession, new_book: str
) -> None:
    name = uid()
    dav.create_card(mac, f"{DEFAULT}{name}.vcf", card(name))
    response = mac.request(
        "MOVE",
        f"{DEFAULT}{name}.vcf",
        headers={"Destination": mac.base_url + f"{new_book}{name}.vcf"},
    )
    assert response.status_code == 403
    assert davx5.get(f"{DEFAULT}{name}.vcf").text == card(name)
    assert davx5.get(f"{new_book}{name}.vcf").status_code == 404


def test_a_book_deleted_after_the_token_makes_the_client_list_again(
    mac: DavSession, davx5: DavSession
) -> None:
    doomed = f"/alice/book-{uuid.uuid4().hex[:12]}/"
    dav.mkcol_addressbook(davx5, doomed, "Doomed")
    name = uid()
    dav.create_card(davx5, f"{doomed}{name}.vcf", card(name))
    token = dav.sync_collection(mac, DEFAULT, None).sync_token
    assert davx5.delete(doomed).status_code in (200, 204)

    refused = dav.sync_collection_raw(mac, DEFAULT, token)
    assert refused.status_code == 403
    assert "valid-sync-token" in refused.text
    relisted = dav.sync_collection(mac, DEFAULT, None).hrefs()
    assert not any(name in href for href in relisted)


def test_the_one_books_ctag_and_token_change_with_any_book(
    mac: DavSession, davx5: DavSession, new_book: str
) -> None:
    props = [dav.GETCTAG, dav.SYNC_TOKEN, dav.GETETAG]
    before = dav.propfind_one(mac, DEFAULT, props)
    assert dav.propfind_one(mac, DEFAULT, props).text(dav.GETCTAG) == before.text(dav.GETCTAG)
    name = uid()
    dav.create_card(davx5, f"{new_book}{name}.vcf", card(name))
    after = dav.propfind_one(mac, DEFAULT, props)
    for prop in props:
        assert after.text(prop) != before.text(prop), prop
    token = after.text(dav.SYNC_TOKEN)
    assert token and dav.sync_collection(mac, DEFAULT, token).hrefs() == []


def test_the_one_books_length_counts_every_book(
    mac: DavSession, davx5: DavSession, new_book: str
) -> None:
    length = dav.q(dav.DAV, "getcontentlength")

    def measured(session: DavSession, path: str) -> int:
        return int(dav.propfind_one(session, path, [length]).text(length) or 0)

    name = uid()
    dav.create_card(davx5, f"{new_book}{name}.vcf", card(name))
    books = [h for h in address_books(davx5) if h.startswith("/alice/")]
    assert measured(mac, DEFAULT) == sum(measured(davx5, book) for book in books)


def test_one_uid_in_two_books_is_shown_once_per_book(
    mac: DavSession, davx5: DavSession, new_book: str
) -> None:
    same = uid()
    dav.create_card(davx5, f"{DEFAULT}{same}.vcf", card(same, "From the phone"))
    dav.create_card(davx5, f"{new_book}{same}.vcf", card(same, "From CSV"))
    listed = dav.sync_collection(mac, DEFAULT, None).hrefs()
    shown = [href for href in listed if href.endswith(f"{same}.vcf")]
    assert len(shown) == 2 and f"{DEFAULT}{same}.vcf" in shown
    texts = {mac.get(quote(href)).text for href in shown}
    assert texts == {card(same, "From the phone"), card(same, "From CSV")}


def test_a_plain_books_token_sends_a_mac_to_list_the_one_book_again(
    mac: DavSession, davx5: DavSession
) -> None:
    plain = dav.sync_collection(davx5, DEFAULT, None).sync_token
    refused = dav.sync_collection_raw(mac, DEFAULT, plain)
    assert refused.status_code == 403 and "valid-sync-token" in refused.text


def test_a_query_of_the_one_book_finds_cards_of_every_book(
    mac: DavSession, davx5: DavSession, new_book: str
) -> None:
    tag = uuid.uuid4().hex[:10]
    home_card, other_card = uid(), uid()
    dav.create_card(davx5, f"{DEFAULT}{home_card}.vcf", card(home_card, f"Ann {tag}"))
    dav.create_card(davx5, f"{new_book}{other_card}.vcf", card(other_card, f"Bob {tag}"))
    found = dav.addressbook_query(mac, DEFAULT, [dav.TextMatch("FN", tag)])
    hrefs = [r.href for r in found]
    assert len(hrefs) == 2 and f"{DEFAULT}{home_card}.vcf" in hrefs
    assert any(href.endswith(f"~{other_card}.vcf") for href in hrefs)
