"""The address book pages: the books with their counts and sources, a book's contacts with
search and paging, a contact shown, edited (keeping every other property, refusing to
overwrite a change made elsewhere) and deleted; and vcard_edit, which the edit uses."""

from __future__ import annotations

import base64
import io
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from contacthub.vcard.edit import (
    EditableFields,
    editable_fields,
    edited,
    problems,
    rebased,
)
from tests.admin.conftest import AdminPage
from tests.support.servers import ContacthubServer
from tests.support.vcards import fold

# Each test has accounts of its own on the module's server (tests/admin/shared_server.py).
pytestmark = pytest.mark.shared_server

PHOTO = "PHOTO;ENCODING=b;TYPE=JPEG:" + base64.b64encode(bytes(range(60))).decode()
CSV = (
    b"Id,Name,Email\r\n1,Ann Archer,ann@example.org\r\n2,Bob Baker,bob@example.org\r\n"
    b"3,Cid Carter,cid@example.org\r\n"
)


def card(uid: str, name: str, *lines: str) -> str:
    return "\r\n".join(
        ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", f"FN:{name}", *lines, "END:VCARD", ""]
    )


def create(
    server: ContacthubServer, uid: str, name: str, *lines: str, user: str = "alice"
) -> dict[str, Any]:
    response = server.session(user).post(
        "/api/v1/books/contacts/contacts",
        data=card(uid, name, *lines).encode(),
        headers={"Content-Type": "text/vcard"},
    )
    assert response.status_code == 201, response.text
    shown: dict[str, Any] = response.json()
    return shown


def stored(server: ContacthubServer, contact_id: str) -> dict[str, Any]:
    response = server.session("alice").get(f"/api/v1/books/contacts/contacts/{contact_id}")
    assert response.status_code == 200, response.text
    shown: dict[str, Any] = response.json()
    return shown


def csv_sync(server: ContacthubServer, name: str) -> str:
    """A CSV sync of three people, run once; returns its book's id."""
    api = server.session("alice")
    made = api.post(
        "/api/v1/syncs",
        data={"name": name},
        files={"file": ("people.csv", io.BytesIO(CSV), "text/csv")},
    )
    assert made.status_code == 201, made.text
    ran = api.post(f"/api/v1/imports/{made.json()['id']}/run")
    assert ran.status_code == 200 and ran.json()["status"] == "ok", ran.text
    book: str = made.json()["book"]
    return book


def row(page: Page, name: str) -> Any:
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=name, exact=True))


def field_error(page: Page, label: str) -> Any:
    """The message next to the field labelled `label` (the field's aria-describedby)."""
    described = page.get_by_label(label, exact=True).get_attribute("aria-describedby") or ""
    error_id = next(part for part in described.split() if part.endswith("-error"))
    return page.locator(f"#{error_id}")


# --- the list of books, a book's contacts -----------------------------------------------------


def test_the_books_with_their_counts_and_where_contacts_come_from(admin: AdminPage) -> None:
    create(admin.server, "ann", "Ann Smith", "EMAIL:ann@example.org")
    create(admin.server, "bob", "Bob Jones")
    book = csv_sync(admin.server, "Clients")
    page = admin.sign_in("alice")
    admin.go("/admin/books/")
    admin.shot("the books")
    expect(page.get_by_role("heading", name="Address books", exact=True)).to_be_visible()
    contacts = row(page, "Contacts")
    expect(contacts.get_by_role("cell").nth(0)).to_have_text("2")
    expect(contacts).to_contain_text("CardDAV clients")
    clients = page.get_by_role("row").filter(has_text="CSV sync “Clients”")
    expect(clients.get_by_role("cell").nth(0)).to_have_text("3")
    expect(clients.get_by_role("link", name="CSV sync “Clients”")).to_have_attribute(
        "href", "/admin/syncs/"
    )

    clients.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(f"/admin/books/{book}/$"))
    admin.shot("the CSV sync's book")
    expect(page.get_by_role("status")).to_have_text("3 contacts")
    for name in ("Ann Archer", "Bob Baker", "Cid Carter"):
        expect(page.get_by_role("link", name=name)).to_be_visible()
    expect(row(page, "Ann Archer")).to_contain_text("ann@example.org")


