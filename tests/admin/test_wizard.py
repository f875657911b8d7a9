"""The import wizard in a real browser: an upload from the file to the run report, Back at
every step, an HTTP source with a schedule, an FTP source, validation next to the fields,
Cancel of a draft; the results are checked through the JSON API.

Files are real exports (tests/data/csv) served by the tests' own HTTP and FTP servers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.admin.conftest import AdminPage, artifacts_folder, open_context
from tests.fetch.ftp_server import PASSWORD as FTP_PASSWORD
from tests.fetch.ftp_server import USER as FTP_USER
from tests.fetch.ftp_server import LocalFTPServer
from tests.fetch.http_server import LocalHTTPServer, ServedFile, Site
from tests.support.browser import Screenshots
from tests.support.servers import ContacthubServer

# Each test has accounts of its own on the module's server (tests/admin/shared_server.py).
pytestmark = pytest.mark.shared_server

DATA = Path(__file__).parents[1] / "data" / "csv"
# Enough rows that the run outlasts the page change, so its progress bar is seen.
EXTRA_ROWS = 6000


@pytest.fixture
def ftp(ftp_root: Path) -> Iterator[LocalFTPServer]:
    logging.getLogger("pyftpdlib").setLevel(logging.WARNING)
    with LocalFTPServer(ftp_root) as server:
        yield server


def semicolon_file(folder: Path, extra_rows: int = 0) -> Path:
    """Excel's semicolon export (German headers, a BOM), with generated people after it."""
    text = (DATA / "excel_semicolon_bom.csv").read_text("utf-8-sig").rstrip("\r\n")
    people = [
        f"Person {n};person{n}@example.org;+49 30 {n:07d};Acme GmbH;Hauptstraße {n};"
        f"{10000 + n};Berlin;Deutschland;;{n % 20}"
        for n in range(extra_rows)
    ]
    path = folder / "kunden.csv"
    path.write_bytes("\r\n".join([text, *people, ""]).encode("utf-8-sig"))
    return path


def api_get(admin: AdminPage, path: str) -> Any:
    response = admin.server.session("alice").get(admin.server.url + "/api/v1" + path)
    assert response.status_code == 200, response.text
    return response.json()


def syncs(admin: AdminPage) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = api_get(admin, "/syncs")["syncs"]
    return found


def sync_id(page: Page) -> int:
    match = re.search(r"/admin/import/(\d+)/", page.url)
    assert match, page.url
    return int(match.group(1))


def current_step(page: Page, name: str) -> None:
    expect(page.locator('.steps [aria-current="step"]')).to_contain_text(name)


def error_next_to(page: Page, field_id: str, text: str) -> None:
    """The message stands in the field's own box and the field points to it."""
    message = page.locator(f"#{field_id}-error")
    expect(message).to_contain_text(text)
    expect(page.locator(f"#{field_id}")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f".field:has(#{field_id}) .error")).to_have_count(1)


def upload_step(
    page: Page, path: Path, *, delimiter: str | None = None, name: str | None = None
) -> None:
    page.get_by_label("Upload a file").check()
    page.get_by_label("CSV file").set_input_files(path)
    if name is not None:
        page.get_by_label("Name of this import").fill(name)
    if delimiter is not None:
        page.get_by_label(delimiter, exact=True).check()


def remote_step(page: Page, kind: str, url: str, *, username: str = "", password: str = "") -> None:
    page.get_by_label(kind).check()
    page.get_by_label("Address (URL)").fill(url)
    if username:
        page.get_by_label("User name").fill(username)
    if password:
        page.get_by_label("Password", exact=True).fill(password)


