"""A client announcing itself as macOS's AddressBookCore sees the account's books as one
book (the default book's path), whose sync-collection follows changes in every book and
whose writes reach each card's own book, with each source book as a group card in it; a
DAVx5-like client sees the books apart."""

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


def is_group(href: str) -> bool:
    """Whether `href` names a source book's group card: `~<book uuid>.vcf`."""
    name = href.removeprefix(DEFAULT)
    return name.startswith("~") and name.count("~") == 1


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
    # The source book's group card changes with the book.
    assert sorted(changed.hrefs()) == sorted(
        [f"{DEFAULT}{home_card}.vcf", f"{DEFAULT}~{book}~{added}.vcf", f"{DEFAULT}~{book}.vcf"]
    )

    assert davx5.delete(f"{new_book}{first}.vcf").status_code == 200
    deleted = dav.sync_collection(mac, DEFAULT, changed.sync_token)
    assert sorted((r.href, r.status) for r in deleted) == [
        (f"{DEFAULT}~{book}.vcf", None),
        (f"{DEFAULT}~{book}~{first}.vcf", 404),
    ]


def test_a_book_made_after_the_token_arrives_whole(
    mac: DavSession, davx5: DavSession, contacthub_server: DavServer
) -> None:
    token = dav.sync_collection(mac, DEFAULT, None).sync_token
    later = f"/alice/book-{uuid.uuid4().hex[:12]}/"
    dav.mkcol_addressbook(davx5, later, "Later")
    name = uid()
    dav.create_card(davx5, f"{later}{name}.vcf", card(name))
    changed = dav.sync_collection(mac, DEFAULT, token).hrefs()
    assert len(changed) == 2 and changed[0].endswith(f"~{name}.vcf")
    assert changed[1] == f"{changed[0].rsplit('~', 1)[0]}.vcf"  # the new book's group card


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


def test_a_book_deleted_after_the_token_is_reported_deleted_with_its_group(
    mac: DavSession, davx5: DavSession
) -> None:
    doomed = f"/alice/book-{uuid.uuid4().hex[:12]}/"
    dav.mkcol_addressbook(davx5, doomed, "Doomed")
    kept, dropped = uid(), uid()
    dav.create_card(davx5, f"{doomed}{kept}.vcf", card(kept))
    dav.create_card(davx5, f"{doomed}{dropped}.vcf", card(dropped))
    first = dav.sync_collection(mac, DEFAULT, None)
    book = book_uuid_in(first.hrefs(), f"{kept}.vcf")
    group = f"{DEFAULT}~{book}.vcf"
    assert group in first.hrefs()
    # A card deleted before its book is reported once too.
    assert davx5.delete(f"{doomed}{dropped}.vcf").status_code == 200
    assert davx5.delete(doomed).status_code in (200, 204)

    deleted = dav.sync_collection(mac, DEFAULT, first.sync_token)
    assert sorted((r.href, r.status) for r in deleted) == sorted(
        [
            (group, 404),
            (f"{DEFAULT}~{book}~{kept}.vcf", 404),
            (f"{DEFAULT}~{book}~{dropped}.vcf", 404),
        ]
    )
    assert dav.sync_collection(mac, DEFAULT, deleted.sync_token).hrefs() == []
    assert mac.get(quote(group)).status_code == 404
    assert not any(book in href for href in dav.sync_collection(mac, DEFAULT, None).hrefs())


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
    hrefs = [r.href for r in dav.propfind(mac, DEFAULT, [dav.GETETAG], depth="1")]
    groups = [h for h in hrefs if is_group(h)]
    assert len(groups) == len(books) - 1  # one per book but the default
    group_bytes = sum(len(mac.get(quote(h)).content) for h in groups)
    assert measured(mac, DEFAULT) == sum(measured(davx5, book) for book in books) + group_bytes


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


# Each source book as a group card of the combined book.


def group_card(text: str) -> tuple[str, set[str]]:
    """The FN and the member UIDs of a group card's text."""
    lines = text.replace("\r\n ", "").replace("\n ", "").splitlines()
    assert "X-ADDRESSBOOKSERVER-KIND:group" in lines
    (name,) = [line[3:] for line in lines if line.startswith("FN:")]
    prefix = "X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:"
    return name, {line[len(prefix) :] for line in lines if line.startswith(prefix)}