def test_search_finds_by_name_and_email_and_pages_go_on(admin: AdminPage) -> None:
    create(
        admin.server,
        "ann",
        "Ann Smith",
        "EMAIL:ann@example.org",
        "TEL:+44 20 7946 0001",
        "ORG:Example Ltd",
    )
    create(admin.server, "bob", "Bob Jones", "EMAIL:bob@work.example")
    create(admin.server, "cid", "Cid Carter")
    page = admin.sign_in("alice")
    admin.go("/admin/books/contacts/")
    admin.shot("the default book")
    expect(page.get_by_role("status")).to_have_text("3 contacts")
    expect(row(page, "Ann Smith")).to_contain_text("+44 20 7946 0001")
    expect(row(page, "Ann Smith")).to_contain_text("Example Ltd")

    page.get_by_label("Search this address book").fill("smith")
    page.get_by_role("button", name="Search").click()
    admin.shot("searched by name")
    expect(page.get_by_role("status")).to_have_text("1 contact")
    expect(page.get_by_role("link", name="Ann Smith")).to_be_visible()
    expect(page.get_by_role("link", name="Bob Jones")).to_have_count(0)

    page.get_by_label("Search this address book").fill("work.example")
    page.get_by_label("Search this address book").press("Enter")
    admin.shot("searched by email")
    expect(page.get_by_role("link", name="Bob Jones")).to_be_visible()
    expect(page.get_by_role("link", name="Ann Smith")).to_have_count(0)

    page.get_by_label("Search this address book").fill("nobody")
    page.get_by_role("button", name="Search").click()
    admin.shot("nothing found")
    expect(page.get_by_role("status")).to_have_text("No contacts found.")

    admin.go("/admin/books/contacts/?limit=2")
    admin.shot("first page of two")
    expect(page.get_by_role("status")).to_have_text("Contacts 1–2 of 3")
    expect(page.get_by_role("link", name="Previous")).to_have_count(0)
    page.get_by_role("link", name="Next").click()
    admin.shot("second page of two")
    expect(page.get_by_role("status")).to_have_text("Contacts 3–3 of 3")
    expect(page.get_by_role("link", name="Cid Carter")).to_be_visible()
    page.get_by_role("link", name="Previous").click()
    admin.shot("back on the first page")
    expect(page.get_by_role("status")).to_have_text("Contacts 1–2 of 3")

    admin.go("/admin/books/contacts/?q=" + "x" * 201)
    admin.shot("a search too long")
    expect(field_error(page, "Search this address book")).to_contain_text("at most 200")

    admin.go("/admin/books/")
    page.get_by_label("Search contacts").fill("ann@example")
    page.get_by_role("button", name="Search").click()
    admin.shot("searched in every book")
    expect(row(page, "Ann Smith")).to_contain_text("Contacts")
    expect(page.get_by_role("link", name="Bob Jones")).to_have_count(0)


# --- one contact ------------------------------------------------------------------------------

KEPT = (
    PHOTO,
    "ADR;TYPE=HOME:;;1 Main Street;Leeds;;LS1 1AA;UK",
    "X-CUSTOM-FIELD:keep\\, me",
    "item1.URL:https://ann.example",
    "item1.X-ABLabel:blog",
    "BDAY:1980-02-03",
)


