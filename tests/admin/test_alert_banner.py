"""The banner of a client that deleted much of a book: on every page while the alert is
open, naming the client, the book and how many; "Restore them" brings the contacts back
and the banner goes. Desktop and a 390 px phone."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.admin.conftest import AdminPage
from tests.support import dav
from tests.support.net import wait_until
from tests.support.servers import ContacthubServer

AGENT = "DAVx5/4.4.2-ose (2024/05/01; dav4jvm; okhttp/4.12.0) Android/14"
COUNT = 24


def phone_deletes_the_book(server: ContacthubServer) -> None:
    """alice's phone fills her default book, then deletes every contact in it."""
    phone = server.session("alice")
    phone.headers["User-Agent"] = AGENT
    hrefs = [f"/alice/contacts/p{index:02d}.vcf" for index in range(COUNT)]
    for index, href in enumerate(hrefs):
        card = (
            f"BEGIN:VCARD\r\nVERSION:3.0\r\nUID:p{index}\r\nFN:Person {index:02d}\r\nEND:VCARD\r\n"
        )
        dav.create_card(phone, href, card)
    for href in hrefs:
        assert phone.delete(href).status_code in (200, 204)
    api = server.session("alice")
    wait_until(lambda: bool(api.get("/api/v1/alerts").json()["alerts"]), 20, "the alert")


def test_the_banner_restores_what_the_phone_deleted(admin: AdminPage, phone: AdminPage) -> None:
    phone_deletes_the_book(admin.server)
    page = admin.sign_in("alice")
    banner = page.locator(".alert-banner")
    expect(banner).to_have_count(1)
    expect(banner).to_contain_text(f"{AGENT} deleted {COUNT} of the {COUNT} contacts in “Contacts”")
    admin.shot("the banner")
    page.get_by_role("link", name="Synchronizations").click()
    expect(banner).to_have_count(1)  # on every page

    phone.sign_in("alice")
    expect(phone.page.locator(".alert-banner")).to_be_visible()
    expect(phone.page.get_by_role("button", name="Restore them")).to_be_visible()
    # Nothing wider than the phone's screen: the long User-Agent wraps.
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.shot("the banner on a phone")
    phone.page.get_by_role("link", name="Details").click()  # the page the email links to
    expect(
        phone.page.get_by_role("heading", name=f"{COUNT} contacts deleted by a client")
    ).to_be_visible()
    expect(phone.page.locator(".alert-banner")).to_have_count(0)  # its own actions instead
    expect(phone.page.locator("dl.facts")).to_contain_text(AGENT)
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.shot("the alert's page on a phone")

    page.get_by_role("button", name="Restore them").click()

    expect(page.locator(".flash")).to_have_text(
        f"{COUNT} contacts are back in “Contacts”: phones and programs get them at their next sync."
    )
    expect(banner).to_have_count(0)
    expect(page.get_by_role("heading", name="Synchronizations")).to_be_visible()  # back there
    admin.shot("restored")
    admin.go("/admin/books/contacts/")
    expect(page.locator(".count")).to_have_text(f"{COUNT} contacts")
    expect(banner).to_have_count(0)
    admin.go("/admin/alerts/")
    expect(page.locator("table.alerts tbody tr")).to_have_count(1)
    expect(page.locator("table.alerts")).to_contain_text("Restored")
    admin.shot("the alerts")
