"""The Phone sync page: a phone's push into "From iOS" previewed, imported or cancelled,
and its automatic export turned off; the pushes themselves go through the JSON API."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, expect

from tests.admin.conftest import AdminPage
from tests.support.servers import ContacthubServer
from tests.support.vcards import make_card

# Each test has accounts of its own on the module's server (tests/admin/shared_server.py).
pytestmark = pytest.mark.shared_server

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


# --- a phone's own export, uploaded on the page -----------------------------------------------

EXPORTS = Path(__file__).parent.parent / "device" / "fixtures"
IOS_NAMES = ["Anna Schröder", "Zoë Ångström", "Fjord Instruments AB"]
ANDROID_NAMES = ["Jürgen Schröder", "Zoë Dupont", "Chidi Okafor"]
NEW_ON_THE_PHONE = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Novak;Dana;;;\r\nFN:Dana Novak\r\n"
    "TEL;type=CELL:+420 601 123 456\r\nEND:VCARD\r\n"
)


def export_with(tmp_path: Path, name: str, extra: str = "", broken_second: bool = False) -> Path:
    """The fixture export `name` as a file to upload, with `extra` cards at its end and, if
    asked, a card no parser can read as its second."""
    text = (EXPORTS / name).read_bytes().decode()
    if broken_second:
        first_end = text.index("END:VCARD\r\n") + len("END:VCARD\r\n")
        text = text[:first_end] + BROKEN_CARD + text[first_end:]
    path = tmp_path / name
    path.write_bytes((text + extra).encode())
    return path


def contact_ids(server: ContacthubServer) -> dict[str, str]:
    """The API ids of the contacts of "From iOS" by name."""
    answer = server.session("alice").get("/api/v1/books/from-ios/contacts")
    assert answer.status_code == 200, answer.text
    return {contact["display_name"]: contact["id"] for contact in answer.json()["contacts"]}


def upload(page: Page, device: str, path: Path) -> None:
    page.get_by_label("Phone", exact=True).fill(device)
    page.get_by_label("Exported contacts (.vcf)").set_input_files(path)
    page.get_by_role("button", name="Upload and preview").click()


def new_from(page: Page, device: str) -> list[str]:
    return (
        page.get_by_role("table", name=f"New contacts from {device}")
        .locator("tbody td")
        .all_inner_texts()
    )


def fits_the_screen(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def in_view(page: Page, name: str) -> None:
    button = page.get_by_role("button", name=name)
    button.scroll_into_view_if_needed()
    expect(button).to_be_in_viewport()


def test_an_iphone_export_uploaded_on_the_phone(phone: AdminPage, tmp_path: Path) -> None:
    server = phone.server
    phone.sign_in("alice")
    page = open_phone_sync(phone, "upload form on a phone")
    fits_the_screen(page)
    expect(page.get_by_text("Contacts → Lists → touch and hold")).to_be_visible()
    in_view(page, "Upload and preview")

    upload(page, "iphone", export_with(tmp_path, "ios_export.vcf"))
    expect(page.get_by_role("status")).to_have_text(
        "Received the contacts of iphone: 3 new contacts. Import them or cancel below."
    )
    expect(page.get_by_role("heading", name="3 new contacts from the latest push")).to_be_visible()
    assert new_from(page, "iphone") == IOS_NAMES
    assert book_names(server) == {}
    phone.shot("iphone export previewed")
    fits_the_screen(page)
    in_view(page, "Import")

    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("Imported 3 contacts from iphone")
    assert sorted(book_names(server).values()) == sorted(IOS_NAMES)
    phone.shot("iphone export imported")

    zoe = contact_ids(server)["Zoë Ångström"]
    gone = server.session("alice").delete(f"/api/v1/books/from-ios/contacts/{zoe}")
    assert gone.status_code == 204, gone.text
    upload(page, "iphone", export_with(tmp_path, "ios_export.vcf", extra=NEW_ON_THE_PHONE))
    expect(page.get_by_role("heading", name="1 new contact from the latest push")).to_be_visible()
    assert new_from(page, "iphone") == ["Dana Novak"]
    expect(page.get_by_text("1 contact you deleted here stays deleted.")).to_be_visible()
    phone.shot("second export previewed")
    fits_the_screen(page)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("status")).to_contain_text("Imported 1 contact from iphone")
    assert sorted(book_names(server).values()) == sorted(
        ["Anna Schröder", "Fjord Instruments AB", "Dana Novak"]
    )


def test_an_android_export_with_a_bad_card_then_cancelled(admin: AdminPage, tmp_path: Path) -> None:
    server = admin.server
    admin.sign_in("alice")
    page = open_phone_sync(admin, "upload form")
    path = export_with(tmp_path, "android_export_v21.vcf", broken_second=True)
    upload(page, "Pixel 7", path)
    expect(page.get_by_role("heading", name="3 new contacts from the latest push")).to_be_visible()
    assert new_from(page, "Pixel 7") == ANDROID_NAMES
    problem = page.locator("table.problems tbody tr")
    expect(problem).to_have_count(1)
    expect(problem.locator("td").nth(1)).to_contain_text("card 2: not a valid vCard")
    admin.shot("android export previewed with a bad card")

    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("status")).to_have_text("The push was cancelled; nothing was imported.")
    assert book_names(server) == {}
    expect(page.get_by_role("table")).to_have_count(0)
    # The phone is remembered and offered by name for its next export.
    expect(page.locator("#known-devices option")).to_have_attribute("value", "Pixel 7")
    expect(page.get_by_label("Phone", exact=True)).to_have_value("Pixel 7")
    admin.shot("cancelled, the phone remembered")


def test_an_upload_without_a_phone_name_or_an_export_is_refused_at_the_field(
    admin: AdminPage, tmp_path: Path
) -> None:
    admin.sign_in("alice")
    page = open_phone_sync(admin, "upload form")
    csv = tmp_path / "contacts.vcf"
    csv.write_text("Name,Phone\nAnn,1\n")
    upload(page, "  ", csv)
    expect(page.locator("#device-error")).to_contain_text("Name the phone the file comes from")
    expect(page.get_by_label("Phone", exact=True)).to_have_attribute("aria-invalid", "true")
    admin.shot("no phone name")
    upload(page, "iphone", csv)
    expect(page.locator("#file-error")).to_contain_text("The file holds no vCard")
    admin.shot("not an export")
    assert admin.server.session("alice").get("/api/v1/devices").json() == {"devices": []}


def test_the_page_and_the_api_count_the_contacts_deleted_here_alike(
    admin: AdminPage, tmp_path: Path
) -> None:
    server = admin.server
    admin.sign_in("alice")
    page = open_phone_sync(admin, "upload form")
    path = export_with(tmp_path, "android_export_v30.vcf", extra=NEW_ON_THE_PHONE)
    upload(page, "pixel", path)
    page.get_by_role("button", name="Import").click()
    names = contact_ids(server)
    session = server.session("alice")
    assert session.delete(f"/api/v1/books/from-ios/contacts/{names['Siri Løvland']}").ok
    upload(page, "pixel", path)
    page.get_by_role("button", name="Import").click()  # records Siri's deletion
    assert session.delete(f"/api/v1/books/from-ios/contacts/{names['Dana Novak']}").ok
    upload(page, "pixel", path)
    expect(page.get_by_text("2 contacts you deleted here stay deleted.")).to_be_visible()
    admin.shot("two stay deleted")
    preview = session.get("/api/v1/devices/pixel/push").json()
    assert preview["stays_deleted"] == 2 and preview["new"] == []


def test_a_book_fed_by_two_phones_names_both(phone: AdminPage, tmp_path: Path) -> None:
    phone.sign_in("alice")
    page = open_phone_sync(phone, "upload form")
    for device, name in (("iphone", "ios_export.vcf"), ("ipad", "android_export_v30.vcf")):
        upload(page, device, export_with(tmp_path, name))
        page.get_by_role("button", name=f"Import the push from {device}").click()
        expect(page.get_by_role("status")).to_contain_text(f"from {device}")
    page = phone.go("/admin/books/")
    row = page.get_by_role("row").filter(has_text="From iOS")
    expect(row).to_contain_text("Phone push from “iphone”, “ipad”")
    phone.shot("books: From iOS fed by two phones")
    fits_the_screen(page)
    book = phone.server.session("alice").get("/api/v1/books/from-ios").json()
    assert book["display_name"] == "From iOS"
    assert book["source"] == {"kind": "device", "name": "iphone", "names": ["iphone", "ipad"]}
