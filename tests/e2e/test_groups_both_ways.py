"""Groups both ways against a real `contacthub serve`: a group card an iPhone PUTs shows
as categories on its members in a Thunderbird's next sync, a category a Thunderbird adds
puts the contact in the group card the iPhone syncs; renames and removals too; a Google
CSV's labels become group cards. SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import vobject

from tests.support import dav
from tests.support.servers import DavServer, DavSession
from tests.support.vcards import make_card

pytestmark = pytest.mark.contacthub_only

BOOK = "/alice/contacts/"
IPHONE = "iOS/17.4 (21E219) dataaccessd/1.0"
THUNDERBIRD = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.0"


@pytest.fixture(params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, contacthub_factory: Callable[..., DavServer]
) -> DavServer:
    return contacthub_factory(backend=request.param)


class Client:
    """A CardDAV client that syncs the book with sync-collection and multiget."""

    def __init__(self, server: DavServer, agent: str) -> None:
        self.session: DavSession = server.session("alice")
        self.session.headers["User-Agent"] = agent
        self.token: str | None = None
        self.cards: dict[str, str] = {}

    def sync(self) -> set[str]:
        """The hrefs changed since the last sync; their cards are fetched."""
        listing = dav.sync_collection(self.session, BOOK, self.token)
        self.token = listing.sync_token
        changed = {r.href for r in listing if r.status != 404 and r.href != BOOK}
        for r in listing:
            if r.status == 404:
                self.cards.pop(r.href, None)
        if changed:
            for got in dav.multiget(self.session, BOOK, sorted(changed)):
                self.cards[got.href] = got.address_data or ""
        return changed

    def put(self, name: str, card: str) -> None:
        response = dav.put_vcard(self.session, BOOK + name, card)
        assert response.status_code in (201, 204), response.text

    def categories(self, name: str) -> list[str]:
        card = vobject.readOne(self.cards[BOOK + name])
        return [value for prop in card.contents.get("categories", []) for value in prop.value]

    def groups(self) -> dict[str, set[str]]:
        """name -> member UIDs of the group cards synced."""
        found: dict[str, set[str]] = {}
        for text in self.cards.values():
            card = vobject.readOne(text)
            kind = card.contents.get("x-addressbookserver-kind")
            if kind and kind[0].value == "group":
                members = card.contents.get("x-addressbookserver-member", [])
                found[card.fn.value] = {m.value.removeprefix("urn:uuid:") for m in members}
        return found


def contact(uid: str, name: str, categories: str | None = None) -> str:
    extra = [f"CATEGORIES:{categories}"] if categories else []
    return make_card(uid, name, emails=[f"{uid}@example.org"], extra=extra)


def group_card(uid: str, name: str, members: list[str]) -> str:
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "PRODID:-//Apple Inc.//iPhone OS 17.4//EN",
        f"N:{name};;;;",
        f"FN:{name}",
        "X-ADDRESSBOOKSERVER-KIND:group",
        *(f"X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:{member}" for member in members),
        f"UID:{uid}",
        "END:VCARD",
    ]
    return "\r\n".join(lines) + "\r\n"


@pytest.fixture
def clients(server: DavServer) -> tuple[Client, Client]:
    iphone, thunderbird = Client(server, IPHONE), Client(server, THUNDERBIRD)
    dav.propfind(iphone.session, BOOK, [dav.GETETAG], depth="0")
    for uid, name in (("ann", "Ann Lee"), ("bob", "Bob Ray")):
        thunderbird.put(f"{uid}.vcf", contact(uid, name))
    iphone.sync()
    thunderbird.sync()
    return iphone, thunderbird


def test_a_group_made_on_an_iphone_shows_as_categories_in_thunderbird(
    clients: tuple[Client, Client],
) -> None:
    iphone, thunderbird = clients
    iphone.put("family.vcf", group_card("family", "Family", ["ann", "bob"]))
    assert thunderbird.sync() == {BOOK + "family.vcf", BOOK + "ann.vcf", BOOK + "bob.vcf"}
    assert thunderbird.categories("ann.vcf") == ["Family"]
    assert thunderbird.categories("bob.vcf") == ["Family"]
    # Renamed on the phone, and bob taken out.
    iphone.put("family.vcf", group_card("family", "Home", ["ann"]))
    assert thunderbird.sync() == {BOOK + "family.vcf", BOOK + "ann.vcf", BOOK + "bob.vcf"}
    assert (thunderbird.categories("ann.vcf"), thunderbird.categories("bob.vcf")) == (["Home"], [])
    # The group deleted on the phone.
    assert iphone.session.delete(BOOK + "family.vcf").status_code == 200
    thunderbird.sync()
    assert thunderbird.categories("ann.vcf") == []
    # The phone's own sync sees what the bridge wrote, and nothing twice.
    iphone.sync()
    assert iphone.sync() == set()


def test_a_category_added_in_thunderbird_puts_the_contact_in_the_iphones_group(
    clients: tuple[Client, Client],
) -> None:
    iphone, thunderbird = clients
    thunderbird.put("ann.vcf", contact("ann", "Ann Lee", "Book club"))
    changed = iphone.sync()
    assert BOOK + "ann.vcf" in changed and len(changed) == 2  # ann and a new group card
    assert iphone.groups() == {"Book club": {"ann"}}
    thunderbird.put("bob.vcf", contact("bob", "Bob Ray", "Book club"))
    iphone.sync()
    assert iphone.groups() == {"Book club": {"ann", "bob"}}
    thunderbird.put("ann.vcf", contact("ann", "Ann Lee"))
    iphone.sync()
    assert iphone.groups() == {"Book club": {"bob"}}
    # Renamed in Thunderbird: bob leaves the old group and joins a new one.
    thunderbird.put("bob.vcf", contact("bob", "Bob Ray", "Readers"))
    iphone.sync()
    assert iphone.groups() == {"Book club": set(), "Readers": {"bob"}}


def test_a_google_csvs_labels_become_group_cards(server: DavServer) -> None:
    from tests.e2e.test_csv_import_clients import GOOGLE

    alice = server.session("alice")
    created = alice.post(
        "/api/v1/imports",
        data={"name": "Google"},
        files={"file": ("google_contacts.csv", GOOGLE.read_bytes(), "text/csv")},
    )
    assert created.status_code == 201, created.text
    import_id, book = created.json()["id"], created.json()["book"]
    report = alice.post(f"/api/v1/imports/{import_id}/run").json()
    assert report["status"] == "ok", report
    path = f"/alice/{book}/"
    iphone = Client(server, IPHONE)
    listing = dav.sync_collection(iphone.session, path, None)
    cards = [r.address_data or "" for r in dav.multiget(iphone.session, path, listing.hrefs())]
    groups = {}
    for text in cards:
        card = vobject.readOne(text)
        if "x-addressbookserver-kind" in card.contents:
            members = card.contents.get("x-addressbookserver-member", [])
            groups[card.fn.value] = len(members)
    assert "myContacts" not in " ".join(groups) and "* myContacts" not in groups
    assert groups.get("Friends", 0) >= 1 and groups.get("VIP", 0) >= 1, groups
