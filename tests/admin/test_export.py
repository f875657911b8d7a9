"""A book's page: Export, a GET form (no script needed) that downloads the book as one
file in the chosen format; at desktop width and on a phone."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.admin.conftest import AdminPage
from tests.admin.test_books import create

# Each test has accounts of its own on the module's server (tests/admin/shared_server.py).
pytestmark = pytest.mark.shared_server

PHONE_WIDTH = 390


def download(admin: AdminPage, choice: str) -> tuple[str, bytes]:
    page = admin.page
    page.get_by_label("Export as").select_option(choice)
    with page.expect_download() as info:
        page.get_by_role("button", name="Export").click()
    got = info.value
    return got.suggested_filename, Path(got.path()).read_bytes()


def test_export_a_book_as_vcf_and_csv(admin: AdminPage) -> None:
    create(admin.server, "ann", "Ann Archer", "N:Archer;Ann;;;", "EMAIL:ann@example.org")
    create(admin.server, "bob", "Bob Baker", "N:Baker;Bob;;;", "TEL;TYPE=CELL:+1 555 0100")
    admin.sign_in()
    admin.go("/admin/books/contacts/")
    form = admin.page.get_by_role("form", name="Export this address book")
    expect(form).to_be_visible()
    admin.shot("book with export")
    name, body = download(admin, "vcf-4.0")
    assert name == "Contacts.vcf"
    assert body.decode().count("VERSION:4.0") == 2
    name, body = download(admin, "google-csv")
    assert name == "Contacts (Google).csv"
    rows = list(csv.DictReader(io.StringIO(body.decode())))
    assert sorted(row["First Name"] for row in rows) == ["Ann", "Bob"]
    name, body = download(admin, "outlook-csv")
    assert name == "Contacts (Outlook).csv"
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert {row["First Name"]: row["Mobile Phone"] for row in rows}["Bob"] == "+1 555 0100"
    # The page stays where it was: a download does not navigate.
    assert admin.page.url.endswith("/admin/books/contacts/")


def test_export_on_a_phone(phone: AdminPage) -> None:
    create(phone.server, "ann", "Ann Archer", "EMAIL:ann@example.org")
    phone.sign_in()
    phone.go("/admin/books/contacts/")
    select = phone.page.get_by_label("Export as")
    button = phone.page.get_by_role("button", name="Export")
    expect(select).to_be_visible()
    phone.shot("book with export")
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    for control in (select, button):
        box = control.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE_WIDTH
    name, body = download(phone, "vcf")
    assert name == "Contacts.vcf" and b"FN:Ann Archer" in body
