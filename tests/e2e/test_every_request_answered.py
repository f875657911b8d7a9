"""Every request gets a deliberate answer: a broad matrix of methods × paths, under
`serve`'s owner-only rights and under Radicale's `authenticated` rights (every signed-in
user may write everywhere, as Radicale's own tests run), on a real `contacthub serve`.

No answer is a 5xx, and where the answer refuses (4xx) or only reads, the store's rows
are exactly what they were before. After a write that succeeded, the books are put back
as they were, so every request meets the same state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from contacthub.store import DEFAULT_BOOK_PROPS, Actor, Store
from contacthub.store.schema import metadata
from contacthub.vcard.parse import item_data
from tests.support.servers import ContacthubServer, DavServer

USERS = ("alice", "bob")
CARD = "card.vcf"


def card_text(uid: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:Ann {uid}\r\nEND:VCARD\r\n"


PATHS = (
    "/",
    "/alice/",
    "/alice/contacts/",
    f"/alice/contacts/{CARD}",
    "/alice/contacts/missing.vcf",
    "/alice/missing-book/",
    "/bob/",
    "/bob/contacts/",
    f"/bob/contacts/{CARD}",
)

XML = {"Content-Type": "application/xml; charset=utf-8"}
PROPFIND = (
    '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/>'
    "<D:resourcetype/><D:displayname/><D:sync-token/></D:prop></D:propfind>"
)
PROPPATCH = (
    '<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'
    "<D:displayname>Renamed</D:displayname></D:prop></D:set></D:propertyupdate>"
)
MULTIGET = (
    '<?xml version="1.0"?><C:addressbook-multiget xmlns:D="DAV:" '
    'xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><C:address-data/>'
    "</D:prop><D:href>/alice/contacts/card.vcf</D:href>"
    "<D:href>/bob/contacts/card.vcf</D:href></C:addressbook-multiget>"
)
SYNC = (
    '<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:"><D:sync-token/>'
    "<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>"
)
MKCOL = (
    '<?xml version="1.0"?><D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">'
    "<D:set><D:prop><D:resourcetype><D:collection/><C:addressbook/></D:resourcetype>"
    "</D:prop></D:set></D:mkcol>"
)
MKCALENDAR = (
    '<?xml version="1.0"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
    "<D:set><D:prop><D:displayname>Cal</D:displayname></D:prop></D:set></C:mkcalendar>"
)
LOCK = (
    '<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/>'
    "</D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>"
)


@dataclass(frozen=True)
class Request:
    method: str
    headers: dict[str, str]
    body: str = ""
    reads_only: bool = False

    def label(self) -> str:
        depth = self.headers.get("Depth")
        return self.method + (f" Depth {depth}" if depth else "")


def requests_for(server: DavServer, path: str) -> Iterator[Request]:
    moved = server.url + (path.rstrip("/") + "-moved" + ("/" if path.endswith("/") else ""))
    if path == "/":
        moved = server.url + "/moved/"
    yield Request("OPTIONS", {}, reads_only=True)
    yield Request("GET", {}, reads_only=True)
    yield Request("HEAD", {}, reads_only=True)
    yield Request("PUT", {"Content-Type": "text/vcard; charset=utf-8"}, card_text("put-uid"))
    yield Request("DELETE", {})
    for depth in ("0", "1"):
        yield Request("PROPFIND", {**XML, "Depth": depth}, PROPFIND, reads_only=True)
    yield Request("PROPPATCH", XML, PROPPATCH)
    yield Request("REPORT", {**XML, "Depth": "1"}, MULTIGET, reads_only=True)
    yield Request("REPORT", {**XML, "Depth": "0"}, SYNC, reads_only=True)
    yield Request("MKCOL", XML, MKCOL)
    yield Request("MKCALENDAR", XML, MKCALENDAR)
    yield Request("MOVE", {"Destination": moved, "Overwrite": "F"})
    yield Request("COPY", {"Destination": moved})
    yield Request("LOCK", XML, LOCK)
    yield Request("POST", {"Content-Type": "text/plain"}, "hello")
    yield Request("FROBNICATE", {}, reads_only=True)


Dump = dict[str, list[tuple[object, ...]]]


def dump(store: Store) -> Dump:
    """Every row of every table of the store, in a stable order."""
    with store.engine.connect() as conn:
        return {
            table.name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
            for table in metadata.sorted_tables
        }


def reset(store: Store) -> None:
    """Each user has the book `contacts` holding one card, and nothing else."""
    with store.write(actor=Actor("test", "cli")) as tx:
        for user in USERS:
            if tx.get_collection(user) is None:
                tx.create_collection(user, {})
            for child in tx.list_children(user):
                if child.path != f"{user}/contacts":
                    tx.delete_collection(child.path)
            book = tx.get_collection(f"{user}/contacts") or tx.create_collection(
                f"{user}/contacts", dict(DEFAULT_BOOK_PROPS)
            )
            if book.props != DEFAULT_BOOK_PROPS:
                book = tx.set_props(book, {**DEFAULT_BOOK_PROPS})
            for item in list(tx.iter_items(book.id)):
                if item.href != CARD or item.text != card_text(f"{user}-card"):
                    tx.delete_item(book, item.href)
            if tx.get_item(book.id, CARD) is None:
                tx.put_item(book, CARD, item_data(card_text(f"{user}-card")))


@pytest.mark.contacthub_only
@pytest.mark.parametrize("rights", ["owner_only", "authenticated"])
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_method_on_every_path_gets_a_deliberate_answer(
    contacthub_factory: Callable[..., DavServer], backend: str, rights: str
) -> None:
    server = contacthub_factory(backend=backend, config={"rights": {"type": rights}})
    assert isinstance(server, ContacthubServer)
    session = server.session("alice")
    for user in USERS:  # the principals exist before the matrix starts
        assert server.session(user).request("PROPFIND", "/", headers={"Depth": "0"}).ok
    store = Store.open(server.store_url or f"sqlite:///{server.data_dir / 'contacthub.db'}")
    failures: list[str] = []
    try:
        reset(store)
        for path in PATHS:
            for request in requests_for(server, path):
                before = dump(store)
                response = session.request(
                    request.method, path, headers=request.headers, data=request.body.encode()
                )
                what = f"{request.label()} {path} as alice ({rights})"
                status = response.status_code
                if status >= 500:
                    failures.append(f"{what}: {status} {response.text[:200]!r}")
                unchanged = request.reads_only or status >= 400
                if unchanged and dump(store) != before:
                    failures.append(f"{what}: answered {status} but changed the store")
                if not unchanged:
                    reset(store)
    finally:
        store.close()
    assert not failures, "\n".join(failures)


@pytest.mark.contacthub_only
@pytest.mark.parametrize("rights", ["owner_only", "authenticated"])
def test_the_root_and_a_home_are_never_deleted(
    contacthub_factory: Callable[..., DavServer], rights: str
) -> None:
    server = contacthub_factory(config={"rights": {"type": rights}})
    alice = server.session("alice")
    put = alice.put(
        f"/alice/contacts/{CARD}",
        data=card_text("kept").encode(),
        headers={"Content-Type": "text/vcard; charset=utf-8"},
    )
    assert put.status_code == 201, put.text
    for path in ("/", "/alice/"):
        response = alice.delete(path)
        assert response.status_code == 403, (path, response.status_code, response.text)
    if rights == "authenticated":  # the rights let her write there: the sentence says why not
        assert "lists the accounts" in alice.delete("/").text
        assert "goes with the account" in alice.delete("/alice/").text
    response = alice.get(f"/alice/contacts/{CARD}")
    assert response.status_code == 200 and response.text == card_text("kept")
