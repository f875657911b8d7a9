"""Every admin page at 390 px and at 1280 px, filled as a real account is (long addresses,
phone numbers, book and device names, a failed sync, a pending push with a broken card,
a client's mass deletion, duplicates): reached by following the page's own links from
each section, none scrolls sideways on a phone, and every control a person needs is on
the screen (not off to the right)."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

from playwright.sync_api import Page

from contacthub.sources.imap.connection import ImapAccount
from tests.admin.conftest import AdminPage, open_confirmation
from tests.admin.test_accounts import connect_by_api

# A server of the test's own (other modules' helpers fill "alice"), set as test_accounts's.
from tests.admin.test_accounts import server_config as server_config  # the fixture
from tests.admin.test_alert_banner import phone_deletes_the_book
from tests.admin.test_duplicates_page import fill as fill_duplicates
from tests.admin.test_syncs import Files, remote_sync
from tests.admin.test_syncs import files as files  # the fixture
from tests.support.dovecot import DovecotServer
from tests.support.vcards import make_card

PHONE_WIDTH = 390
SECTIONS = (
    "/admin/books/",
    "/admin/import/",
    "/admin/syncs/",
    "/admin/accounts/",
    "/admin/phone/",
    "/admin/app-passwords/",
    "/admin/duplicates/",
    "/admin/alerts/",
)
LONG_BOOK = "Customers and suppliers of the Hamburg office (2019–2024)"
DEVICE = "Annas-iPhone-15-Pro-Max"
STAFF = (
    "Id,Name,Email,Phone,Company\r\n"
    "1,Maximiliane Oberhauser-Wittgenstein,maximiliane.oberhauser-wittgenstein@"
    "personalabteilung.example-konzern.de,+49 (0) 40 123456789 ext. 4711,"
    "Internationale Speditions- und Logistikgesellschaft mbH\r\n"
    "2,Ann Archer,ann@example.org,+1 555 0100,Archer & Sons\r\n"
    "3,Bob Baker,bob.baker.from.the.accounting.department@example.org,"
    "+44 20 7946 0958,\r\n"
)
BROKEN_CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN;BROKEN\r\nEND:VCARD\r\n"
# Pages told apart by their route, not by which book, contact or run they show.
_NAMED_BY = ("books", "contacts", "phone")
# Controls of a box that scrolls sideways on purpose (the file preview, the merge's
# contacts side by side): off screen until scrolled to.
_CONTROLS_OFF_SCREEN = """(width) => [...document.querySelectorAll(
    'main button, main summary, main a.button, main input:not([type=hidden]), main select,'
    + ' main tr a')]
  .filter((element) => !element.closest('[role=region], .visually-hidden, [aria-hidden=true]'))
  .filter((element) => { const box = element.getBoundingClientRect();
                         return box.width > 1 && box.height > 1 &&
                                (box.left < -1 || box.right > width + 1); })
  .map((element) => (element.innerText || element.name || element.outerHTML).slice(0, 80))"""


def fill(admin: AdminPage, files: Files, dovecot: DovecotServer, account: ImapAccount) -> str:
    """alice's account, filled; the address of her book of long names."""
    fill_duplicates(admin)  # signs alice in; books of people who are the same person
    api = admin.server.session("alice")

    book = api.post("/api/v1/books", json={"display_name": LONG_BOOK})
    assert book.status_code == 201, book.text
    staff = api.post(
        "/api/v1/imports",
        data={"name": "Staff of the Hamburg office", "book": book.json()["id"]},
        files={"file": ("staff-of-the-hamburg-office.csv", io.BytesIO(STAFF.encode()))},
    )
    assert staff.status_code == 201, staff.text
    ran = api.post(f"/api/v1/imports/{staff.json()['id']}/run")
    assert ran.status_code == 200, ran.text
    contacts = api.get(f"/api/v1/books/{book.json()['id']}/contacts").json()["contacts"]
    ann = next(contact for contact in contacts if contact["display_name"] == "Ann Archer")
    deleted = api.delete(f"/api/v1/books/{book.json()['id']}/contacts/{ann['id']}")
    assert deleted.status_code == 204, deleted.text  # into the trash

    files.served["/exports/2024/customers-and-suppliers-of-the-hamburg-office.csv"] = STAFF.encode()
    remote_sync(
        admin.server,
        files,
        "Customers (nightly)",
        "/exports/2024/customers-and-suppliers-of-the-hamburg-office.csv",
    )
    files.served["/gone.csv"] = STAFF.encode()
    remote_sync(admin.server, files, "Old list that is gone", "/gone.csv")
    del files.served["/gone.csv"]  # its runs now fail
    for source in api.get("/api/v1/syncs").json()["syncs"]:
        api.post(f"/api/v1/syncs/{source['id']}/run")

    connect_by_api(admin, dovecot, account, account.username)

    cards = make_card(
        "p1",
        "Maximiliane Oberhauser-Wittgenstein",
        emails=["maximiliane.oberhauser-wittgenstein@personalabteilung.example-konzern.de"],
        tels=["+49 (0) 40 123456789 ext. 4711"],
    ) + make_card("p2", "Dr. Bartholomew Fitzgerald-Smythe", emails=["bart@example.org"])
    pushed = api.post(
        f"/api/v1/devices/{DEVICE}/push",
        data=(cards + BROKEN_CARD).encode(),
        headers={"Content-Type": "text/vcard"},
    )
    assert pushed.status_code == 200, pushed.text

    for name in ("Thunderbird on the office workstation in room 4.17", "iPad"):
        made = api.post("/api/v1/app-passwords", json={"name": name})
        assert made.status_code == 201, made.text

    gone = api.post("/api/v1/books", json={"display_name": "Christmas cards 2023"})
    assert api.delete(f"/api/v1/books/{gone.json()['id']}").status_code == 204
    phone_deletes_the_book(admin.server)
    return f"/admin/books/{book.json()['id']}/"


