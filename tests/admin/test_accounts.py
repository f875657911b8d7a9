"""The Mail accounts page in a real browser: a real `contacthub serve` trusting the tests'
CA, the tests' Dovecot over SSL (IMAP) and the loopback EWS double (Exchange), with the
JSON API of the same server to check what was saved and what a sync brought in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from contacthub.sources.imap.connection import ImapAccount
from tests.admin.conftest import SERVER_CONFIG, USERS, AdminPage, open_confirmation
from tests.fetch.certs import CertificateFiles
from tests.imap.messages import EXPECTED, INBOX_COUNT, SENT_COUNT
from tests.support.dovecot import DovecotServer
from tests.support.ews_server import EwsServer
from tests.support.servers import ContacthubServer

ACCOUNTS = "/admin/accounts/"
EWS_EMAIL, EWS_PASSWORD = "alice@example.org", "correct horse"
REPORT = re.compile(r"/admin/runs/\d+/\d+$")


@pytest.fixture
def admin_server(tmp_path: Path, mail_certificates: CertificateFiles) -> Iterator[ContacthubServer]:
    """The admin tests' server, trusting the CA of the tests' Dovecot certificate."""
    fetch = {**SERVER_CONFIG["fetch"], "ca_bundle": str(mail_certificates.ca_file)}
    with ContacthubServer(
        tmp_path / "data", users=USERS, config={**SERVER_CONFIG, "fetch": fetch}
    ) as server:
        yield server


@pytest.fixture
def ews() -> Iterator[EwsServer]:
    with EwsServer(users={EWS_EMAIL: EWS_PASSWORD}) as server:
        yield server


# --- helpers --------------------------------------------------------------------------------


def imap_form(page: Page) -> Locator:
    return page.locator("section#imap form")


def exchange_form(page: Page) -> Locator:
    return page.locator("section#exchange form")


def fill_imap(
    form: Locator, dovecot: DovecotServer, account: ImapAccount, password: str, name: str = ""
) -> None:
    form.get_by_label("Username").fill(account.username)
    form.get_by_label("Password").fill(password)
    form.get_by_label("Server").fill(dovecot.host)
    form.get_by_label("Port").fill(str(dovecot.imaps_port))
    form.get_by_label("Name (optional)").fill(name)


def next_to(form: Locator, label: str) -> Locator:
    """The message that stands next to the input labelled `label` (its aria-describedby)."""
    field = form.get_by_label(label, exact=True)
    expect(field).to_have_attribute("aria-invalid", "true")
    error_id = f"{field.get_attribute('id')}-error"
    expect(field).to_have_attribute("aria-describedby", re.compile(rf"\b{error_id}\b"))
    return form.locator(f"#{error_id}")


def api_accounts(admin: AdminPage, user: str = "alice") -> list[dict[str, Any]]:
    answer = admin.server.session(user).get("/api/v1/accounts")
    answer.raise_for_status()
    return answer.json()["accounts"]


def contacts(admin: AdminPage, book: str) -> list[dict[str, Any]]:
    answer = admin.server.session("alice").get(f"/api/v1/books/{book}/contacts")
    answer.raise_for_status()
    return answer.json()["contacts"]


def contact_addresses(admin: AdminPage, book: str) -> list[str]:
    return sorted(address for contact in contacts(admin, book) for address in contact["emails"])


def fact(page: Page, name: str) -> Locator:
    """The value of a fact of the run report (dl.facts)."""
    return page.locator("dl.facts dt", has_text=re.compile(f"^{name}$")).locator(
        "xpath=following-sibling::dd[1]"
    )


def sync_now(admin: AdminPage, name: str) -> Page:
    """Sync now on the account's row; the progress page leads to the report."""
    page = admin.page
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name))
    row.get_by_role("button", name="Sync now").click()
    expect(page).to_have_url(REPORT)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Run of “{name}”")
    admin.shot(f"report of {name}")
    return page


def account_row(page: Page, name: str) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name))


# --- IMAP -----------------------------------------------------------------------------------


