"""Merging on the admin page: contacts of two books ticked in a search, their fields side
by side with a choice per field, merged with a name that is not the default, and the merge
undone from the list of merges; and the same page on a phone's screen."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.admin.conftest import AdminPage
from tests.admin.test_books import card
from tests.support.servers import ContacthubServer

# Each test has accounts of its own on the module's server (tests/admin/shared_server.py).
pytestmark = pytest.mark.shared_server


def _work_book(server: ContacthubServer) -> str:
    made = server.session("alice").post("/api/v1/books", json={"display_name": "Work"})
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


def _add(server: ContacthubServer, book: str, uid: str, name: str, *lines: str) -> None:
    made = server.session("alice").post(
        f"/api/v1/books/{book}/contacts",
        data=card(uid, name, *lines).encode(),
        headers={"Content-Type": "text/vcard"},
    )
    assert made.status_code == 201, made.text


def _contacts(server: ContacthubServer, book: str) -> list[dict[str, Any]]:
    listed = server.session("alice").get(f"/api/v1/books/{book}/contacts").json()
    return list(listed["contacts"])


def _jane_twice(server: ContacthubServer) -> str:
    work = _work_book(server)
    _add(server, work, "w-jane", "Jane Doe", "EMAIL:jane@example.org", "ORG:ACME")
    _add(server, "contacts", "p-jane", "Jane D.", "EMAIL:JANE@example.org", "TEL:+372 5555 1234")
    return work


def test_two_contacts_merged_with_the_name_chosen_and_undone(admin: AdminPage) -> None:
    work = _jane_twice(admin.server)
    page = admin.sign_in("alice")
    admin.go("/admin/books/?q=jane")
    page.get_by_role("checkbox", name="Select Jane Doe").check()
    page.get_by_role("checkbox", name="Select Jane D.").check()
    page.get_by_role("button", name="Merge selected").click()

    expect(page.get_by_role("heading", name="Merge 2 contacts")).to_be_visible()
    # The contact edited last ("Jane D.") gives the name by default; the address is one.
    expect(page.get_by_role("radio", name="Jane D.", exact=True)).to_be_checked()
    expect(page.get_by_role("checkbox", name="jane@example.org")).to_have_count(1)
    expect(page.get_by_role("checkbox", name="+372 5555 1234")).to_be_checked()
    expect(page.get_by_label("Address book of the merged contact")).to_have_value("contacts")
    admin.shot("two contacts side by side")
    page.get_by_role("radio", name="Jane Doe", exact=True).check()
    page.get_by_label("Address book of the merged contact").select_option(work)
    admin.shot("the name and the book chosen")
    page.get_by_role("button", name="Merge", exact=True).click()

    expect(page.get_by_role("status").first).to_contain_text("2 contacts are now one: “Jane Doe”")
    merges = page.get_by_role("table").filter(
        has=page.get_by_role("columnheader", name="Merged into")
    )
    expect(merges.get_by_role("row")).to_have_count(2)
    admin.shot("merged")
    (merged,) = _contacts(admin.server, work)
    assert merged["display_name"] == "Jane Doe"
    assert [email.lower() for email in merged["emails"]] == ["jane@example.org"]
    assert merged["phones"] == ["+372 5555 1234"]
    assert _contacts(admin.server, "contacts") == []

    page.get_by_role("button", name="Undo the merge into Jane Doe").click()
    expect(page.get_by_role("status").first).to_contain_text("Merge undone")
    expect(merges.get_by_role("row").nth(1)).to_contain_text("Undone")
    admin.shot("undone")
    assert [c["display_name"] for c in _contacts(admin.server, work)] == ["Jane Doe"]
    assert [c["display_name"] for c in _contacts(admin.server, "contacts")] == ["Jane D."]
    assert _contacts(admin.server, work)[0]["phones"] == []


def test_on_a_phone_each_field_is_a_card_of_its_own(phone: AdminPage) -> None:
    work = _jane_twice(phone.server)
    cards = [
        f"card={c['book']}:{c['id']}"
        for b in ("contacts", work)
        for c in _contacts(phone.server, b)
    ]
    page = phone.sign_in("alice")
    phone.go("/admin/duplicates/merge?" + "&".join(cards))
    expect(page.get_by_role("heading", name="Merge 2 contacts")).to_be_visible()
    expect(page.get_by_role("radio", name="Jane Doe", exact=True)).to_be_visible()
    phone.shot("the merge on a phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 4
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.get_by_role("button", name="Undo the merge into Jane D.")).to_be_visible()
    phone.shot("the merges on a phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 4