def click(page: Page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


# --- the whole wizard ---------------------------------------------------------------------


def test_an_upload_goes_from_the_file_to_the_run_report(admin: AdminPage, tmp_path: Path) -> None:
    page = admin.sign_in("alice")
    path = semicolon_file(tmp_path, EXTRA_ROWS)
    admin.go("/admin/import/")
    current_step(page, "Source")
    upload_step(page, path, delimiter="Semicolon ( ; )", name="Kunden")
    page.get_by_label("Update the contacts with changes from the file").check()
    admin.shot("source: an upload, semicolon")
    click(page, "Next")

    current_step(page, "Preview")
    preview = page.get_by_role("table")
    expect(preview.get_by_role("columnheader", name="Straße")).to_be_visible()
    expect(preview.get_by_role("cell", name="Élodie Durand")).to_be_visible()
    expect(page.locator("dl.facts")).to_contain_text("Semicolon")
    admin.shot("preview")
    page.get_by_role("link", name="Next").click()

    current_step(page, "Mapping")
    expect(page.get_by_label("Name", exact=True)).to_have_value("full_name")
    expect(page.get_by_label("Rabatt", exact=True)).to_have_value("none")
    page.get_by_label("Telefon", exact=True).select_option(label="Phone (work)")
    click(page, "Remove “Geburtstag”")
    expect(page.get_by_text("The mapping is saved.")).to_be_visible()
    expect(page.get_by_label("Geburtstag", exact=True)).to_have_value("none")
    expect(page.get_by_label("Telefon", exact=True)).to_have_value("phone.work")
    page.get_by_label("Name of the new field").fill("Discount")
    page.get_by_label("Column that goes into it").select_option(label="Rabatt")
    click(page, "Add field")
    expect(page.get_by_label("Rabatt", exact=True)).to_have_value("custom:Discount")
    page.get_by_label("Column that identifies each contact").select_option("E-Mail")
    admin.shot("mapping: a custom field and a key column")
    click(page, "Apply mapping")
    expect(page.get_by_label("Column that identifies each contact")).to_have_value("E-Mail")
    click(page, "Next")

    current_step(page, "Run")
    expect(page.get_by_label("Start date and time")).to_have_count(0)  # no schedule for uploads
    admin.shot("run step of an upload")
    click(page, "Run import")
    expect(page.get_by_role("heading", name="Running “Kunden”")).to_be_visible()
    admin.shot("progress bar")
    expect(page.get_by_role("heading", name="Run of “Kunden”")).to_be_visible(timeout=60_000)
    total = EXTRA_ROWS + 3
    expect(page.locator("dt:text-is('Added') + dd")).to_have_text(str(total))
    expect(page.get_by_role("status")).to_contain_text("Ok")
    admin.shot("run report")

    shown = api_get(admin, f"/syncs/{int(page.url.split('/')[-2])}")
    assert shown["name"] == "Kunden"
    assert (shown["delimiter"], shown["delimiter_detected"]) == ("semicolon", False)
    assert (shown["update_existing"], shown["delete_missing"]) == (True, False)
    assert shown["key_column"] == "E-Mail"
    mapped = {entry["column"]: entry["field"] for entry in shown["mapping"]["columns"]}
    assert mapped["Telefon"] == "phone.work" and mapped["Rabatt"] == "custom:Discount"
    assert "Geburtstag" not in mapped
    contacts = api_get(admin, f"/books/{shown['book']}/contacts?q=Élodie")
    assert contacts["total"] == 1
    [elodie] = contacts["contacts"]
    assert elodie["emails"] == ["elodie@durand.example"]
    card = api_get(admin, f"/books/{shown['book']}/contacts/{elodie['id']}")["vcard"]
    assert "X-DISCOUNT:12\\,5" in card or "X-DISCOUNT:12,5" in card
    assert "TEL;TYPE=WORK" in card and "BDAY" not in card
    assert api_get(admin, f"/books/{shown['book']}/contacts?limit=1")["total"] == total


def test_back_at_every_step_keeps_what_was_entered(admin: AdminPage, tmp_path: Path) -> None:
    page = admin.sign_in("alice")
    admin.go("/admin/import/")
    upload_step(page, DATA / "google_contacts.csv", delimiter="Comma ( , )", name="Google")
    page.get_by_label("Update the contacts with changes from the file").check()
    page.get_by_label("Delete contacts not found in the file").check()
    page.get_by_label("Character encoding").select_option("utf-8")
    admin.shot("source")
    click(page, "Next")
    current_step(page, "Preview")
    page.get_by_role("link", name="Back").click()

    current_step(page, "Source")
    expect(page.get_by_label("Name of this import")).to_have_value("Google")
    expect(page.get_by_label("Comma ( , )")).to_be_checked()
    expect(page.get_by_label("Update the contacts with changes from the file")).to_be_checked()
    expect(page.get_by_label("Delete contacts not found in the file")).to_be_checked()
    expect(page.get_by_label("Character encoding")).to_have_value("utf-8")
    expect(page.get_by_text("Current file: google_contacts.csv")).to_be_visible()
    admin.shot("back at the source")
    page.get_by_label("Name of this import").fill("Google export")
    click(page, "Next")  # no new file: the stored one stays
    page.get_by_role("link", name="Next").click()

    current_step(page, "Mapping")
    page.get_by_label("Nickname", exact=True).select_option(label="Not imported")
    page.get_by_label("Phonetic First Name", exact=True).select_option(label="Nickname")
    page.get_by_label("Column that identifies each contact").select_option("E-mail 1 - Value")
    admin.shot("mapping changed")
    click(page, "Back")
    current_step(page, "Preview")
    expect(page.get_by_role("heading", name="Import “Google export”")).to_be_visible()
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_label("Nickname", exact=True)).to_have_value("none")
    expect(page.get_by_label("Phonetic First Name", exact=True)).to_have_value("nickname")
    expect(page.get_by_label("Column that identifies each contact")).to_have_value(
        "E-mail 1 - Value"
    )
    # The label columns still set the types of the Google export's values.
    expect(page.get_by_text("from the column “E-mail 1 - Label”")).to_be_visible()
    admin.shot("back at the mapping")
    click(page, "Next")

    current_step(page, "Run")
    page.get_by_label("Notification email").fill("ops@example.org")
    click(page, "Back")
    current_step(page, "Mapping")
    click(page, "Next")
    expect(page.get_by_label("Notification email")).to_have_value("ops@example.org")
    admin.shot("back at the run step")
    click(page, "Finish")
    expect(page.get_by_text("The sync “Google export” is saved.")).to_be_visible()
    admin.shot("finished")
    [shown] = syncs(admin)
    assert shown["notify"] == ["ops@example.org"]
    detail = api_get(admin, f"/syncs/{shown['id']}")
    assert (detail["update_existing"], detail["delete_missing"]) == (True, True)
    assert detail["key_column"] == "E-mail 1 - Value"
    assert detail["latest_run"] is None


