"""Discovery, accounts and collections over HTTP against a real server process.

A phone is set up with nothing but the server address: /.well-known/carddav,
the principal and the address-book home must lead it to the user's books, with
"Contacts" first. Wrong passwords and other users' books are refused.
"""

from __future__ import annotations

import uuid
from urllib.parse import urljoin, urlsplit

import pytest

from tests.support import dav
from tests.support.dav import CARD, DAV, DISPLAYNAME, RESOURCETYPE, q
from tests.support.servers import DavServer, DavSession
from tests.support.vcards import event, make_card, new_uid

ADDRESSBOOK = q(CARD, "addressbook")
REDIRECTS = (301, 302, 303, 307, 308)


def address_books(session: DavSession, home: str) -> list[dav.DavResponse]:
    """The address books in *home*, in the order the server lists them."""
    ms = dav.propfind(session, home, [RESOURCETYPE, DISPLAYNAME], depth="1")
    return [r for r in ms if ADDRESSBOOK in r.resourcetypes() and r.href != home]


def discover_books(server: DavServer, user: str) -> list[dav.DavResponse]:
    """What a client does with only the server address (RFC 6764, RFC 6352)."""
    session = server.session(user)
    resp = session.request(
        "PROPFIND", "/.well-known/carddav", allow_redirects=False, headers={"Depth": "0"}
    )
    assert resp.status_code in REDIRECTS, (resp.status_code, resp.text[:500])
    context = urljoin(server.url + "/.well-known/carddav", resp.headers["Location"])
    principal_resp = dav.propfind_one(session, context, [q(DAV, "current-user-principal")])
    principals = principal_resp.hrefs_in(q(DAV, "current-user-principal"))
    assert principals == [f"/{user}/"]
    home_resp = dav.propfind_one(session, principals[0], [q(CARD, "addressbook-home-set")])
    homes = home_resp.hrefs_in(q(CARD, "addressbook-home-set"))
    assert homes == [f"/{user}/"]
    return address_books(session, homes[0])


@pytest.mark.parametrize("method", ["GET", "PROPFIND"])
def test_well_known_carddav_redirects_to_root(contacthub_server: DavServer, method: str) -> None:
    for session in (contacthub_server.session(None), contacthub_server.session("alice")):
        resp = session.request(method, "/.well-known/carddav", allow_redirects=False)
        assert resp.status_code in REDIRECTS
        location = urljoin(contacthub_server.url + "/", resp.headers["Location"])
        assert urlsplit(location).path == "/"


def test_discovery_leads_a_new_user_to_the_default_book(contacthub_server: DavServer) -> None:
    # carol never logged in before: her default book appears with her first login.
    books = discover_books(contacthub_server, "carol")
    assert [b.href for b in books] == ["/carol/contacts/"]
    assert books[0].text(DISPLAYNAME) == "Contacts"
    # ... and it is a usable address book.
    carol = contacthub_server.session("carol")
    card = make_card(new_uid(), "First Contact", emails=["first@example.org"])
    dav.create_card(carol, "/carol/contacts/first.vcf", card)
    assert carol.get("/carol/contacts/first.vcf").status_code == 200


@pytest.mark.contacthub_only  # Radicale's own storage lists books by name
def test_contacts_is_listed_first_in_a_stable_order(contacthub_server: DavServer) -> None:
    alice = contacthub_server.session("alice")
    discover_books(contacthub_server, "alice")  # first login creates "Contacts"
    # Books whose names sort before and after "contacts", created after it.
    for name, title in (
        ("aaa-" + uuid.uuid4().hex[:6], "Archive"),
        ("zzz-" + uuid.uuid4().hex[:6], "Zoo"),
        ("0-" + uuid.uuid4().hex[:6], "000 first by name"),
    ):
        dav.mkcol_addressbook(alice, f"/alice/{name}/", title)
    listings = [[b.href for b in discover_books(contacthub_server, "alice")] for _ in range(3)]
    assert listings[0][0] == "/alice/contacts/"
    assert len(listings[0]) >= 4
    assert listings[0] == listings[1] == listings[2]


def test_supported_address_data_is_vcard_3_and_4(contacthub_server: DavServer) -> None:
    alice = contacthub_server.session("alice")
    discover_books(contacthub_server, "alice")
    resp = dav.propfind_one(alice, "/alice/contacts/", [q(CARD, "supported-address-data")])
    elem = resp.props[q(CARD, "supported-address-data")]
    types = {
        (t.get("content-type"), t.get("version")) for t in elem.iter(q(CARD, "address-data-type"))
    }
    assert types == {("text/vcard", "3.0"), ("text/vcard", "4.0")}


