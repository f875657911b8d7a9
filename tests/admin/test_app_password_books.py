"""The App passwords page: "Books on this device" per app password (as recognised, all as
one, each apart), which takes effect at the device's next CardDAV request, and the app a
device last signed in with, which tells the Mac from the phone."""

from __future__ import annotations

import time

from playwright.sync_api import Page, expect

from tests.admin.conftest import AdminPage
from tests.admin.test_app_passwords import device, open_page
from tests.e2e.test_one_book import DAVX5, MAC, address_books
from tests.support import dav
from tests.support.servers import ContacthubServer, DavSession

PAGE = "/admin/app-passwords/"
DEFAULT = "/alice/contacts/"
OTHER = "/alice/from-csv/"
LONG_NAME = "Anna’s phone with a rather long name for a phone"


def carddav(server: ContacthubServer, password: str, agent: str) -> DavSession:
    session = server.session("alice", password)
    session.headers["User-Agent"] = agent
    return session


def add(server: ContacthubServer, name: str) -> str:
    return server.cli("user", "app-password", "add", "alice", name).stdout.strip()


def second_book(server: ContacthubServer) -> None:
    own = server.session("alice")
    dav.mkcol_addressbook(own, OTHER, "From CSV")


def wait_for_agent(admin: AdminPage, name: str) -> None:
    """Reload until the device's last use (written by a thread beside the request) shows."""
    deadline = time.monotonic() + 10
    while True:
        page = admin.go(PAGE)
        if device(page, name).locator(".last-agent").count() or time.monotonic() > deadline:
            return
        time.sleep(0.2)


def choose(page: Page, name: str, text: str) -> None:
    row = device(page, name)
    row.get_by_label("Books on this device").select_option(label=text)
    row.get_by_role("button", name=f"Save the books on “{name}”").click()


def test_a_device_sees_the_books_as_its_select_says_from_its_next_request(
    admin: AdminPage,
) -> None:
    server = admin.server
    second_book(server)
    secret = add(server, "Work Mac")
    mac = carddav(server, secret, MAC)
    assert address_books(mac) == [DEFAULT]  # recognised as a Mac

    admin.sign_in("alice")
    page = open_page(admin)
    wait_for_agent(admin, "Work Mac")
    row = device(page, "Work Mac")
    expect(row.locator(".last-agent")).to_have_text(MAC)
    select = row.get_by_label("Books on this device")
    expect(select).to_have_value("as-recognised")
    admin.shot("as recognised")

    choose(page, "Work Mac", "Each book apart")
    expect(page.get_by_role("status")).to_have_text(
        "“Work Mac” now sees each of your books apart, from its next sync on."
    )
    expect(device(page, "Work Mac").get_by_label("Books on this device")).to_have_value("apart")
    admin.shot("apart")
    assert sorted(address_books(mac)) == sorted([DEFAULT, OTHER])

    # The same password on a phone's app: one book, as the select now says.
    choose(page, "Work Mac", "All books as one")
    expect(page.get_by_role("status")).to_have_text(
        "“Work Mac” now sees all your books as one book, from its next sync on."
    )
    expect(device(page, "Work Mac").get_by_label("Books on this device")).to_have_value("one-book")
    assert address_books(carddav(server, secret, DAVX5)) == [DEFAULT]

    choose(page, "Work Mac", "As recognised: one book on a Mac")
    expect(page.get_by_role("status")).to_contain_text("as its app is recognised")
    assert sorted(address_books(carddav(server, secret, DAVX5))) == sorted([DEFAULT, OTHER])
    assert address_books(mac) == [DEFAULT]


def test_a_revoked_password_is_said_and_nothing_else_changes(admin: AdminPage) -> None:
    server = admin.server
    add(server, "Old phone")
    admin.sign_in("alice")
    page = open_page(admin)
    server.cli("user", "app-password", "revoke", "alice", "Old phone")
    choose(page, "Old phone", "All books as one")
    expect(page.locator(".flash.error")).to_have_text(
        "There is no app password “Old phone” any more: it was revoked."
    )
    expect(page.locator("ul.app-passwords li")).to_have_count(0)


def test_the_books_setting_fits_a_phone_screen(phone: AdminPage) -> None:
    server = phone.server
    second_book(server)
    long_agent = (
        "DAVx5/4.3.13-ose (2024/01/09; dav4jvm; okhttp/4.12.0) Android/14 "
        "with-a-build-tag-that-runs-on-and-on-without-any-space-at-all"
    )
    add(server, "Thunderbird at work")
    secret = add(server, LONG_NAME)
    assert len(address_books(carddav(server, secret, long_agent))) == 2
    phone.sign_in("alice")
    wait_for_agent(phone, LONG_NAME)
    page = phone.go(PAGE)
    phone.shot("books on a phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    choose(page, LONG_NAME, "All books as one")
    expect(page.get_by_role("status")).to_contain_text("sees all your books as one book")
    row = device(page, LONG_NAME)
    expect(row.get_by_label("Books on this device")).to_have_value("one-book")
    select, button = (
        row.locator(selector).bounding_box() for selector in ("select", ".books-setting button")
    )
    assert select is not None and button is not None
    assert select["x"] + select["width"] <= 390 and button["x"] + button["width"] <= 390
    phone.shot("one book chosen on a phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert address_books(carddav(server, secret, long_agent)) == [DEFAULT]
