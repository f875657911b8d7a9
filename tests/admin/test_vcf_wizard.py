"""The wizard's source step with a .vcf file, in a real browser: the file goes into a new
book named after it or a chosen one, and the run's report lists the card that could not
be read, on a desktop and on a phone (390 px)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.admin.conftest import AdminPage

# Each test has accounts of its own on the module's server (tests/admin/shared_server.py).
pytestmark = pytest.mark.shared_server

FIXTURES = Path(__file__).parents[1] / "vcf_import" / "fixtures"


def vcf_step(page: Page, path: Path, book: str | None = None) -> None:
    page.get_by_label("Upload a .vcf file").check()
    page.locator("#vcf_file").set_input_files(path)
    if book is not None:
        page.get_by_label("Into the address book").select_option(label=book)


def test_a_vcf_with_a_bad_card_goes_into_a_new_book_and_its_report(admin: AdminPage) -> None:
    page = admin.sign_in("alice")
    admin.go("/admin/import/")
    vcf_step(page, FIXTURES / "one_bad_card.vcf")
    expect(page.get_by_label("Character encoding")).to_be_hidden()  # CSV's settings
    admin.shot("source: a .vcf file")
    page.get_by_role("button", name="Next", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Run of “.vcf into one_bad_card (vCard)”"
    )
    expect(page.locator("dl.facts")).to_contain_text("one_bad_card (vCard)")
    problems = page.get_by_role("table")
    expect(problems.get_by_role("row")).to_have_count(2)  # the header and the bad card
    expect(problems).to_contain_text("card 2 (from line 7): line 5 of the card cannot be read")
    expect(problems.get_by_role("cell", name="11", exact=True)).to_be_visible()
    admin.shot("report of a .vcf import: one bad card")

    admin.go("/admin/import/")
    vcf_step(page, FIXTURES / "v40.vcf", book="Contacts")
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Run of “.vcf into Contacts”")
    expect(page.locator("dl.facts")).to_contain_text("Added")


def test_no_file_is_said_next_to_the_file_input(admin: AdminPage) -> None:
    page = admin.sign_in("alice")
    admin.go("/admin/import/")
    page.get_by_label("Upload a .vcf file").check()
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator("#vcf_file-error")).to_contain_text("Choose the .vcf file to import.")
    expect(page.locator("#vcf_file")).to_be_visible()


def test_the_vcf_choice_fits_a_phone_screen(phone: AdminPage) -> None:
    page = phone.sign_in("alice")
    phone.go("/admin/import/")
    vcf_step(page, FIXTURES / "google_export.vcf")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.shot("source: a .vcf file, phone")
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator("p.status")).to_contain_text("Ok")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.shot("report of a .vcf import, phone")