def test_an_http_source_is_scheduled_weekly_on_two_days(
    admin: AdminPage, site: Site, http: LocalHTTPServer
) -> None:
    site.files["/export/outlook.csv"] = ServedFile((DATA / "outlook_en.csv").read_bytes())
    page = admin.sign_in("alice")
    admin.go("/admin/import/")
    remote_step(
        page, "Download from a web address (HTTP or HTTPS)", http.url("/export/outlook.csv")
    )
    page.get_by_label("Name of this import").fill("CRM export")
    admin.shot("source: an HTTP address")
    click(page, "Next")
    current_step(page, "Preview")
    expect(page.get_by_role("cell", name="Springfield")).to_be_visible()
    admin.shot("preview of the fetched file")
    page.get_by_role("link", name="Next").click()
    current_step(page, "Mapping")
    admin.shot("mapping of the Outlook export")
    click(page, "Next")

    current_step(page, "Run or schedule")
    first = date.today() + timedelta(days=10)
    page.get_by_label("Weekly").check()
    page.get_by_label("Start date and time").fill(f"{first.isoformat()}T07:30")
    page.get_by_label("Time zone").select_option("Europe/Tallinn")
    page.get_by_label("Monday").check()
    page.get_by_label("Thursday").check()
    page.get_by_label("End after a number of imports").check()
    page.get_by_label("Number of imports", exact=True).fill("6")
    page.get_by_label("Notification email").fill("Ops <ops@example.org>, it@example.org")
    admin.shot("schedule entered")
    click(page, "Back")  # what the step held comes back
    current_step(page, "Mapping")
    click(page, "Next")
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Tallinn")
    expect(page.get_by_label("Thursday")).to_be_checked()
    expect(page.get_by_label("Number of imports", exact=True)).to_have_value("6")
    admin.shot("schedule after Back")
    click(page, "Finish")

    expect(page).to_have_url(re.compile(r"/admin/syncs/$"))
    expect(page.get_by_text("The sync “CRM export” is saved.")).to_contain_text("Next import: in")
    admin.shot("synchronizations with the new sync")
    [listed] = syncs(admin)
    shown = api_get(admin, f"/syncs/{listed['id']}")
    assert shown["source"] == {
        "type": "http",
        "url": http.url("/export/outlook.csv"),
        "username": None,
        "has_password": False,
        "passive": True,
    }
    assert shown["schedule"] == {
        "start": f"{first.isoformat()}T07:30",
        "timezone": "Europe/Tallinn",
        "frequency": "weekly",
        "interval": 1,
        "weekdays": ["monday", "thursday"],
        "month_day": None,
        "count": 6,
        "until": None,
    }
    assert shown["notify"] == ["ops@example.org", "it@example.org"]
    assert shown["next_run"] is not None and shown["latest_run"] is None

    admin.go(f"/admin/import/{listed['id']}/finish")  # the saved schedule, shown again
    expect(page.get_by_label("Weekly")).to_be_checked()
    expect(page.locator("dl.facts")).to_contain_text("Weekly on Monday and Thursday at 07:30")
    admin.shot("saved schedule")

    # Edit: another address is fetched at once, and the schedule stays.
    site.files["/export/google.csv"] = ServedFile((DATA / "google_contacts.csv").read_bytes())
    admin.go(f"/admin/import/{listed['id']}/source")
    expect(
        page.get_by_label("Passive mode (FTP; leave it on unless the server needs active mode)")
    ).to_have_count(0)
    page.get_by_label("Address (URL)").fill(http.url("/export/google.csv"))
    click(page, "Next")
    expect(page.get_by_role("cell", name="Lovelace")).to_be_visible()
    admin.shot("preview of the new address")
    shown = api_get(admin, f"/syncs/{listed['id']}")
    assert shown["source"]["url"] == http.url("/export/google.csv")
    assert shown["schedule"]["weekdays"] == ["monday", "thursday"]


