"""The Mail accounts page in a real browser: a real `contacthub serve` trusting the tests'
CA, the tests' Dovecot over SSL (IMAP) and the loopback EWS double (Exchange), with the
JSON API of the same server to check what was saved and what a sync brought in.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from contacthub.sources.imap.connection import ImapAccount
from tests.admin.conftest import SERVER_CONFIG, AdminPage, open_confirmation
from tests.fetch.certs import CertificateFiles
from tests.imap.messages import EXPECTED, INBOX_COUNT, SENT_COUNT
from tests.support.dovecot import DovecotServer
from tests.support.ews_server import EwsServer
from tests.support.held_connections import HeldConnections
from tests.support.servers import ConfigSections

ACCOUNTS = "/admin/accounts/"
EWS_EMAIL, EWS_PASSWORD = "alice@example.org", "correct horse"
REPORT = re.compile(r"/admin/runs/\d+/\d+(#\w+)?$")  # a form's #imap carries over
PROGRESS = re.compile(r"/admin/runs/\d+/progress(#\w+)?$")


# Each test has accounts of its own on the module's server (tests/admin/shared_server.py).
pytestmark = pytest.mark.shared_server


@pytest.fixture(scope="module")
def server_config(mail_certificates: CertificateFiles) -> ConfigSections:
    """The admin tests' server settings, trusting the CA of the tests' Dovecot certificate."""
    return {
        **SERVER_CONFIG,
        "fetch": {**SERVER_CONFIG["fetch"], "ca_bundle": str(mail_certificates.ca_file)},
    }


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
    expect(form.locator(".form-error")).to_have_count(0)
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


@pytest.fixture
def held(dovecot: DovecotServer) -> Iterator[HeldConnections]:
    """A forwarder to Dovecot that lets Connect's connection test pass and holds the first
    sync's connection: the page shows the progress of a run still waiting for the server
    until the test releases it."""
    with HeldConnections(dovecot.host, dovecot.imaps_port, free=1) as forwarder:
        yield forwarder


def connect_held(
    admin: AdminPage,
    dovecot: DovecotServer,
    account: ImapAccount,
    name: str,
    held: HeldConnections,
) -> None:
    page = admin.page
    form = imap_form(page)
    fill_imap(form, dovecot, account, account.password, name=name)
    form.get_by_label("Port").fill(str(held.port))
    admin.shot("imap form filled")
    form.get_by_role("button", name="Connect", exact=True).click()
    expect(page).to_have_url(PROGRESS)


def test_connect_runs_the_first_sync_with_its_progress_then_its_report(
    admin: AdminPage, dovecot: DovecotServer, seeded: ImapAccount, held: HeldConnections
) -> None:
    admin.sign_in("alice")
    page = admin.go(ACCOUNTS)
    connect_held(admin, dovecot, seeded, "Work mail", held)
    try:
        expect(page.get_by_role("heading", level=1)).to_have_text("Running “Work mail”")
        expect(page.get_by_role("status").first).to_have_text(
            "Connected “Work mail”: its first sync brings in its contacts now."
        )
        expect(page.get_by_role("progressbar")).to_be_visible()
        expect(page.get_by_text("its report will be on the Mail accounts page")).to_be_visible()
        assert held.held.wait(10), "the first sync never connected"
        admin.shot("first sync in progress")
    finally:
        held.release()
    expect(page).to_have_url(REPORT, timeout=30_000)
    expect(page.get_by_role("heading", level=1)).to_have_text("Run of “Work mail”")
    expect(fact(page, "Added")).to_have_text(str(len(EXPECTED)))
    expect(fact(page, "Messages scanned")).to_have_text(str(INBOX_COUNT + SENT_COUNT))
    admin.shot("report of the first sync")
    [saved] = api_accounts(admin)
    assert (saved["type"], saved["name"], saved["account"]["ssl"]) == ("imap", "Work mail", True)
    assert saved["latest_run"]["counts"]["added"] == len(EXPECTED)
    addresses = contact_addresses(admin, saved["book"])
    assert addresses == sorted(EXPECTED)

    page.get_by_role("link", name="Back to the mail accounts").click()
    admin.shot("accounts after the first sync")
    row = account_row(page, "Work mail")
    expect(row).to_contain_text("IMAP")
    expect(row).to_contain_text(f"{dovecot.host} port {held.port} (SSL)")
    expect(row).to_contain_text("From IMAP (Work mail)")
    expect(row.locator("td.status")).to_contain_text(f"ok: {len(EXPECTED)} added")
    row.get_by_role("link", name=re.compile("ago")).click()
    expect(page).to_have_url(REPORT)
    admin.shot("report from the last run link")
    page.go_back()


def test_an_imap_mailbox_is_synced_again_and_disconnected(
    admin: AdminPage, dovecot: DovecotServer, seeded: ImapAccount
) -> None:
    admin.sign_in("alice")
    page = admin.go(ACCOUNTS)
    form = imap_form(page)
    fill_imap(form, dovecot, seeded, seeded.password, name="Work mail")
    form.get_by_role("button", name="Connect", exact=True).click()
    expect(page).to_have_url(REPORT, timeout=30_000)
    [saved] = api_accounts(admin)
    addresses = contact_addresses(admin, saved["book"])
    assert addresses == sorted(EXPECTED)
    admin.go(ACCOUNTS)

    page = sync_now(admin, "Work mail")
    expect(page.get_by_role("status")).to_contain_text("No changes")
    expect(fact(page, "Messages scanned")).to_have_text("0")
    page.get_by_role("link", name="Back to the mail accounts").click()

    asking = open_confirmation(account_row(page, "Work mail"), "Disconnect")
    expect(asking).to_contain_text("Disconnect “Work mail”? Its contacts stay.")
    asking.get_by_role("button", name="Yes, disconnect").click()
    admin.shot("disconnected")
    expect(page.get_by_role("status").first).to_contain_text("Disconnected “Work mail”.")
    expect(account_row(page, "Work mail")).to_have_count(0)
    assert api_accounts(admin) == []
    assert contact_addresses(admin, saved["book"]) == addresses


# --- an account's schedule and report --------------------------------------------------------


def connect_by_api(
    admin: AdminPage, dovecot: DovecotServer, account: ImapAccount, name: str = "Work mail"
) -> int:
    """An IMAP account of alice's connected through the API; its id."""
    made = admin.server.session("alice").post(
        "/api/v1/accounts",
        json={
            "type": "imap",
            "username": account.username,
            "password": account.password,
            "host": dovecot.host,
            "port": dovecot.imaps_port,
            "ssl": True,
            "name": name,
        },
    )
    assert made.status_code == 201, made.text
    number: int = made.json()["id"]
    return number