def shape(path: str) -> str:
    shaped: list[str] = []
    for part in path.split("/"):
        named = bool(shaped) and shaped[-1] in _NAMED_BY and part != ""
        shaped.append("*" if named else "N" if part.isdigit() else part)
    return "/".join(shaped)


def admin_links(page: Page) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all(
        "a[href]", "(links) => links.map((link) => link.getAttribute('href'))"
    )
    found = []
    for href in hrefs:
        address = urlsplit(href)
        if address.netloc or not address.path.startswith("/admin/"):
            continue
        if address.path.startswith("/admin/static/") or "progress" in address.path:
            continue
        if address.path.startswith("/admin/api/"):
            continue  # the API reference: its own test at both widths (test_api_docs.py)
        found.append(address.path + (f"?{address.query}" if address.query else ""))
    return found


def every_page(admin: AdminPage, first: str) -> list[str]:
    """Each kind of page once: *first* and the sections, then what their links reach, two
    links deep."""
    seen: dict[str, str] = {}
    frontier = [first, *SECTIONS]
    for _depth in range(3):
        following: list[str] = []
        for address in frontier:
            key = shape(urlsplit(address).path)
            if key in seen:
                continue
            seen[key] = address
            admin.go(address)
            following.extend(admin_links(admin.page))
        frontier = following
    return list(seen.values())


def name_of(address: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", address.strip("/")) or "home"


def test_every_page_fits_a_phone_and_keeps_its_desktop_layout(
    admin: AdminPage,
    phone: AdminPage,
    files: Files,
    dovecot: DovecotServer,
    account: ImapAccount,
) -> None:
    pages = every_page(admin, fill(admin, files, dovecot, account))
    shapes = {shape(urlsplit(address).path) for address in pages}
    # The tour reached the pages with lists of rows, not only the sections.
    for expected in (
        "/admin/books/*/",
        "/admin/books/*/contacts/*",
        "/admin/books/*/trash",
        "/admin/books/*/restore",
        "/admin/runs/N/N",
        "/admin/history/runs/N/undo",
        "/admin/import/N/mapping",
        "/admin/duplicates/merge",
        "/admin/alerts/N",
        "/admin/phone/",
    ):
        assert expected in shapes, "\n".join(sorted(shapes))

    for address in pages:
        admin.go(address)
        admin.shot(f"desktop {name_of(address)}")

    phone.sign_in("alice")
    problems = []
    for address in pages:
        page = phone.go(address)
        phone.shot(name_of(address))
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE_WIDTH:
            problems.append(f"{address}: {width} px wide")
        off_screen = page.evaluate(_CONTROLS_OFF_SCREEN, PHONE_WIDTH)
        if off_screen:
            problems.append(f"{address}: off screen: {off_screen}")
    assert not problems, "\n".join(problems)

    page = phone.go("/admin/syncs/")
    asking = open_confirmation(page.get_by_role("row").filter(has_text="Customers"), "Delete")
    phone.shot("a sync's Delete chosen")
    button = asking.get_by_role("button", name="Yes, delete").bounding_box()
    assert button is not None and button["x"] + button["width"] <= PHONE_WIDTH
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def test_a_checkbox_and_its_long_label_share_a_line_on_a_phone(phone: AdminPage) -> None:
    page = phone.sign_in("alice")
    phone.go("/admin/import/")
    page.get_by_label("Download from an FTP server").check()
    passive = page.get_by_label("Passive mode", exact=False)
    passive.scroll_into_view_if_needed()
    phone.shot("FTP source")
    box = passive.bounding_box()
    label = page.locator("label[for=passive]").bounding_box()
    assert box is not None and label is not None
    assert label["x"] > box["x"] + box["width"], "the label is beside its box"
    assert abs(label["y"] - box["y"]) < box["height"], "on the box's line"
    assert label["x"] + label["width"] <= PHONE_WIDTH

    web = page.get_by_label("Download from a web address (HTTP or HTTPS)")
    words = page.locator("label", has_text="Download from a web address").bounding_box()
    button = web.bounding_box()
    assert button is not None and words is not None
    assert abs(words["y"] - button["y"]) < button["height"], "a radio's label on its line"
