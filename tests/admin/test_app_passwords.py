"""The App passwords page: a password per device, shown once and copied, its last use, revoked;
and the setting that refuses the account's own password for CardDAV."""

from __future__ import annotations

import re
import time

import requests
from playwright.sync_api import Page, expect

from tests.admin.conftest import AdminPage, open_confirmation
from tests.support import dav
from tests.support.servers import ContacthubServer

PAGE = "/admin/app-passwords/"
SECRET = re.compile(r"^[a-km-np-z2-9]{4}(-[a-km-np-z2-9]{4}){4}$")


def carddav_status(server: ContacthubServer, user: str, password: str) -> int:
    session = requests.Session()
    session.auth = (user, password)
    try:
        return dav.propfind_raw(session, f"{server.url}/{user}/", [dav.DISPLAYNAME]).status_code
    finally:
        session.close()


def open_page(admin: AdminPage) -> Page:
    page = admin.page
    page.get_by_role("link", name="App passwords").click()
    expect(page.get_by_role("heading", name="App passwords", exact=True)).to_be_visible()
    return page


def create(page: Page, name: str) -> str:
    page.get_by_label("Device name").fill(name)
    page.get_by_role("button", name="Create app password").click()
    expect(page.get_by_role("heading", name=f"The app password for “{name}”")).to_be_visible()
    secret = page.locator("code.secret").inner_text()
    assert SECRET.match(secret), secret
    return secret


def device(page: Page, name: str):  # type: ignore[no-untyped-def]
    return page.locator("ul.app-passwords li").filter(has_text=name)


def test_a_device_gets_a_password_shown_once_used_and_revoked(admin: AdminPage) -> None:
    server = admin.server
    admin.page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    admin.sign_in("alice")
    page = open_page(admin)
    expect(page.get_by_text("You have no app passwords yet.")).to_be_visible()
    admin.shot("none yet")

    page.get_by_role("button", name="Create app password").click()
    expect(page.locator("#name-error")).to_have_text(
        "Give the app password the name of its device, such as “Anna’s iPhone”."
    )
    expect(page.get_by_label("Device name")).to_have_attribute("aria-invalid", "true")
    admin.shot("no name")

    secret = create(page, "Anna’s iPhone")
    page.get_by_role("button", name="Copy the app password").click()
    expect(page.locator(".copy-state")).to_have_text("Copied.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    expect(device(page, "Anna’s iPhone").locator(".last-used")).to_have_text("Never")
    admin.shot("created and copied")

    assert carddav_status(server, "alice", secret) == 207
    deadline = time.monotonic() + 10
    while True:  # the use is written by a thread beside the request
        admin.go(PAGE)
        if page.locator(".last-used").inner_text() != "Never" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    expect(device(page, "Anna’s iPhone").locator(".last-used")).to_have_text("seconds ago")
    expect(page.locator("code.secret")).to_have_count(0)  # shown that once only
    admin.shot("last used")

    asking = open_confirmation(device(page, "Anna’s iPhone"), "Revoke")
    expect(asking).to_contain_text(
        "Revoke the app password for “Anna’s iPhone”? That device can no longer sign in with it."
    )
    asking.get_by_role("button", name="Yes, revoke").click()
    expect(page.get_by_role("status")).to_have_text(
        "The app password for “Anna’s iPhone” is revoked: that device can no longer sign in."
    )
    expect(device(page, "Anna’s iPhone")).to_have_count(0)
    admin.shot("revoked")
    assert carddav_status(server, "alice", secret) == 401
    assert carddav_status(server, "alice", server.users["alice"]) == 207


def test_a_name_in_use_is_said_next_to_the_field(admin: AdminPage) -> None:
    admin.sign_in("alice")
    page = open_page(admin)
    create(page, "Tablet")
    page.get_by_label("Device name").fill("Tablet")
    page.get_by_role("button", name="Create app password").click()
    expect(page.locator("#name-error")).to_have_text(
        "You already have an app password named 'Tablet': revoke it first, or choose another name."
    )
    expect(page.get_by_label("Device name")).to_have_value("Tablet")
    expect(page.locator("ul.app-passwords li")).to_have_count(1)
    admin.shot("name in use")


def test_an_app_password_does_not_sign_in_to_this_page(admin: AdminPage) -> None:
    done = admin.server.cli("user", "app-password", "add", "alice", "Phone")
    page = admin.go("/admin/")
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill(done.stdout.strip())
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#password-error")).to_have_text("The user name or password is wrong.")
    admin.shot("app password refused")


def test_the_account_password_can_be_refused_for_carddav(admin: AdminPage) -> None:
    server = admin.server
    own = server.users["alice"]
    admin.sign_in("alice")
    page = open_page(admin)
    setting = page.get_by_label("Refuse my account's password for CardDAV")
    expect(setting).not_to_be_checked()
    setting.check()
    page.get_by_role("button", name="Save the CardDAV sign-in setting").click()
    expect(page.locator(".flash.error")).to_have_text(
        "Phones and programs must now sign in with an app password, and you have none yet: "
        "add one for each device."
    )
    expect(setting).to_be_checked()
    expect(page.locator(".carddav-state")).to_have_text(
        "Phones and programs must sign in with an app password."
    )
    admin.shot("main password refused")
    assert carddav_status(server, "alice", own) == 401
    assert requests.get(f"{server.url}/api/v1/books", auth=("alice", own), timeout=30).ok
    secret = create(page, "Phone")
    assert carddav_status(server, "alice", secret) == 207

    setting.uncheck()
    page.get_by_role("button", name="Save the CardDAV sign-in setting").click()
    expect(page.get_by_role("status")).to_have_text(
        "Phones and programs may sign in with your account's password again."
    )
    expect(setting).not_to_be_checked()
    assert carddav_status(server, "alice", own) == 207


def test_the_page_fits_a_phone_screen(phone: AdminPage) -> None:
    phone.server.cli("user", "app-password", "add", "alice", "Thunderbird at work")
    phone.sign_in("alice")
    page = phone.go(PAGE)
    create(page, "Anna’s iPhone with a rather long name for a phone")
    expect(page.get_by_role("button", name="Copy the app password")).to_be_visible()
    phone.shot("created on a phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(page.locator("ul.app-passwords li")).to_have_count(2)
    box, label = (
        page.locator(selector).bounding_box()
        for selector in (
            "#carddav_requires_app_password",
            "label[for=carddav_requires_app_password]",
        )
    )
    assert box is not None and label is not None
    assert label["y"] < box["y"] + box["height"]  # beside the box, not under it
    phone.go(PAGE)
    phone.shot("list on a phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