def source_book(davx5: DavSession, title: str) -> str:
    path = f"/alice/book-{uuid.uuid4().hex[:12]}/"
    dav.mkcol_addressbook(davx5, path, title)
    return path


def group_of(mac: DavSession, book_path: str, davx5: DavSession) -> str:
    """The combined-book name of the group card of the book at `book_path`."""
    marker = uid()
    dav.create_card(davx5, f"{book_path}{marker}.vcf", card(marker))
    hrefs = dav.sync_collection(mac, DEFAULT, None).hrefs()
    book = book_uuid_in(hrefs, f"{marker}.vcf")
    assert davx5.delete(f"{book_path}{marker}.vcf").status_code == 200
    return f"{DEFAULT}~{book}.vcf"


def test_a_mac_sees_one_group_per_source_book_with_its_contacts(
    mac: DavSession, davx5: DavSession
) -> None:
    csv = source_book(davx5, "From CSV (staff.csv)")
    ios = source_book(davx5, "From iOS")
    staff, phone, home = [uid(), uid()], uid(), uid()
    for person in staff:
        dav.create_card(davx5, f"{csv}{person}.vcf", card(person))
    dav.create_card(davx5, f"{ios}{phone}.vcf", card(phone))
    dav.create_card(davx5, f"{DEFAULT}{home}.vcf", card(home))
    # The book's own group cards are no members of the source group.
    label = uid()
    label_card = (
        f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{label}\r\nN:Team;;;;\r\nFN:Team\r\n"
        f"X-ADDRESSBOOKSERVER-KIND:group\r\n"
        f"X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:{staff[0]}\r\nEND:VCARD\r\n"
    )
    dav.create_card(davx5, f"{csv}{label}.vcf", label_card)

    listed = [r.href for r in dav.propfind(mac, DEFAULT, [dav.GETETAG], depth="1")]
    csv_group, ios_group = group_of(mac, csv, davx5), group_of(mac, ios, davx5)
    assert csv_group in listed and ios_group in listed
    assert group_card(mac.get(quote(csv_group)).text) == ("From CSV (staff.csv)", set(staff))
    assert group_card(mac.get(quote(ios_group)).text) == ("From iOS", {phone})
    # Each group once in the listing; none for the default book.
    groups = [h for h in listed if is_group(h)]
    assert len(groups) == len(set(groups)) == len(address_books(davx5)) - 1

    got = dav.multiget(mac, DEFAULT, [quote(csv_group), quote(ios_group)])
    names = {r.href: group_card(r.address_data or "")[0] for r in got}
    assert names == {csv_group: "From CSV (staff.csv)", ios_group: "From iOS"}
    found = dav.addressbook_query(mac, DEFAULT, [dav.TextMatch("FN", "staff.csv")])
    assert [r.href for r in found] == [csv_group]

    # DAVx5 sees no such card.
    assert davx5.get(quote(csv_group)).status_code == 404
    apart = [r.href for r in dav.propfind(davx5, DEFAULT, [dav.GETETAG], depth="1")]
    assert not any(is_group(h) for h in apart)


def test_a_card_added_to_a_source_book_comes_with_its_group_changed(
    mac: DavSession, davx5: DavSession
) -> None:
    csv = source_book(davx5, "From CSV")
    first = uid()
    dav.create_card(davx5, f"{csv}{first}.vcf", card(first))
    group = group_of(mac, csv, davx5)
    before = dav.sync_collection(mac, DEFAULT, None)
    etag = before.by_href()[group].etag

    added = uid()
    dav.create_card(davx5, f"{csv}{added}.vcf", card(added))
    changed = dav.sync_collection(mac, DEFAULT, before.sync_token)
    book = group.removeprefix(f"{DEFAULT}~").removesuffix(".vcf")
    assert sorted(changed.hrefs()) == sorted([f"{DEFAULT}~{book}~{added}.vcf", group])
    assert changed.by_href()[group].etag != etag
    (fetched,) = dav.multiget(mac, DEFAULT, [quote(group)])
    assert fetched.etag == changed.by_href()[group].etag
    assert group_card(fetched.address_data or "")[1] == {first, added}
    # A change in another book leaves this group out of the next sync.
    home = uid()
    dav.create_card(davx5, f"{DEFAULT}{home}.vcf", card(home))
    later = dav.sync_collection(mac, DEFAULT, changed.sync_token)
    assert later.hrefs() == [f"{DEFAULT}{home}.vcf"]


