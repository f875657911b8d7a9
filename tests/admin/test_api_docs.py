"""The API's reference page: every path of the OpenAPI document, with its parameters,
body and answers, reached from the menu; the document itself for a signed-in browser.
A real browser, desktop and a phone's width."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from contacthub.web.openapi import document
from tests.admin.conftest import AdminPage

# Each test has accounts of its own on the module's server (tests/admin/shared_server.py).
pytestmark = pytest.mark.shared_server

METHODS = ("get", "post", "put", "patch", "delete")


def test_the_reference_lists_every_path_of_the_api(admin: AdminPage) -> None:
    page = admin.sign_in("alice")
    page.get_by_role("link", name="API", exact=True).click()
    expect(page.get_by_role("heading", name="API reference")).to_be_visible()
    spec = document()
    operations = [(m.upper(), p) for p, ms in spec["paths"].items() for m in METHODS if m in ms]
    summaries = page.locator("details.api-op > summary")
    expect(summaries).to_have_count(len(operations))
    shown = {
        (s.locator(".method").inner_text(), s.locator(".path").inner_text().replace("\u200b", ""))
        for s in summaries.all()
    }
    assert shown == set(operations)
    admin.shot("the API reference")

    books = page.locator("details.api-op").filter(
        has=page.locator("summary", has_text=re.compile(r"^POST\s+/api/v1/books\s+[A-Z]"))
    )
    books.locator("summary").click()
    expect(books.get_by_role("link", name="BookInput")).to_be_visible()
    expect(books.get_by_text("Administrators: act for this user.")).to_be_visible()
    books.get_by_role("link", name="BookInput").click()
    expect(page.locator("#shape-BookInput")).to_be_in_viewport()
    admin.shot("an operation and its body's shape")


def test_the_document_opens_for_the_signed_in_browser(admin: AdminPage) -> None:
    page = admin.sign_in("alice")
    admin.go("/admin/api/")
    with page.expect_navigation():
        page.get_by_role("link", name="open it here").click()
    assert json.loads(page.locator("body").inner_text()) == document()


def test_the_reference_fits_a_phone(phone: AdminPage) -> None:
    page = phone.sign_in("alice")
    phone.go("/admin/api/")
    first = page.locator("details.api-op").first
    first.locator("summary").click()
    phone.shot("the API reference on a phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
