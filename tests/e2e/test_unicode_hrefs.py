"""Cards named in any script reach Radicale as the names the client meant: PUT, GET,
PROPFIND, REPORT, MOVE and DELETE on a real `contacthub serve` (waitress), the same
app under a stock wsgiref server, and a path that is not UTF-8 answered 400."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest
import requests

from contacthub import config
from contacthub.app import make_app
from contacthub.store import Store
from contacthub.users import UsersFile
from tests.support import dav
from tests.support.servers import DavServer, DavSession
from tests.support.stores import new_sqlite_store

NAMES = (
    "град",  # Cyrillic
    "Ελλάδα",  # Greek
    "王小明",  # CJK
    "محمد",  # Arabic
    "😀 smile",  # emoji and a space
    "ann smith@example.org",  # a space and @, as UIDs that are addresses
)


def card(uid: str) -> str:
    return f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:{uid}\r\nFN:{uid}\r\nEND:VCARD\r\n"


def url_of(book: str, name: str) -> str:
    return book + quote(f"{name}.vcf")


@pytest.mark.parametrize("name", NAMES)
def test_a_card_named_in_any_script_goes_through_every_method(
    alice: DavSession, new_book: str, name: str
) -> None:
    href = url_of(new_book, name)
    etag = dav.create_card(alice, href, card(name))
    got = alice.get(href)
    assert got.status_code == 200 and got.text == card(name) and got.headers["ETag"] == etag

    listed = dav.propfind(alice, new_book, [dav.GETETAG], depth="1")
    assert {r.href: r.etag for r in listed if r.href != new_book} == {f"{new_book}{name}.vcf": etag}
    multiget = dav.multiget(alice, new_book, [href])
    assert [(r.href, r.etag) for r in multiget] == [(f"{new_book}{name}.vcf", etag)]
    synced = dav.sync_collection(alice, new_book, None)
    assert [r.href for r in synced] == [f"{new_book}{name}.vcf"]

    moved = url_of(new_book, f"{name} moved")
    response = alice.request("MOVE", href, headers={"Destination": alice.base_url + moved})
    assert response.status_code == 201, response.text
    assert alice.get(href).status_code == 404
    assert alice.get(moved).text == card(name)
    assert alice.delete(moved).status_code in (200, 204)
    assert alice.get(moved).status_code == 404


def test_a_destination_sent_as_raw_utf8_is_read_as_utf8(alice: DavSession, new_book: str) -> None:
    """Some clients put the name in the Destination header unencoded."""
    href = url_of(new_book, "raw")
    dav.create_card(alice, href, card("raw"))
    destination = (alice.base_url + new_book + "Ελλάδα.vcf").encode("utf-8")
    response = alice.request("MOVE", href, headers={"Destination": destination})
    assert response.status_code == 201, response.text
    assert alice.get(url_of(new_book, "Ελλάδα")).text == card("raw")


def test_a_path_that_is_not_utf8_is_refused_in_words(alice: DavSession, new_book: str) -> None:
    response = alice.put(
        new_book + "%FF%FE.vcf",
        data=card("bad").encode(),
        headers={"Content-Type": "text/vcard; charset=utf-8"},
    )
    assert response.status_code == 400
    assert "not UTF-8" in response.text
    href = url_of(new_book, "good")
    dav.create_card(alice, href, card("good"))
    response = alice.request(
        "MOVE", href, headers={"Destination": alice.base_url + new_book + "%C3.vcf"}
    )
    assert response.status_code == 400 and "Destination" in response.text
    assert alice.get(href).status_code == 200


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - wsgiref's name
        pass


@pytest.fixture
def wsgiref_server(tmp_path: Path) -> Iterator[str]:
    """The app of `contacthub serve` under the standard library's wsgiref server."""
    settings = config.load(tmp_path)
    UsersFile(settings.users_file).add("alice", "alice-Secret-1")
    store = Store.open(new_sqlite_store(tmp_path / "store.db"))
    server: WSGIServer = make_server(
        "127.0.0.1", 0, make_app(settings, store), handler_class=_Quiet
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        store.close()


def test_names_in_any_script_under_wsgiref(wsgiref_server: str) -> None:
    alice = DavSession(wsgiref_server, ("alice", "alice-Secret-1"))
    book = "/alice/contacts/"
    dav.propfind(alice, book)  # the first request makes the book
    for name in NAMES:
        etag = dav.create_card(alice, url_of(book, name), card(name))
        assert alice.get(url_of(book, name)).headers["ETag"] == etag
    listed = dav.propfind(alice, book, [dav.GETETAG], depth="1")
    assert {r.href for r in listed} == {book} | {f"{book}{name}.vcf" for name in NAMES}


def test_names_in_any_script_under_serve_and_a_stranger_learns_nothing(
    contacthub_server: DavServer, new_book: str
) -> None:
    """Bob, who may not write in alice's book, gets the same 403 for a Cyrillic name."""
    bob = contacthub_server.session("bob")
    response = bob.put(url_of(new_book, "град"), data=card("x").encode())
    assert response.status_code == 403
    assert requests.get(contacthub_server.url + url_of(new_book, "град")).status_code == 401