def test_an_ftp_source_keeps_its_password_and_runs(
    admin: AdminPage, ftp: LocalFTPServer, ftp_root: Path
) -> None:
    (ftp_root / "contacts.csv").write_bytes((DATA / "google_contacts.csv").read_bytes())
    page = admin.sign_in("alice")
    admin.go("/admin/import/")
    remote_step(
        page,
        "Download from an FTP server",
        ftp.url("/contacts.csv"),
        username=FTP_USER,
        password=FTP_PASSWORD,
    )
    admin.shot("source: FTP")
    click(page, "Next")
    current_step(page, "Preview")
    expect(page.get_by_role("cell", name="Lovelace")).to_be_visible()
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_label("User name")).to_have_value(FTP_USER)
    expect(page.get_by_text("A password is saved: leave this empty to keep it.")).to_be_visible()
    expect(page.get_by_label("Password", exact=True)).to_have_value("")
    admin.shot("FTP source with its saved password")
    click(page, "Next")  # the password stays, the file is read again
    page.get_by_role("link", name="Next").click()
    click(page, "Next")
    click(page, "Run import")
    expect(page.get_by_role("heading", name="Run of “contacts”")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("status")).to_contain_text("Ok")
    admin.shot("report of the FTP import")
    [shown] = syncs(admin)
    assert shown["source"]["has_password"] is True
    assert shown["latest_run"]["counts"]["added"] >= 4


# --- refusals next to their fields --------------------------------------------------------


