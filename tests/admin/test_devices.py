"""The Phone sync page: a phone's push into "From iOS" previewed, imported or cancelled,
and its automatic export turned off; the pushes themselves go through the JSON API."""

from __future__ import annotations

import requests
from playwright.sync_api import Page, expect

from tests.admin.conftest import AdminPage
from tests.support.servers import ContacthubServer
from tests.support.vcards import make_card

PUSH = "/api/v1/devices/iPhone/push"
PHONE_BOOK = {"ann": "Ann Archer", "bob": "Bob Baker", "cid": "Cid Carter"}
BROKEN_CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN;BROKEN\r\nEND:VCARD\r\n"


def push(server: ContacthubServer, cards: dict[str, str], extra: str = "") -> requests.Response:
    body = "".join(make_card(uid, name) for uid, name in cards.items()) + extra
    answer = server.session("alice").post(
        PUSH, data=body.encode(), headers={"Content-Type": "text/vcard"}
    )
    assert answer.status_code == 200, answer.text
    return answer


def book_names(server: ContacthubServer) -> dict[str, str]:
    """The contacts of "From iOS" by UID: their names."""
    answer = server.session("alice").get("/api/v1/books/from-ios/contacts")
    assert answer.status_code == 200, answer.text
    return {contact["uid"]: contact["display_name"] for contact in answer.json()["contacts"]}


def new_contacts(page: Page) -> list[str]:
    return (
        page.get_by_role("table", name="New contacts from iPhone")
        .locator("tbody td")
        .all_inner_texts()
    )


def open_phone_sync(admin: AdminPage, shot: str) -> Page:
    page = admin.go("/admin/phone/")
    expect(page.get_by_role("heading", name="Phone sync", level=1)).to_be_visible()
    admin.shot(shot)
    return page


def test_without_a_phone_the_page_says_how_one_pushes(admin: AdminPage) -> None:
    admin.sign_in("alice")
    page = open_phone_sync(admin, "no phone yet")
    expect(page.get_by_text("No phone has pushed its contacts yet.")).to_be_visible()
    expect(page.get_by_text("POST /api/v1/devices/iPhone/push")).to_be_visible()


def test_import_the_new_contacts_then_a_deleted_one_is_not_offered_again(admin: AdminPage) -> None:
    server = admin.server
    push(server, {"ann": PHONE_BOOK["ann"], "bob": PHONE_BOOK["bob"]}, extra=BROKEN_CARD)
    admin.sign_in("alice")
    page = open_phone_sync(admin, "first push pending")
    expect(page.get_by_role("heading", name="iPhone", level=2)).to_be_visible()
    expect(page.get_by_role("heading", name="2 new contacts from the latest push")).to_be_visible()
    assert new_contacts(page) == ["Ann Archer", "Bob Baker"]
    problems = page.locator("table.problems tbody tr")
    expect(problems).to_have_count(1)
    expect(problems.locator("td").first).to_have_text("15")
    expect(page.get_by_role("link", name="From iOS")).to_have_attribute(
        "href", "/admin/books/from-ios/"
    )

    page.get_by_role("button", name="Import").click()
    expect(
        page.get_by_role("status").filter(has_text="Imported 2 contacts from iPhone")
    ).to_contain_text("1 problem")
    admin.shot("imported")
    assert book_names(server) == {"ann": "Ann Archer", "bob": "Bob Baker"}
    expect(page.get_by_role("button", name="Import")).to_have_count(0)

    page.get_by_role("link", name="report of the import from iPhone").click()
    expect(page.get_by_role("heading", name="Import from iPhone")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("Added")
    admin.shot("report of the import")

    deleted = server.session("alice").delete("/api/v1/books/from-ios/contacts/bob.vcf")
    assert deleted.status_code == 204, deleted.text
    push(server, PHONE_BOOK)
    page = open_phone_sync(admin, "second push pending")
    expect(page.get_by_role("heading", name="1 new contact from the latest push")).to_be_visible()
    assert new_contacts(page) == ["Cid Carter"]
    expect(page.get_by_text("1 contact you deleted here stays deleted.")).to_be_visible()


def test_cancel_imports_nothing(admin: AdminPage) -> None:
    push(admin.server, PHONE_BOOK)
    admin.sign_in("alice")
    page = open_phone_sync(admin, "push pending")
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("status")).to_have_text("The push was cancelled; nothing was imported.")
    admin.shot("cancelled")
    expect(page.get_by_role("table")).to_have_count(0)
    assert book_names(admin.server) == {}
    assert admin.server.session("alice").get(PUSH).status_code == 404


def test_a_push_handled_meanwhile_is_said_not_imported(admin: AdminPage) -> None:
    push(admin.server, PHONE_BOOK)
    admin.sign_in("alice")
    page = open_phone_sync(admin, "push pending")
    assert admin.server.session("alice").delete(PUSH).status_code == 204  # another tab
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_have_text(
        "There is no pending push from iPhone any more: it was imported or cancelled already."
    )
    admin.shot("already cancelled")
    assert book_names(admin.server) == {}


def test_turning_automatic_export_off_refuses_pushes_and_keeps_the_contacts(
    admin: AdminPage,
) -> None:
    server = admin.server
    push(server, {"ann": PHONE_BOOK["ann"]})
    server.session("alice").post(PUSH + "/apply").raise_for_status()
    admin.sign_in("alice")
    page = open_phone_sync(admin, "automatic export on")
    switch = page.get_by_label("Automatic export from iPhone")
    expect(switch).to_be_checked()
    expect(page.get_by_text("turning it off keeps the contacts already imported")).to_be_visible()

    switch.uncheck()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Automatic export from iPhone is off.")
    admin.shot("automatic export off")
    expect(page.get_by_label("Automatic export from iPhone")).not_to_be_checked()
    expect(page.locator(".auto-export-state")).to_have_text("Off")
    device = server.session("alice").get("/api/v1/devices/iPhone").json()
    assert device["auto_export"] is False
    refused = server.session("alice").post(
        PUSH, data=make_card("bob", "Bob").encode(), headers={"Content-Type": "text/vcard"}
    )
    assert refused.status_code == 409
    assert book_names(server) == {"ann": "Ann Archer"}


def test_import_with_the_keyboard_only(admin: AdminPage) -> None:
    push(admin.server, PHONE_BOOK)
    admin.sign_in("alice")
    page = open_phone_sync(admin, "push pending")
    import_button = page.get_by_role("button", name="Import")
    for _ in range(40):
        page.keyboard.press("Tab")
        if import_button.evaluate("button => button === document.activeElement"):
            break
    expect(import_button).to_be_focused()
    admin.shot("import button focused")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Imported 3 contacts from iPhone")
    admin.shot("imported by keyboard")
    assert set(book_names(admin.server)) == set(PHONE_BOOK)


def test_the_page_fits_a_phone_screen(phone: AdminPage) -> None:
    push(phone.server, PHONE_BOOK, extra=BROKEN_CARD)
    phone.sign_in("alice")
    page = open_phone_sync(phone, "push pending on a phone")
    expect(page.get_by_role("button", name="Import")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
