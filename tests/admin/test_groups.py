"""A book's groups on its page: listed as groups (not among its contacts), with the
form new groups take chosen in a select."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.admin.conftest import AdminPage
from tests.admin.test_books import create

# Each test has accounts of its own on the module's server (tests/admin/shared_server.py).
pytestmark = pytest.mark.shared_server


def test_groups_are_listed_apart_and_the_group_form_is_chosen(admin: AdminPage) -> None:
    create(admin.server, "ann", "Ann Smith", "EMAIL:ann@example.org", "CATEGORIES:Friends,Choir")
    create(admin.server, "bob", "Bob Jones", "CATEGORIES:Friends")
    page = admin.sign_in("alice")
    admin.go("/admin/books/")
    contacts = page.get_by_role("row").filter(
        has=page.get_by_role("link", name="Contacts", exact=True)
    )
    expect(contacts.get_by_role("cell").nth(0)).to_have_text("2")
    admin.go("/admin/books/contacts/")
    expect(page.get_by_role("status")).to_have_text("2 contacts")
    expect(page.get_by_role("link", name="Friends")).to_have_count(0)
    groups = page.get_by_role("table").filter(has=page.get_by_role("columnheader", name="Group"))
    expect(groups.get_by_role("row")).to_have_text(["GroupContacts", "Choir1", "Friends2"])
    select = page.get_by_label("Form of new groups")
    expect(select).to_have_value("both")
    admin.shot("a book with its groups")

    select.select_option("categories")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main")).to_contain_text("New groups now take this form: categories only")
    expect(page.get_by_label("Form of new groups")).to_have_value("categories")
    admin.shot("categories only")
    shown = admin.server.session("alice").get("/api/v1/books/contacts/settings").json()
    assert shown == {"group_form": "categories"}


def test_on_a_phone_the_groups_fit_the_screen(phone: AdminPage) -> None:
    create(phone.server, "ann", "Ann Smith", "CATEGORIES:The Featherstonehaugh Family Reunion")
    page = phone.sign_in("alice")
    phone.go("/admin/books/contacts/")
    expect(page.get_by_label("Form of new groups")).to_be_visible()
    phone.shot("a book with its groups")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 4