def test_a_wrong_imap_password_stands_next_to_the_password_and_nothing_is_saved(
    admin: AdminPage, dovecot: DovecotServer, account: ImapAccount
) -> None:
    admin.sign_in("alice")
    page = admin.go(ACCOUNTS)
    admin.shot("no accounts")
    expect(page.get_by_text("No mail account is connected yet")).to_be_visible()
    form = imap_form(page)
    expect(form.get_by_label("Use SSL")).to_be_checked()

    fill_imap(form, dovecot, account, "not the password")
    form.get_by_role("button", name="Connect", exact=True).click()
    admin.shot("wrong password")
    expect(next_to(form, "Password")).to_contain_text("wrong username or password")
    expect(form.get_by_label("Username")).to_have_value(account.username)
    expect(form.get_by_label("Port")).to_have_value(str(dovecot.imaps_port))
    expect(form.get_by_label("Password")).to_have_value("")
    assert "not the password" not in page.content()
    assert api_accounts(admin) == []

    form.get_by_label("Port").fill("not a port")
    form.get_by_label("Password").fill(account.password)
    form.get_by_role("button", name="Test connection").click()
    admin.shot("port is not a number")
    expect(next_to(form, "Port")).to_contain_text("The port is a number from 1 to 65535")

    form.get_by_label("Port").fill(str(dovecot.imaps_port))
    form.get_by_label("Password").fill(account.password)
    form.get_by_role("button", name="Test connection").click()
    admin.shot("connection works")
    expect(form.get_by_role("status")).to_contain_text("The connection works: ")
    expect(form.get_by_role("status")).to_contain_text("folders")
    expect(form.get_by_label("Password")).to_have_value("")
    expect(form.get_by_text("Enter the password again")).to_be_visible()
    assert account.password not in page.content()
    assert api_accounts(admin) == []


def test_an_imap_mailbox_is_connected_synced_and_disconnected(
    admin: AdminPage, dovecot: DovecotServer, seeded: ImapAccount
) -> None:
    admin.sign_in("alice")
    page = admin.go(ACCOUNTS)
    form = imap_form(page)
    fill_imap(form, dovecot, seeded, seeded.password, name="Work mail")
    admin.shot("imap form filled")
    form.get_by_role("button", name="Connect", exact=True).click()
    admin.shot("connected")
    expect(page.get_by_role("status").first).to_have_text(
        "Connected “Work mail”. Press Sync now to bring in its contacts."
    )
    row = account_row(page, "Work mail")
    expect(row).to_contain_text("IMAP")
    expect(row).to_contain_text(f"{dovecot.host} port {dovecot.imaps_port} (SSL)")
    expect(row).to_contain_text("From IMAP (Work mail)")
    expect(row).to_contain_text("not run yet")
    expect(row).to_contain_text("Never")
    [saved] = api_accounts(admin)
    assert (saved["type"], saved["name"], saved["account"]["ssl"]) == ("imap", "Work mail", True)

    page = sync_now(admin, "Work mail")
    expect(fact(page, "Added")).to_have_text(str(len(EXPECTED)))
    expect(fact(page, "Messages scanned")).to_have_text(str(INBOX_COUNT + SENT_COUNT))
    addresses = contact_addresses(admin, saved["book"])
    assert addresses == sorted(EXPECTED)

    page.get_by_role("link", name="Back to the mail accounts").click()
    admin.shot("accounts after the sync")
    row = account_row(page, "Work mail")
    expect(row.locator("td.status")).to_contain_text(f"ok: {len(EXPECTED)} added")
    row.get_by_role("link", name=re.compile("ago")).click()
    expect(page).to_have_url(REPORT)
    admin.shot("report from the last run link")
    page.go_back()

    asking = open_confirmation(account_row(page, "Work mail"), "Disconnect")
    expect(asking).to_contain_text("Disconnect “Work mail”? Its contacts stay.")
    asking.get_by_role("button", name="Yes, disconnect").click()
    admin.shot("disconnected")
    expect(page.get_by_role("status").first).to_contain_text("Disconnected “Work mail”.")
    expect(account_row(page, "Work mail")).to_have_count(0)
    assert api_accounts(admin) == []
    assert contact_addresses(admin, saved["book"]) == addresses