def test_a_contact_is_shown_and_an_edit_keeps_every_other_property(admin: AdminPage) -> None:
    before = create(
        admin.server,
        "ann-1",
        "Ann Smith",
        "N:Smith;Ann;;;",
        "ORG:Example Ltd;Sales",
        "item2.EMAIL;TYPE=INTERNET,WORK:ann@example.org",
        "item2.X-ABLabel:_$!<Work>!$_",
        "TEL;TYPE=CELL:+44 20 7946 0001",
        "NOTE:Met at the fair",
        *KEPT,
    )
    page = admin.sign_in("alice")
    admin.go("/admin/books/contacts/")
    page.get_by_role("link", name="Ann Smith").click()
    admin.shot("the contact")
    expect(page.get_by_role("heading", name="Ann Smith")).to_be_visible()
    expect(page.get_by_role("link", name="ann@example.org")).to_have_attribute(
        "href", "mailto:ann@example.org"
    )
    main = page.locator("main")
    for shown in (
        "Example Ltd, Sales",
        "(Work)",
        "+44 20 7946 0001",
        "(mobile)",
        "Met at the fair",
        "1 Main Street, Leeds, LS1 1AA, UK",
        "X-CUSTOM-FIELD",
        "keep, me",
        "Website (blog)",
        "https://ann.example",
        "Birthday",
    ):
        expect(main).to_contain_text(shown)
    expect(main).to_contain_text(re.compile(r"A picture \(\d+ bytes\)"))

    page.get_by_role("link", name="Edit").click()
    admin.shot("the edit form")
    expect(page.get_by_label("Full name")).to_have_value("Ann Smith")
    expect(page.get_by_label("Organization")).to_have_value("Example Ltd")
    expect(page.get_by_label("Email addresses")).to_have_value("ann@example.org")
    page.get_by_label("Full name").fill("Ann Jones")
    page.get_by_label("Email addresses").fill("ann@example.org\nann.jones@home.example")
    page.get_by_label("Phone numbers").fill("+44 20 7946 0002")
    page.get_by_label("Note").fill("Met at the fair.\nMarried in May.")
    admin.shot("the edit form filled in")
    page.get_by_role("button", name="Save").click()
    admin.shot("saved")
    expect(page.get_by_role("status").filter(has_text="Saved")).to_have_text("Saved “Ann Jones”.")
    expect(page.get_by_role("heading", name="Ann Jones")).to_be_visible()

    after = stored(admin.server, before["id"])
    text = after["vcard"]
    assert after["uid"] == "ann-1" and after["etag"] != before["etag"]
    for line in KEPT + (
        "ORG:Example Ltd;Sales",
        "item2.EMAIL;TYPE=INTERNET,WORK:ann@example.org",
        "item2.X-ABLabel:_$!<Work>!$_",
        "TEL;TYPE=CELL:+44 20 7946 0002",
    ):
        assert f"\r\n{line}\r\n" in text, line
    assert "\r\nFN:Ann Jones\r\n" in text and "\r\nN:Jones;Ann;;;\r\n" in text
    assert "\r\nNOTE:Met at the fair.\\nMarried in May.\r\n" in text
    assert after["emails"] == ["ann@example.org", "ann.jones@home.example"]


def test_an_empty_name_or_bad_values_are_shown_next_to_their_fields(admin: AdminPage) -> None:
    before = create(admin.server, "ann", "Ann Smith", "EMAIL:ann@example.org")
    page = admin.sign_in("alice")
    admin.go(f"/admin/books/contacts/contacts/{before['id']}/edit")
    admin.shot("the edit form")
    page.get_by_label("Full name").fill("")
    page.get_by_label("Email addresses").fill("ann@example.org\nann@")
    page.get_by_label("Phone numbers").fill("call me")
    page.get_by_role("button", name="Save").click()
    admin.shot("refused")
    expect(field_error(page, "Full name")).to_have_text("Give the contact a name.")
    expect(field_error(page, "Email addresses")).to_contain_text("“ann@” is not an email address")
    expect(field_error(page, "Phone numbers")).to_contain_text("“call me” is not a phone number")
    expect(page.get_by_label("Email addresses")).to_have_value("ann@example.org\nann@")

    page.get_by_label("Full name").fill("Ann Smith")
    page.get_by_label("Email addresses").fill("ann@example.org")
    page.get_by_label("Phone numbers").fill("")
    page.get_by_label("Organization").evaluate("field => field.value = 'Bell\\u0007 Ltd'")
    page.get_by_role("button", name="Save").click()
    admin.shot("a control character refused")
    expect(field_error(page, "Organization")).to_have_text("Invalid characters found")
    assert stored(admin.server, before["id"])["etag"] == before["etag"]