def test_wrong_password_gets_401(contacthub_server: DavServer) -> None:
    cases = [
        contacthub_server.session("alice", "not-the-password"),
        contacthub_server.session("alice", ""),
        contacthub_server.session("nobody", "whatever"),
    ]
    for session in cases:
        resp = session.request("PROPFIND", "/alice/", headers={"Depth": "0"})
        assert resp.status_code == 401, session.auth
        assert resp.headers.get("WWW-Authenticate", "").lower().startswith("basic")
    anonymous = contacthub_server.session(None)
    assert anonymous.request("PROPFIND", "/alice/", headers={"Depth": "0"}).status_code == 401
    # The right password still works afterwards.
    ok = contacthub_server.session("alice").request("PROPFIND", "/alice/", headers={"Depth": "0"})
    assert ok.status_code == 207


def test_other_users_cannot_read_or_write_alices_books(contacthub_server: DavServer) -> None:
    alice = contacthub_server.session("alice")
    bob = contacthub_server.session("bob")
    discover_books(contacthub_server, "alice")
    discover_books(contacthub_server, "bob")
    card = make_card(new_uid(), "Private Person", emails=["private@example.org"])
    href = f"/alice/contacts/private-{uuid.uuid4().hex[:8]}.vcf"
    etag = dav.create_card(alice, href, card)
    before = dav.propfind_one(alice, "/alice/contacts/", [dav.SYNC_TOKEN]).text(dav.SYNC_TOKEN)

    denied = (403, 404)
    assert bob.get(href).status_code in denied
    assert bob.request("PROPFIND", "/alice/contacts/", headers={"Depth": "1"}).status_code in denied
    assert dav.sync_collection_raw(bob, "/alice/contacts/", None).status_code in denied
    multiget = dav.multiget_raw(bob, "/alice/contacts/", [href])
    assert multiget.status_code in denied or "Private Person" not in multiget.text
    other = make_card(new_uid(), "Planted By Bob")
    assert dav.put_vcard(bob, "/alice/contacts/planted.vcf", other).status_code in denied
    assert bob.delete(href).status_code in denied
    assert dav.mkcol_addressbook_raw(bob, "/alice/bobs-book/", "Bob's").status_code in denied

    # alice's book is untouched.
    got = alice.get(href)
    assert got.status_code == 200 and got.headers["ETag"] == etag
    assert alice.get("/alice/contacts/planted.vcf").status_code == 404
    assert alice.request("PROPFIND", "/alice/bobs-book/", headers={"Depth": "0"}).status_code == 404
    after = dav.propfind_one(alice, "/alice/contacts/", [dav.SYNC_TOKEN]).text(dav.SYNC_TOKEN)
    assert after == before


def test_create_rename_and_delete_an_address_book(contacthub_server: DavServer) -> None:
    alice = contacthub_server.session("alice")
    path = f"/alice/work-{uuid.uuid4().hex[:8]}/"
    dav.mkcol_addressbook(alice, path, "Work")
    listed = {b.href: b.text(DISPLAYNAME) for b in address_books(alice, "/alice/")}
    assert listed.get(path) == "Work"

    card = make_card(new_uid(), "Colleague One", emails=["one@work.example"])
    dav.create_card(alice, path + "one.vcf", card)
    assert alice.get(path + "one.vcf").status_code == 200

    patch = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'
        "<D:displayname>Work (old)</D:displayname>"
        "</D:prop></D:set></D:propertyupdate>"
    )
    resp = alice.request(
        "PROPPATCH", path, data=patch.encode(), headers={"Content-Type": "application/xml"}
    )
    assert resp.status_code == 207
    assert dav.propfind_one(alice, path, [DISPLAYNAME]).text(DISPLAYNAME) == "Work (old)"

    resp = alice.delete(path)
    assert resp.status_code in (200, 204)
    assert alice.request("PROPFIND", path, headers={"Depth": "0"}).status_code == 404
    assert alice.get(path + "one.vcf").status_code == 404
    remaining = [b.href for b in address_books(alice, "/alice/")]
    assert path not in remaining
    assert "/alice/contacts/" in remaining


def test_calendars_still_work(contacthub_server: DavServer) -> None:
    alice = contacthub_server.session("alice")
    cal = f"/alice/cal-{uuid.uuid4().hex[:8]}/"
    dav.mkcalendar(alice, cal, "Meetings")
    rt = dav.propfind_one(alice, cal, [RESOURCETYPE]).resourcetypes()
    assert q(dav.CAL, "calendar") in rt

    uid = new_uid()
    ics = event(uid, "Quarterly review", "20250310T090000Z", "20250310T100000Z")
    resp = alice.put(
        cal + "review.ics",
        data=ics.encode(),
        headers={"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"},
    )
    assert resp.status_code == 201
    got = alice.get(cal + "review.ics")
    assert got.status_code == 200 and "SUMMARY:Quarterly review" in got.text

    hit = dav.calendar_query(alice, cal, "20250301T000000Z", "20250401T000000Z")
    assert hit.hrefs() == [cal + "review.ics"]
    assert "Quarterly review" in (hit.responses[0].text(dav.CALENDAR_DATA) or "")
    miss = dav.calendar_query(alice, cal, "20250401T000000Z", "20250501T000000Z")
    assert miss.hrefs() == []

    assert alice.delete(cal + "review.ics").status_code in (200, 204)
    assert alice.get(cal + "review.ics").status_code == 404