def test_accounts_are_their_owners_only(
    admin: AdminPage, dovecot: DovecotServer, account: ImapAccount
) -> None:
    made = admin.server.session("alice").post(
        "/api/v1/accounts",
        json={
            "type": "imap",
            "username": account.username,
            "password": account.password,
            "host": dovecot.host,
            "port": dovecot.imaps_port,
            "ssl": True,
            "name": "Alice's",
        },
    )
    assert made.status_code == 201, made.text
    admin.sign_in("bob")
    page = admin.go(ACCOUNTS)
    admin.shot("bob sees none")
    expect(page.get_by_text("No mail account is connected yet")).to_be_visible()
    expect(page.get_by_text("Alice's")).to_have_count(0)


# --- Exchange -------------------------------------------------------------------------------


def test_an_exchange_account_with_its_server_in_advanced_settings(
    admin: AdminPage, ews: EwsServer
) -> None:
    ews.mailbox.create({"DisplayName": "Dora Diaz", "GivenName": "Dora", "Surname": "Diaz"})
    admin.sign_in("alice")
    page = admin.go(ACCOUNTS)
    form = exchange_form(page)
    expect(form.get_by_label("Server")).to_be_hidden()  # Advanced settings start closed
    form.get_by_label("Email").fill(EWS_EMAIL)
    form.get_by_label("Password").fill("wrong")
    form.get_by_text("Advanced settings").click()
    form.get_by_label("Server").fill(ews.url)
    admin.shot("exchange form filled")
    form.get_by_role("button", name="Connect", exact=True).click()
    admin.shot("exchange wrong password")
    expect(next_to(form, "Password")).to_contain_text("check the password")
    expect(form.get_by_label("Server")).to_have_value(ews.url)  # shown: the details are open
    expect(form.get_by_label("Email")).to_have_value(EWS_EMAIL)
    assert api_accounts(admin) == []

    form.get_by_label("Password").fill(EWS_PASSWORD)
    form.get_by_role("button", name="Test connection").click()
    admin.shot("exchange connection works")
    expect(form.get_by_role("status")).to_have_text(
        "The connection works: the Contacts folder holds 1 contact."
    )

    form.get_by_label("Password").fill(EWS_PASSWORD)
    form.get_by_role("button", name="Connect", exact=True).click()
    admin.shot("exchange connected")
    row = account_row(page, EWS_EMAIL)
    expect(row).to_contain_text("Exchange")
    expect(row).to_contain_text(ews.url)
    expect(row).to_contain_text("From Exchange")

    page = sync_now(admin, EWS_EMAIL)
    expect(fact(page, "Added")).to_have_text("1")
    [saved] = api_accounts(admin)
    assert saved["status"] == "ok"
    assert [contact["display_name"] for contact in contacts(admin, saved["book"])] == ["Dora Diaz"]


def test_an_exchange_form_says_what_is_missing(admin: AdminPage) -> None:
    admin.sign_in("alice")
    page = admin.go(ACCOUNTS)
    form = exchange_form(page)
    form.get_by_label("Email").fill("not an address")
    form.get_by_role("button", name="Test connection").click()
    admin.shot("exchange email is wrong")
    expect(next_to(form, "Email")).to_contain_text("is not an email address")
    expect(form.get_by_label("Server")).to_be_hidden()

    form.get_by_label("Email").fill(EWS_EMAIL)
    form.get_by_label("Password").fill("pw")
    form.get_by_text("Advanced settings").click()
    form.get_by_label("Server").fill("ftp://mail.example.org")
    form.get_by_role("button", name="Test connection").click()
    admin.shot("exchange server is wrong")
    expect(next_to(form, "Server")).to_contain_text("must start with https://")


# --- a phone --------------------------------------------------------------------------------


def test_the_page_fits_a_phone(
    phone: AdminPage, dovecot: DovecotServer, account: ImapAccount
) -> None:
    made = phone.server.session("alice").post(
        "/api/v1/accounts",
        json={
            "type": "imap",
            "username": account.username,
            "password": account.password,
            "host": dovecot.host,
            "port": dovecot.imaps_port,
            "ssl": True,
        },
    )
    assert made.status_code == 201, made.text
    phone.sign_in("alice")
    page = phone.go(ACCOUNTS)
    phone.shot("accounts on a phone")
    expect(account_row(page, account.username)).to_be_attached()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px screen"
    expect(imap_form(page).get_by_role("button", name="Connect", exact=True)).to_be_visible()