def test_a_change_made_elsewhere_meanwhile_is_not_overwritten(admin: AdminPage) -> None:
    before = create(admin.server, "ann", "Ann Smith", "TEL:+44 20 7946 0001")
    page = admin.sign_in("alice")
    admin.go(f"/admin/books/contacts/contacts/{before['id']}/edit")
    admin.shot("the edit form")
    # Meanwhile a phone adds an email address and a note.
    changed = card(
        "ann", "Ann Smith", "TEL:+44 20 7946 0001", "EMAIL:ann@phone.example", "NOTE:From the phone"
    )
    put = admin.server.session("alice").put(
        f"/api/v1/books/contacts/contacts/{before['id']}",
        data=changed.encode(),
        headers={"Content-Type": "text/vcard", "If-Match": before["etag"]},
    )
    assert put.status_code == 200, put.text

    page.get_by_label("Full name").fill("Ann Jones")
    page.get_by_role("button", name="Save").click()
    admin.shot("changed elsewhere")
    expect(page.get_by_role("alert")).to_have_text(
        "This contact was changed elsewhere since you opened it."
    )
    conflict = page.locator(".conflict")
    expect(conflict).to_contain_text("ann@phone.example")
    expect(conflict).to_contain_text("From the phone")
    # The form edits the current version now: the phone's changes, and the new name.
    expect(page.get_by_label("Full name")).to_have_value("Ann Jones")
    expect(page.get_by_label("Email addresses")).to_have_value("ann@phone.example")
    expect(page.get_by_label("Note")).to_have_value("From the phone")
    assert stored(admin.server, before["id"])["vcard"] == changed

    page.get_by_role("button", name="Save").click()
    admin.shot("saved over the current version")
    expect(page.get_by_role("heading", name="Ann Jones")).to_be_visible()
    assert stored(admin.server, before["id"])["vcard"] == changed.replace(
        "FN:Ann Smith", "FN:Ann Jones"
    )


def test_deleting_a_contact_asks_first(admin: AdminPage) -> None:
    before = create(admin.server, "ann", "Ann Smith")
    create(admin.server, "bob", "Bob Jones")
    page = admin.sign_in("alice")
    admin.go(f"/admin/books/contacts/contacts/{before['id']}")
    admin.shot("the contact")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Delete").click()
    admin.shot("not deleted")
    expect(page.get_by_role("heading", name="Ann Smith")).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    expect(page).to_have_url(re.compile("/admin/books/contacts/$"))
    admin.shot("deleted")
    expect(page.get_by_role("status").filter(has_text="Deleted")).to_have_text(
        "Deleted “Ann Smith”."
    )
    expect(page.get_by_role("link", name="Ann Smith")).to_have_count(0)
    expect(page.get_by_role("link", name="Bob Jones")).to_be_visible()
    gone = admin.server.session("alice").get(f"/api/v1/books/contacts/contacts/{before['id']}")
    assert gone.status_code == 404


def test_another_users_contact_is_not_there(admin: AdminPage) -> None:
    alices = create(admin.server, "ann", "Ann Smith")
    page = admin.sign_in("bob")
    for path in (
        f"/admin/books/contacts/contacts/{alices['id']}",
        f"/admin/books/contacts/contacts/{alices['id']}/edit",
        "/admin/books/no-such-book/",
    ):
        response = page.goto(admin.server.url + path)
        admin.shot("not found")
        assert response is not None and response.status == 404
        expect(page.get_by_role("alert")).to_contain_text("There is no")
        expect(page.locator("main")).not_to_contain_text("Ann Smith")
    assert stored(admin.server, alices["id"])["etag"] == alices["etag"]