def api_account(admin: AdminPage, number: int) -> dict[str, Any]:
    answer = admin.server.session("alice").get(f"/api/v1/accounts/{number}")
    answer.raise_for_status()
    found: dict[str, Any] = answer.json()
    return found


def test_an_account_gets_a_schedule_and_report_emails(
    admin: AdminPage, dovecot: DovecotServer, account: ImapAccount
) -> None:
    number = connect_by_api(admin, dovecot, account)
    admin.sign_in("alice")
    page = admin.go(ACCOUNTS)
    row = account_row(page, "Work mail")
    expect(row.locator("td.status")).to_contain_text("Not scheduled")
    row.get_by_role("link", name="Schedule and report of “Work mail”").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Schedule of “Work mail”")
    expect(page.get_by_label("Not scheduled: sync when I choose Sync now")).to_be_checked()
    expect(page.get_by_label("Start date and time")).to_be_hidden()  # the pattern shows them
    admin.shot("account schedule, none yet")

    first = date.today() + timedelta(days=10)
    page.get_by_label("Weekly").check()
    page.get_by_label("Start date and time").fill(f"{first.isoformat()}T07:30")
    page.get_by_label("Time zone").select_option("Europe/Tallinn")
    page.get_by_label("Repeat every").fill("2")
    page.get_by_label("Monday").check()
    page.get_by_label("Thursday").check()
    page.get_by_label("End after a number of syncs").check()
    page.get_by_label("Number of syncs", exact=True).fill("6")
    page.get_by_label("Notification email").fill("Ops <ops@example.org>, it@example.org")
    admin.shot("account schedule entered")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(r"/admin/accounts/$"))
    saved_words = "every 2 weeks on Monday and Thursday at 07:30 (Europe/Tallinn), 6 times"
    expect(page.get_by_role("status").first).to_contain_text(
        f"The schedule of “Work mail” is saved. It syncs {saved_words}. Next sync: in"
    )
    row = account_row(page, "Work mail")
    expect(row.locator("td.status")).to_contain_text(
        f"Syncs {saved_words}; report to ops@example.org, it@example.org"
    )
    expect(row.locator("td.status")).to_contain_text("Next sync")
    admin.shot("accounts with a schedule")
    shown = api_account(admin, number)
    assert shown["schedule"] == {
        "start": f"{first.isoformat()}T07:30",
        "timezone": "Europe/Tallinn",
        "frequency": "weekly",
        "interval": 2,
        "weekdays": ["monday", "thursday"],
        "month_day": None,
        "count": 6,
        "until": None,
    }
    assert shown["notify"] == ["ops@example.org", "it@example.org"]
    assert shown["next_run"] is not None

    row.get_by_role("link", name="Schedule and report of “Work mail”").click()
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Tallinn")
    expect(page.get_by_label("Thursday")).to_be_checked()
    expect(page.get_by_label("Number of syncs", exact=True)).to_have_value("6")
    admin.shot("account schedule as saved")
    page.get_by_label("Not scheduled: sync when I choose Sync now").check()
    page.get_by_label("Notification email").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "The schedule of “Work mail” is saved. It syncs when you press Sync now."
    )
    shown = api_account(admin, number)
    assert (shown["schedule"], shown["notify"], shown["next_run"]) == (None, [], None)