def test_a_refused_ftp_login_stands_next_to_the_password(
    admin: AdminPage, ftp: LocalFTPServer, ftp_root: Path
) -> None:
    (ftp_root / "contacts.csv").write_bytes((DATA / "google_contacts.csv").read_bytes())
    page = admin.sign_in("alice")
    admin.go("/admin/import/")
    url = ftp.url("/contacts.csv")
    remote_step(
        page, "Download from an FTP server", url, username=FTP_USER, password="not the password"
    )
    click(page, "Next")
    error_next_to(page, "password", f"FTP login failed for user {FTP_USER}")
    expect(page.locator("#url")).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Address (URL)")).to_have_value(url)
    expect(page.get_by_label("User name")).to_have_value(FTP_USER)
    admin.shot("FTP login refused at the password")
    assert syncs(admin) == []


def test_a_two_character_delimiter_is_refused_next_to_the_other_field(admin: AdminPage) -> None:
    page = admin.sign_in("alice")
    admin.go("/admin/import/")
    upload_step(page, DATA / "google_contacts.csv")
    page.get_by_label("Other delimiter").fill("ab")
    expect(page.get_by_label("Other", exact=True)).to_be_checked()  # typing chooses Other
    click(page, "Next")
    error_next_to(page, "delimiter_other", "single character")
    expect(page.get_by_label("Other delimiter")).to_have_value("ab")
    admin.shot("two-character delimiter refused")
    page.get_by_label("Other", exact=True).check()
    page.get_by_label("Other delimiter").fill("")
    click(page, "Next")
    error_next_to(page, "file", "Choose the CSV file")
    error_next_to(page, "delimiter_other", "Type the character")
    admin.shot("empty Other delimiter and no file")
    assert syncs(admin) == []


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("crm.example.org/contacts.csv", "The URL must start with http://"),
        ("http://10.20.30.40/contacts.csv", "private"),
        ("ftp://127.0.0.1/contacts.csv", "needs an http or https URL"),
    ],
)
def test_a_url_that_cannot_be_used_is_refused_next_to_it(
    admin: AdminPage, url: str, words: str
) -> None:
    page = admin.sign_in("alice")
    admin.go("/admin/import/")
    remote_step(page, "Download from a web address (HTTP or HTTPS)", url)
    click(page, "Next")
    error_next_to(page, "url", words)
    expect(page.get_by_label("Address (URL)")).to_have_value(url)
    expect(page.get_by_label("Download from a web address (HTTP or HTTPS)")).to_be_checked()
    admin.shot("URL refused")
    assert syncs(admin) == []


def test_schedule_and_email_refusals_stand_next_to_their_fields(
    admin: AdminPage, site: Site, http: LocalHTTPServer
) -> None:
    site.files["/contacts.csv"] = ServedFile((DATA / "google_contacts.csv").read_bytes())
    page = admin.sign_in("alice")
    admin.go("/admin/import/")
    remote_step(page, "Download from a web address (HTTP or HTTPS)", http.url("/contacts.csv"))
    click(page, "Next")
    number = sync_id(page)
    admin.go(f"/admin/import/{number}/finish")

    start = date.today() + timedelta(days=30)
    page.get_by_label("Daily").check()
    page.get_by_label("Start date and time").fill(f"{start.isoformat()}T09:00")
    page.get_by_label("End by a date").check()
    page.get_by_label("End date", exact=True).fill((start - timedelta(days=3)).isoformat())
    page.get_by_label("Notification email").fill("not an address")
    click(page, "Finish")
    error_next_to(page, "schedule-until", "The end date must not be before the start date")
    expect(page.get_by_label("Daily")).to_be_checked()
    admin.shot("end before start")

    page.get_by_label("End date", exact=True).fill((start + timedelta(days=3)).isoformat())
    click(page, "Finish")
    error_next_to(page, "notify", "is not an email address")
    expect(page.get_by_label("Notification email")).to_have_value("not an address")
    admin.shot("bad email address")
    shown = api_get(admin, f"/syncs/{number}")
    assert (shown["schedule"], shown["notify"]) == (None, [])

    page.get_by_label("Start date and time").fill("")
    page.get_by_label("Notification email").fill("")
    click(page, "Finish")
    error_next_to(page, "schedule-start", "Choose the date and time")
    admin.shot("no start")


