"""A run's report says its status once, tells a refused run as what it would have done,
and links to the book it filled; a contact's custom fields carry the names people gave
them, and contacthub's own keys stay out of the way. At a desktop's width and a phone's."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.admin.conftest import AdminPage
from tests.support.servers import ContacthubServer

# Each test has accounts of its own on the module's server (tests/admin/shared_server.py).
pytestmark = pytest.mark.shared_server

HEADER = "Id,Name,Email,Shoe size\r\n"
PEOPLE = "".join(f"{n},Person {n},p{n}@example.org,{36 + n}\r\n" for n in range(1, 21))


def csv_import(server: ContacthubServer) -> dict[str, Any]:
    """20 people with a custom field "Shoe size", imported once; a file of one person
    put in their place (a run of it would delete 19)."""
    api = server.session("alice")
    made = api.post(
        "/api/v1/imports",
        data={"name": "Kunden"},
        files={"file": ("people.csv", io.BytesIO((HEADER + PEOPLE).encode()), "text/csv")},
    )
    assert made.status_code == 201, made.text
    shown: dict[str, Any] = made.json()
    mapping = {
        "columns": [
            {"column": "Name", "field": "full_name"},
            {"column": "Email", "field": "email.other"},
            {"column": "Shoe size", "field": "custom:Shoe size"},
        ]
    }
    settings = {"mapping": mapping, "key_column": "Id", "delete_missing": True}
    changed = api.patch(f"/api/v1/imports/{shown['id']}", json=settings)
    assert changed.status_code == 200, changed.text
    ran = api.post(f"/api/v1/imports/{shown['id']}/run")
    assert ran.status_code == 200 and ran.json()["counts"]["added"] == 20, ran.text
    one = (HEADER + "1,Person 1,p1@example.org,37\r\n").encode()
    put = api.put(
        f"/api/v1/imports/{shown['id']}/file",
        files={"file": ("people.csv", io.BytesIO(one), "text/csv")},
    )
    assert put.status_code == 200, put.text
    return shown


def refused_report(admin: AdminPage, shown: dict[str, Any]) -> Page:
    ran = admin.server.session("alice").post(f"/api/v1/imports/{shown['id']}/run")
    assert ran.status_code == 200 and ran.json()["status"] == "refused", ran.text
    page = admin.sign_in("alice")
    admin.go(f"/admin/runs/{shown['id']}/{ran.json()['id']}")
    expect(page.get_by_role("heading", name="Run of “Kunden”")).to_be_visible()
    return page


def check_refused_report(page: Page, shown: dict[str, Any]) -> None:
    status = page.get_by_role("status")
    expect(status).to_contain_text("Refused: this run would delete 19")
    expect(status).not_to_contain_text(re.compile("refused: refused", re.I))
    expect(page.get_by_text("Would have deleted 19; nothing was changed.")).to_be_visible()
    facts = page.locator("dl.facts")
    expect(facts).not_to_contain_text("Deleted")
    expect(facts).not_to_contain_text("Added")
    book = facts.get_by_role("link", name="From CSV (Kunden)", exact=True)
    expect(book).to_have_attribute("href", f"/admin/books/{shown['book']}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


def check_contact(admin: AdminPage, shown: dict[str, Any], width: int) -> Page:
    page = admin.page
    admin.go(f"/admin/books/{shown['book']}/")
    page.get_by_role("link", name="Person 2", exact=True).click()
    expect(page.get_by_role("heading", name="Person 2")).to_be_visible()
    others = page.locator("dl.facts").filter(has_text="Shoe size")
    expect(others.get_by_text("Shoe size", exact=True)).to_be_visible()
    expect(others).to_contain_text("38")
    expect(page.get_by_text("X-SHOE-SIZE", exact=True)).to_have_count(0)
    technical = page.locator("details.technical")
    expect(
        technical.get_by_text("Import key (X-CONTACTHUB-KEY)")
    ).to_be_hidden()  # until it is opened
    technical.get_by_text("Technical details").click()
    expect(technical.get_by_text("Import key (X-CONTACTHUB-KEY)")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    return page


def test_a_refused_run_and_a_contacts_custom_field_on_a_desktop(admin: AdminPage) -> None:
    shown = csv_import(admin.server)
    page = refused_report(admin, shown)
    admin.shot("a refused run's report")
    check_refused_report(page, shown)
    page.get_by_role("link", name="From CSV (Kunden)", exact=True).click()
    expect(page).to_have_url(re.compile(f"/admin/books/{shown['book']}/$"))
    assert len(page.get_by_role("link", name=re.compile(r"^Person \d+$")).all()) == 20
    check_contact(admin, shown, 1280)
    admin.shot("a contact with a custom field")
    admin.page.locator("details.technical").evaluate("el => el.open = true")
    admin.shot("a contact's technical details")


def test_a_refused_run_and_a_contacts_custom_field_on_a_phone(phone: AdminPage) -> None:
    shown = csv_import(phone.server)
    page = refused_report(phone, shown)
    phone.shot("a refused run's report")
    check_refused_report(page, shown)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    check_contact(phone, shown, 390)
    phone.shot("a contact with a custom field")