def test_account_schedule_refusals_stand_next_to_their_fields(
    admin: AdminPage, dovecot: DovecotServer, account: ImapAccount
) -> None:
    number = connect_by_api(admin, dovecot, account)
    admin.sign_in("alice")
    page = admin.go(f"{ACCOUNTS}{number}/schedule")
    start = date.today() + timedelta(days=30)
    page.get_by_label("Daily").check()
    page.get_by_label("Start date and time").fill(f"{start.isoformat()}T09:00")
    page.get_by_label("End by a date").check()
    page.get_by_label("End date", exact=True).fill((start - timedelta(days=3)).isoformat())
    page.get_by_label("Notification email").fill("not an address")
    page.get_by_role("button", name="Save").click()
    expect(next_to(page.locator("form.account-schedule"), "End date")).to_contain_text(
        "The end date must not be before the start date"
    )
    expect(page.get_by_label("Daily")).to_be_checked()
    admin.shot("account schedule: end before start")

    page.get_by_label("End date", exact=True).fill((start + timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Save").click()
    expect(next_to(page.locator("form.account-schedule"), "Notification email")).to_contain_text(
        "is not an email address"
    )
    admin.shot("account schedule: bad email address")
    shown = api_account(admin, number)
    assert (shown["schedule"], shown["notify"]) == (None, [])


def test_accounts_are_their_owners_only(
    admin: AdminPage, dovecot: DovecotServer, account: ImapAccount
) -> None:
    connect_by_api(admin, dovecot, account, "Alice's")
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
    expect(form.locator(".form-error")).to_have_count(0)
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
    expect(page).to_have_url(REPORT, timeout=30_000)  # the first sync ran
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Run of “{EWS_EMAIL}”")
    expect(fact(page, "Added")).to_have_text("1")
    admin.shot("exchange first sync")
    page.get_by_role("link", name="Back to the mail accounts").click()
    row = account_row(page, EWS_EMAIL)
    expect(row).to_contain_text("Exchange")
    expect(row).to_contain_text(ews.url)
    expect(row).to_contain_text("From Exchange")
    admin.shot("exchange connected")

    page = sync_now(admin, EWS_EMAIL)
    expect(page.get_by_role("status")).to_contain_text("No changes")
    [saved] = api_accounts(admin)
    assert saved["status"] == "no_changes"
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


def test_connect_and_the_schedule_fit_a_phone(
    phone: AdminPage, dovecot: DovecotServer, seeded: ImapAccount, held: HeldConnections
) -> None:
    phone.sign_in("alice")
    page = phone.go(ACCOUNTS)
    connect_held(phone, dovecot, seeded, "Phone mail", held)
    try:
        expect(page.get_by_role("progressbar")).to_be_in_viewport()
        assert held.held.wait(10), "the first sync never connected"
        phone.shot("first sync in progress on a phone")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the progress page is {width} px wide on a 390 px screen"
    finally:
        held.release()
    expect(page).to_have_url(REPORT, timeout=30_000)
    expect(fact(page, "Added")).to_have_text(str(len(EXPECTED)))
    phone.shot("report of the first sync on a phone")

    [saved] = api_accounts(phone)
    page = phone.go(f"{ACCOUNTS}{saved['id']}/schedule")
    page.get_by_label("Monthly", exact=True).check()
    page.get_by_label("End after a number of syncs").check()
    page.get_by_label("Number of syncs", exact=True).fill("3")
    phone.shot("account schedule on a phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the schedule page is {width} px wide on a 390 px screen"
    for label in ("Start date and time", "Time zone", "Number of syncs", "Notification email"):
        field = page.get_by_label(label, exact=True)
        field.scroll_into_view_if_needed()
        box = field.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, label
    save = page.get_by_role("button", name="Save")
    save.scroll_into_view_if_needed()
    expect(save).to_be_in_viewport()
    page.get_by_label("Notification email").fill("me@example.org")
    save.click()
    expect(page.get_by_role("status").first).to_contain_text("The schedule of “Phone mail”")
    assert api_accounts(phone)[0]["notify"] == ["me@example.org"]