def test_on_a_phone_the_list_and_a_contact_fit_the_screen(phone: AdminPage) -> None:
    made = create(
        phone.server,
        "ann",
        "Ann Smith-Featherstonehaugh",
        "EMAIL:ann.smith-featherstonehaugh@a-very-long-domain-name.example",
        "TEL:+44 20 7946 0001",
        "ORG:Featherstonehaugh Consolidated Holdings",
        "X-A-VERY-LONG-CUSTOM-PROPERTY-NAME:" + "word" * 30,
        *KEPT,
    )
    page = phone.sign_in("alice")
    for path in (
        "/admin/books/",
        "/admin/books/contacts/",
        f"/admin/books/contacts/contacts/{made['id']}",
        f"/admin/books/contacts/contacts/{made['id']}/edit",
    ):
        phone.go(path)
        phone.shot(path.rstrip("/").rsplit("/", 1)[-1])
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 4, (path, width)
    page.get_by_label("Note").fill("Seen on a phone")
    page.get_by_role("button", name="Save").tap()
    phone.shot("saved")
    expect(page.locator("main")).to_contain_text("Seen on a phone")


# --- vcard_edit -------------------------------------------------------------------------------


def test_an_edit_that_changes_nothing_keeps_the_bytes() -> None:
    text = card(
        "u",
        "Ann Smith",
        "N:Smith;Ann;;;",
        "ORG:Ex\\;ample;Sales",
        fold(PHOTO),
        "item1.EMAIL:a@example.org",
        "item1.X-ABLabel:x",
        "NOTE:a\\nb",
    )
    fields = editable_fields(text)
    assert fields == EditableFields("Ann Smith", "Ex;ample", ("a@example.org",), (), "a\nb")
    assert edited(text, fields) == text
    assert edited(text.replace("\r\n", "\n"), fields) == text.replace("\r\n", "\n")


def test_edits_keep_labels_of_kept_values_and_drop_those_of_removed_ones() -> None:
    text = card(
        "u",
        "Ann",
        "N:;Ann;;;",
        "item1.EMAIL;TYPE=WORK:a@example.org",
        "item1.X-ABLabel:work",
        "item2.EMAIL:b@example.org",
        "item2.X-ABLabel:old",
        "item3.EMAIL:c@example.org",
        "item3.X-ABLabel:gone",
    )
    new = edited(text, EditableFields("Ann Lee", "", ("a@example.org", "d@example.org")))
    assert new == card(
        "u",
        "Ann Lee",
        "N:Lee;Ann;;;",
        "item1.EMAIL;TYPE=WORK:a@example.org",
        "item1.X-ABLabel:work",
        "item2.EMAIL:d@example.org",
        "item2.X-ABLabel:old",
    )
    named = card("u", "Ann", "N:Other;Name;;;")  # N is not the name in parts: kept
    assert "N:Other;Name;;;" in edited(named, EditableFields("Ann Lee"))


def test_my_changes_rebased_on_a_version_changed_elsewhere() -> None:
    opened = EditableFields("Ann", "Ex", ("a@example.org",), (), "")
    mine = EditableFields("Ann Lee", "Ex", ("a@example.org",), (), "")
    theirs = EditableFields("Ann", "Ex", ("a@example.org", "b@example.org"), ("1",), "hi")
    assert rebased(opened, mine, theirs) == EditableFields(
        "Ann Lee", "Ex", ("a@example.org", "b@example.org"), ("1",), "hi"
    )


def test_problems_in_plain_words() -> None:
    assert problems(EditableFields("Ann", emails=("a@example.org",), phones=("+1 555",))) == {}
    assert problems(EditableFields(" ", "Ex\nample", ("a@b",), ("x\ty",), "ok\n\x00")) == {
        "full_name": "Give the contact a name.",
        "organization": "Invalid characters found",
        "emails": "“a@b” is not an email address: it should look like name@example.com.",
        "phones": "Invalid characters found",
        "note": "Invalid characters found",
    }