def test_a_custom_field_without_letters_is_refused(admin: AdminPage) -> None:
    page = admin.sign_in("alice")
    admin.go("/admin/import/")
    upload_step(page, DATA / "outlook_en.csv")
    click(page, "Next")
    page.get_by_role("link", name="Next").click()
    page.get_by_label("Mileage", exact=True).select_option(label="Notes")
    page.get_by_label("Name of the new field").fill("!!!")
    page.get_by_label("Column that goes into it").select_option(label="Hobby")
    page.get_by_label("Name of the new field").press("Enter")  # Enter adds the field
    error_next_to(page, "custom_name", "Invalid characters found")
    expect(page.get_by_label("Mileage", exact=True)).to_have_value("notes")  # still as chosen
    admin.shot("custom field refused")
    shown = api_get(admin, f"/syncs/{sync_id(page)}")
    assert "Mileage" not in {entry["column"] for entry in shown["mapping"]["columns"]}


# --- drafts -------------------------------------------------------------------------------


def test_cancel_removes_a_new_import_but_not_one_being_edited(admin: AdminPage) -> None:
    page = admin.sign_in("alice")
    page.on("dialog", lambda dialog: dialog.accept())
    admin.go("/admin/import/")
    upload_step(page, DATA / "outlook_en.csv", name="Draft")
    click(page, "Next")
    assert [sync["name"] for sync in syncs(admin)] == ["Draft"]
    admin.shot("a draft")
    click(page, "Cancel")
    expect(page.get_by_text("The import “Draft” is cancelled and removed.")).to_be_visible()
    admin.shot("cancelled")
    assert syncs(admin) == []

    admin.go("/admin/import/")
    upload_step(page, DATA / "outlook_en.csv", name="Kept")
    click(page, "Next")
    number = sync_id(page)
    page.get_by_role("link", name="Next").click()
    click(page, "Next")
    click(page, "Finish")
    admin.go(f"/admin/import/{number}/source")  # Edit from the list
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    expect(page.get_by_role("link", name="Back to the synchronizations")).to_be_visible()
    admin.shot("editing an existing sync")
    assert [sync["name"] for sync in syncs(admin)] == ["Kept"]


def test_the_mapping_fits_a_phone_screen(phone: AdminPage) -> None:
    page = phone.sign_in("alice")
    phone.go("/admin/import/")
    upload_step(page, DATA / "google_contacts.csv")
    phone.shot("source on a phone")
    click(page, "Next")
    phone.shot("preview on a phone")
    page.get_by_role("link", name="Next").click()
    current_step(page, "Mapping")
    phone.shot("mapping on a phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide"


def test_without_javascript_every_input_is_there_and_works(
    browser: Browser,
    admin_server: ContacthubServer,
    site: Site,
    http: LocalHTTPServer,
    request: pytest.FixtureRequest,
) -> None:
    site.files["/contacts.csv"] = ServedFile((DATA / "google_contacts_old.csv").read_bytes())
    context = open_context(browser, java_script_enabled=False)
    try:
        admin = AdminPage(context.new_page(), admin_server, Screenshots(artifacts_folder(request)))
        page = admin.sign_in("alice")
        admin.go("/admin/import/")
        expect(page.get_by_label("CSV file")).to_be_visible()  # nothing is hidden
        remote_step(page, "Download from a web address (HTTP or HTTPS)", http.url("/contacts.csv"))
        admin.shot("source without JavaScript")
        click(page, "Next")
        page.get_by_role("link", name="Next").click()
        click(page, "Next")
        page.get_by_label("Monthly", exact=True).check()
        page.get_by_label("Start date and time").fill("2031-01-31T06:00")
        page.get_by_label("Day of the month (monthly)").fill("31")
        page.get_by_label("Repeat every").fill("2")
        admin.shot("schedule without JavaScript")
        click(page, "Finish")
        expect(page.get_by_text("is saved")).to_contain_text("every 2 months on day 31")
        [shown] = syncs(admin)
        assert shown["schedule"]["month_day"] == 31 and shown["schedule"]["interval"] == 2
    finally:
        context.close()
