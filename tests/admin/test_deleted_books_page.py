"""The books page lists the deleted address books (only when there are any), each with
Restore; a phone's deletion of a whole book is there, and comes back with its contacts.
A real browser, desktop and a phone's width."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.admin.conftest import AdminPage
from tests.admin.test_books import card as card_text
from tests.admin.test_history_pages import flash
from tests.support import dav

PHONE = "DAVx5/4.4.2-ose (2024/05/01; dav4jvm; okhttp/4.12.0)"


def phone_deletes_a_book(admin: AdminPage, name: str, count: int) -> str:
    alice = admin.server.session("alice")
    book = alice.post("/api/v1/books", json={"display_name": name}).json()["id"]
    for number in range(count):
        card = card_text(f"{book}-{number}", f"Person {number}")
        dav.create_card(alice, f"/alice/{book}/{number}.vcf", card)
    assert alice.delete(f"/alice/{book}/", headers={"User-Agent": PHONE}).ok
    return str(book)


def test_a_deleted_book_is_listed_on_the_books_page_and_restored(admin: AdminPage) -> None:
    page = admin.sign_in("alice")
    admin.go("/admin/books/")
    expect(page.get_by_role("heading", name="Deleted books")).to_have_count(0)

    book = phone_deletes_a_book(admin, "Family and friends of the Featherstonehaughs", 3)
    admin.go("/admin/books/")
    expect(page.get_by_role("heading", name="Deleted books")).to_be_visible()
    row = page.get_by_role("row").filter(
        has=page.get_by_role("rowheader", name="Family and friends of the Featherstonehaughs")
    )
    expect(row).to_contain_text("alice via carddav")
    expect(row).to_contain_text("DAVx5")
    expect(row.get_by_role("cell").nth(0)).to_have_text("3")
    admin.shot("books with a deleted book")

    row.get_by_role("button", name="Restore “Family and friends of the Featherstonehaughs”").click()
    expect(flash(page)).to_contain_text("is back with 3 contacts")
    assert page.url.endswith(f"/admin/books/{book}/")
    admin.shot("the restored book")
    admin.go("/admin/books/")
    expect(page.get_by_role("heading", name="Deleted books")).to_have_count(0)


def test_the_deleted_books_fit_a_phone(phone: AdminPage) -> None:
    page = phone.sign_in("alice")
    phone_deletes_a_book(phone, "Family and friends of the Featherstonehaughs", 2)
    phone.go("/admin/books/")
    expect(page.get_by_role("heading", name="Deleted books")).to_be_visible()
    phone.shot("deleted books on a phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