def test_a_write_to_a_source_group_is_refused_and_changes_nothing(
    mac: DavSession, davx5: DavSession
) -> None:
    csv = source_book(davx5, "From CSV")
    person, stranger = uid(), uid()
    dav.create_card(davx5, f"{csv}{person}.vcf", card(person))
    dav.create_card(mac, f"{DEFAULT}{stranger}.vcf", card(stranger))
    group = group_of(mac, csv, davx5)
    token = dav.sync_collection(mac, DEFAULT, None).sync_token
    original = mac.get(quote(group))
    book_before = sorted(
        (r.href, r.etag) for r in dav.propfind(davx5, csv, [dav.GETETAG], depth="1")
    )

    # The Mac adds a contact to "From CSV", and renames it.
    uid_of_group = original.text.split("UID:", 1)[1].split("\r\n", 1)[0]
    added = original.text.replace(
        "END:VCARD", f"X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:{stranger}\r\nEND:VCARD"
    )
    renamed = added.replace("FN:From CSV", "FN:Renamed")
    for text in (added, renamed):
        answer = dav.put_vcard(mac, quote(group), text, if_match=original.headers["ETag"])
        assert answer.status_code == 403, answer.text
        assert "changes with that book only" in answer.text
    assert mac.delete(quote(group)).status_code == 403

    assert mac.get(quote(group)).text == original.text
    assert uid_of_group.startswith("contacthub-book-")
    assert dav.sync_collection(mac, DEFAULT, token).hrefs() == []
    after = sorted((r.href, r.etag) for r in dav.propfind(davx5, csv, [dav.GETETAG], depth="1"))
    assert after == book_before
    assert davx5.get(quote(group)).status_code == 404  # no card was made in the default book


def test_a_macs_whole_book_get_holds_every_book_and_group(
    mac: DavSession, davx5: DavSession
) -> None:
    csv = source_book(davx5, "From CSV")
    person, home = uid(), uid()
    dav.create_card(davx5, f"{csv}{person}.vcf", card(person))
    dav.create_card(davx5, f"{DEFAULT}{home}.vcf", card(home))
    group = group_of(mac, csv, davx5)

    whole = mac.get(DEFAULT)
    assert whole.status_code == 200 and whole.headers["Content-Type"].startswith("text/vcard")
    assert whole.headers["ETag"] == dav.propfind_one(mac, DEFAULT, [dav.GETETAG]).etag
    assert card(person) in whole.text and card(home) in whole.text
    assert mac.get(quote(group)).text in whole.text
    listed = [r.href for r in dav.propfind(mac, DEFAULT, [dav.GETETAG], depth="1")]
    assert whole.text.count("BEGIN:VCARD") == len(listed) - 1  # every member, the book aside


def test_a_macs_listing_of_the_one_book_gives_every_card_and_group_once(
    mac: DavSession, davx5: DavSession
) -> None:
    for title in ("From CSV", "From IMAP"):
        book = source_book(davx5, title)
        for _ in range(2):
            name = uid()
            dav.create_card(davx5, f"{book}{name}.vcf", card(name))
    source_book(davx5, "Empty")
    listed = [r.href for r in dav.propfind(mac, DEFAULT, [dav.GETETAG], depth="1")]
    synced = dav.sync_collection(mac, DEFAULT, None).hrefs()
    assert listed[0] == DEFAULT
    assert sorted(listed[1:]) == sorted(synced) and len(set(synced)) == len(synced)


def test_a_source_book_renamed_renames_its_group_at_the_next_sync(
    mac: DavSession, davx5: DavSession
) -> None:
    csv = source_book(davx5, "From CSV")
    group = group_of(mac, csv, davx5)
    token = dav.sync_collection(mac, DEFAULT, None).sync_token
    body = (
        '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'
        "<D:displayname>From CSV (staff.csv)</D:displayname></D:prop></D:set>"
        "</D:propertyupdate>"
    )
    renamed = davx5.request("PROPPATCH", csv, data=body, headers={"Content-Type": "text/xml"})
    assert renamed.status_code == 207
    assert dav.sync_collection(mac, DEFAULT, token).hrefs() == [group]
    assert group_card(mac.get(quote(group)).text)[0] == "From CSV (staff.csv)"
