"""One book per device against a real `contacthub serve` (SQLite and PostgreSQL): an app
password's "books" setting decides whether its device sees the account's books as one,
whatever its User-Agent; the account's own password follows the User-Agent; a change
counts from the device's next request."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests

from tests.e2e.test_one_book import DAVX5, DEFAULT, MAC, address_books, card, uid
from tests.support import dav
from tests.support.servers import DavServer, DavSession

pytestmark = pytest.mark.contacthub_only

LIST = "/api/v1/app-passwords"


def api(server: DavServer, method: str, path: str, **kwargs: Any) -> requests.Response:
    own = ("alice", server.users["alice"])
    return requests.request(method, server.url + path, auth=own, timeout=30, **kwargs)


def app_password(server: DavServer, books: str) -> tuple[str, str]:
    """A new app password of alice's with the given books: its name and secret."""
    name = f"device-{uuid.uuid4().hex[:8]}"
    made = api(server, "POST", LIST, json={"name": name, "books": books})
    assert made.status_code == 201, made.text
    assert made.json()["books"] == books
    return name, made.json()["password"]


def device(server: DavServer, password: str, agent: str) -> DavSession:
    session = server.session("alice", password)
    session.headers["User-Agent"] = agent
    return session


def own_password(server: DavServer, agent: str) -> DavSession:
    return device(server, server.users["alice"], agent)


def sees_combined(session: DavSession, new_book: str, name: str) -> bool:
    """Whether the default book, as this client lists it, holds `name` of `new_book`."""
    hrefs = [r.href for r in dav.propfind(session, DEFAULT, [dav.GETETAG], depth="1")]
    return any(href.startswith(f"{DEFAULT}~") and href.endswith(f"~{name}.vcf") for href in hrefs)


@pytest.fixture
def other_card(alice: DavSession, new_book: str) -> str:
    """A card in `new_book`, not in the default book."""
    name = uid()
    dav.create_card(alice, f"{new_book}{name}.vcf", card(name))
    return name


def test_an_app_password_set_to_one_book_shows_davx5_the_combined_book(
    contacthub_server: DavServer, new_book: str, other_card: str
) -> None:
    _, secret = app_password(contacthub_server, "one-book")
    davx5 = device(contacthub_server, secret, DAVX5)
    assert address_books(davx5) == [DEFAULT]
    assert sees_combined(davx5, new_book, other_card)
    initial = dav.sync_collection(davx5, DEFAULT, None)
    assert any(href.endswith(f"~{other_card}.vcf") for href in initial.hrefs())


def test_an_app_password_set_apart_shows_a_mac_the_books_apart(
    contacthub_server: DavServer, new_book: str, other_card: str
) -> None:
    _, secret = app_password(contacthub_server, "apart")
    mac = device(contacthub_server, secret, MAC)
    books = address_books(mac)
    assert books[0] == DEFAULT and new_book in books
    assert not sees_combined(mac, new_book, other_card)
    in_new = [r.href for r in dav.propfind(mac, new_book, [dav.GETETAG], depth="1")]
    assert f"{new_book}{other_card}.vcf" in in_new


def test_the_accounts_own_password_follows_the_user_agent(
    contacthub_server: DavServer, new_book: str, other_card: str
) -> None:
    app_password(contacthub_server, "one-book")  # another device's setting: not the account's
    app_password(contacthub_server, "apart")
    assert address_books(own_password(contacthub_server, MAC)) == [DEFAULT]
    assert sees_combined(own_password(contacthub_server, MAC), new_book, other_card)
    davx5 = own_password(contacthub_server, DAVX5)
    assert new_book in address_books(davx5)
    assert not sees_combined(davx5, new_book, other_card)


def test_as_recognised_follows_the_user_agent(
    contacthub_server: DavServer, new_book: str, other_card: str
) -> None:
    _, secret = app_password(contacthub_server, "as-recognised")
    assert sees_combined(device(contacthub_server, secret, MAC), new_book, other_card)
    assert not sees_combined(device(contacthub_server, secret, DAVX5), new_book, other_card)


def test_a_change_of_the_setting_counts_from_the_next_request(
    contacthub_server: DavServer, new_book: str, other_card: str
) -> None:
    name, secret = app_password(contacthub_server, "as-recognised")
    mac = device(contacthub_server, secret, MAC)  # one connection, kept alive throughout
    assert sees_combined(mac, new_book, other_card)
    for books, combined in (("apart", False), ("one-book", True), ("apart", False)):
        changed = api(contacthub_server, "PATCH", f"{LIST}/{name}", json={"books": books})
        assert changed.status_code == 200 and changed.json()["books"] == books
        assert sees_combined(mac, new_book, other_card) is combined, books
        assert (address_books(mac) == [DEFAULT]) is combined, books
