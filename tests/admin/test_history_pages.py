"""History in the admin page, in a real browser against `contacthub serve`: a book's trash
(a contact deleted on the page and restored from it), a contact's versions (one restored),
the undo of a CSV import from its report (with the choice for contacts changed since),
and a book restored to a time, previewed first (an apply refused with a fresh preview
when a contact changed since the preview)."""

from __future__ import annotations

import io
import math
import re
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from contacthub.store import Actor, Store
from contacthub.vcard.parse import item_data
from tests.admin.conftest import AdminPage, artifacts_folder, open_context
from tests.admin.test_books import card, create, stored
from tests.support.browser import Screenshots
from tests.support.servers import ContacthubServer

CSV = (
    b"Id,Name,Email\r\n1,Ann Archer,ann@example.org\r\n2,Bob Baker,bob@example.org\r\n"
    b"3,Cid Carter,cid@example.org\r\n"
)
RUN_LINK = re.compile(r"^Run \d+$")

# Each test has accounts of its own on the module's server (tests/admin/shared_server.py).
pytestmark = pytest.mark.shared_server


def alice(admin: AdminPage) -> str:
    """The account the test's alice is on the module's server (as pages name it)."""
    return admin.server.login("alice")


def contacts_of(server: ContacthubServer, book: str) -> dict[str, dict[str, Any]]:
    """The book's contacts by name, with their cards."""
    api = server.session("alice")
    listed = api.get(f"/api/v1/books/{book}/contacts", params={"limit": 100})
    assert listed.status_code == 200, listed.text
    return {
        contact["display_name"]: stored_in(server, book, contact["id"])
        for contact in listed.json()["contacts"]
    }


def contacts_of_all(server: ContacthubServer, book: str) -> list[str]:
    """The names of every contact of the book, page after page."""
    names: list[str] = []
    while True:
        listed = server.session("alice").get(
            f"/api/v1/books/{book}/contacts", params={"limit": 100, "offset": len(names)}
        )
        assert listed.status_code == 200, listed.text
        found = [contact["display_name"] for contact in listed.json()["contacts"]]
        names += found
        if not found:
            return names


def stored_in(server: ContacthubServer, book: str, contact_id: str) -> dict[str, Any]:
    response = server.session("alice").get(f"/api/v1/books/{book}/contacts/{contact_id}")
    assert response.status_code == 200, response.text
    shown: dict[str, Any] = response.json()
    return shown


def replace(server: ContacthubServer, book: str, contact: dict[str, Any], text: str) -> None:
    """A phone's edit, meanwhile (through the API: another door than the page's)."""
    put = server.session("alice").put(
        f"/api/v1/books/{book}/contacts/{contact['id']}",
        data=text.encode(),
        headers={"Content-Type": "text/vcard", "If-Match": contact["etag"]},
    )
    assert put.status_code == 200, put.text


def flash(page: Page) -> Locator:
    return page.locator("p.flash")


def accept_next_dialog(page: Page) -> None:
    page.once("dialog", lambda dialog: dialog.accept())


def wall_clock(moment: float, zone: str) -> str:
    """The moment as a datetime-local input holds it, on the wall clock of `zone`."""
    return datetime.fromtimestamp(moment, ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M:%S")


def wait_past(moment: float) -> None:
    while time.time() <= moment:
        time.sleep(0.05)


# --- the trash --------------------------------------------------------------------------------


def test_a_contact_deleted_on_the_page_is_found_in_the_trash_and_restored(
    admin: AdminPage,
) -> None:
    ann = create(admin.server, "ann", "Ann Smith", "EMAIL:ann@example.org")
    create(admin.server, "bob", "Bob Jones")
    page = admin.sign_in("alice")
    admin.go(f"/admin/books/contacts/contacts/{ann['id']}")
    accept_next_dialog(page)
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("heading", name="Contacts", exact=True)).to_be_visible()
    admin.shot("the book, with its trash")

    page.get_by_role("link", name="Trash").click()
    expect(page.get_by_role("heading", name="Trash of “Contacts”")).to_be_visible()
    admin.shot("the trash")
    deleted = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Ann Smith"))
    expect(deleted).to_contain_text(f"{alice(admin)}, on this admin page")
    expect(deleted.locator("time")).to_have_attribute("datetime", re.compile(r"^\d{4}-"))
    expect(page.get_by_role("rowheader", name="Bob Jones")).to_have_count(0)

    deleted.get_by_role("button", name="Restore Ann Smith").click()
    admin.shot("restored")
    expect(flash(page)).to_contain_text("1 contact brought back from the trash of 'contacts'.")
    expect(page.get_by_role("status").filter(has_text="The trash is empty.")).to_be_visible()
    assert stored(admin.server, ann["id"])["vcard"] == card(
        "ann", "Ann Smith", "EMAIL:ann@example.org"
    )

    # The restore is a run of its own, which can be undone.
    flash(page).get_by_role("link", name=RUN_LINK).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Restore, run \d+$"))).to_be_visible()
    admin.shot("the restore's run")
    expect(page.get_by_role("link", name="Undo this run…")).to_be_visible()


def test_several_contacts_come_back_selected_or_all_at_once(admin: AdminPage) -> None:
    for uid, name in (("ann", "Ann Smith"), ("bob", "Bob Jones"), ("cid", "Cid Carter")):
        create(admin.server, uid, name)
        deleted = admin.server.session("alice").delete(f"/api/v1/books/contacts/contacts/{uid}.vcf")
        assert deleted.status_code == 204, deleted.text
    page = admin.sign_in("alice")
    admin.go("/admin/books/contacts/trash")
    expect(page.get_by_role("row").filter(has_text="Cid Carter")).to_contain_text(
        f"{alice(admin)}, through the API"
    )
    page.get_by_role("button", name="Restore selected").click()
    expect(flash(page)).to_have_text("Select the contacts to restore.")

    page.get_by_label("Bob Jones").check()
    page.get_by_label("Cid Carter").check()
    page.get_by_role("button", name="Restore selected").click()
    expect(flash(page)).to_contain_text("2 contacts brought back")
    expect(page.get_by_role("rowheader")).to_have_text(["Ann Smith"])
    admin.shot("two of three restored")

    page.get_by_role("button", name="Restore all").click()
    expect(flash(page)).to_contain_text("1 contact brought back")
    assert sorted(contacts_of(admin.server, "contacts")) == ["Ann Smith", "Bob Jones", "Cid Carter"]


# --- a contact's history ----------------------------------------------------------------------


def edit(page: Page, label: str, value: str) -> None:
    page.get_by_role("link", name="Edit").click()
    page.get_by_label(label).fill(value)
    page.get_by_role("button", name="Save").click()
    expect(flash(page)).to_contain_text("Saved")


def test_a_contact_edited_twice_gets_its_first_version_back_from_its_history(
    admin: AdminPage,
) -> None:
    first = card("ann", "Ann Smith", "ORG:Archers Ltd", "TEL:+44 20 7946 0001")
    ann = create(admin.server, "ann", "Ann Smith", "ORG:Archers Ltd", "TEL:+44 20 7946 0001")
    page = admin.sign_in("alice")
    admin.go(f"/admin/books/contacts/contacts/{ann['id']}")
    edit(page, "Organization", "Bakers plc")
    edit(page, "Phone numbers", "+44 20 7946 0999")
    admin.shot("edited twice")

    versions = page.locator("ol.versions > li")
    expect(versions).to_have_count(3)
    expect(versions.nth(0)).to_contain_text("Current")
    expect(versions.nth(0)).to_contain_text("Changed")
    expect(versions.nth(0)).to_contain_text(f"{alice(admin)}, on this admin page")
    expect(versions.nth(0)).to_contain_text("Changed: Phone")
    expect(versions.nth(1)).to_contain_text("Changed: Organization")
    expect(versions.nth(2)).to_contain_text("Created")
    expect(versions.nth(2)).to_contain_text(f"{alice(admin)}, through the API")
    expect(versions.nth(0).get_by_role("button")).to_have_count(0)  # the current one

    page.once("dialog", lambda dialog: dialog.dismiss())
    versions.nth(2).get_by_role("button", name=re.compile("^Restore this version")).click()
    expect(versions).to_have_count(3)  # asked first: nothing changed
    accept_next_dialog(page)
    versions.nth(2).get_by_role("button", name=re.compile("^Restore this version")).click()
    admin.shot("the first version restored")
    expect(flash(page)).to_contain_text("'Ann Smith' restored as it was at")
    expect(page.locator("dl.facts.contact")).to_contain_text("Archers Ltd")
    expect(page.locator("dl.facts.contact")).to_contain_text("+44 20 7946 0001")
    assert stored(admin.server, ann["id"])["vcard"] == first

    expect(versions).to_have_count(4)  # the restore is a new version; the others stay
    expect(versions.nth(0)).to_contain_text("Current")
    expect(
        versions.nth(0).get_by_role("link", name=re.compile(r"^Restore, run \d+$"))
    ).to_be_visible()
    expect(versions.nth(1)).to_contain_text("Changed: Phone")


# --- the undo of a run ------------------------------------------------------------------------


def csv_sync(server: ContacthubServer) -> tuple[int, str]:
    """An uploaded CSV sync of three people, not run yet: its id and its book."""
    made = server.session("alice").post(
        "/api/v1/syncs",
        data={"name": "People"},
        files={"file": ("people.csv", io.BytesIO(CSV), "text/csv")},
    )
    assert made.status_code == 201, made.text
    return made.json()["id"], made.json()["book"]


def preview_counts(page: Page) -> Locator:
    return page.locator(".preview p.counts")


def test_a_csv_import_is_undone_from_its_report_and_the_undo_too(admin: AdminPage) -> None:
    sync_id, book = csv_sync(admin.server)
    page = admin.sign_in("alice")
    admin.go(f"/admin/import/{sync_id}/finish")
    page.get_by_role("button", name="Run import").click()
    expect(page.get_by_role("heading", name="Run of “People”")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("3 added")
    admin.shot("the import's report")
    ann = contacts_of(admin.server, book)["Ann Archer"]
    replace(admin.server, book, ann, ann["vcard"].replace("FN:Ann Archer", "FN:Ann Changed"))

    page.get_by_role("link", name="Undo this run…").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Undo run \d+$"))).to_be_visible()
    admin.shot("the undo's preview")
    later = page.get_by_role("group", name="1 contact changed again after this run")
    expect(later).to_contain_text("Ann Changed")
    expect(page.get_by_label("Skip them: leave them as they are now")).to_be_checked()
    expect(preview_counts(page)).to_have_text("2 removed.")
    expect(page.locator("details.planned").first).to_contain_text("Bob Baker")
    expect(page.locator("details.planned").first).to_contain_text("Cid Carter")
    expect(page.locator("details.planned").nth(1)).to_contain_text("Ann Changed")  # left

    page.get_by_label(re.compile("^Undo them too")).check()
    page.get_by_role("button", name="Update the preview").click()
    expect(preview_counts(page)).to_have_text("3 removed.")
    admin.shot("the preview with the later change undone too")
    page.get_by_label(re.compile("^Skip them")).check()
    page.get_by_role("button", name="Update the preview").click()
    expect(preview_counts(page)).to_have_text("2 removed.")

    page.get_by_role("button", name="Undo the run").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Undo, run \d+$"))).to_be_visible()
    admin.shot("the undo's run")
    expect(page.get_by_role("status")).to_contain_text(
        "2 removed, 1 changed again since, left as they are"
    )
    assert sorted(contacts_of(admin.server, book)) == ["Ann Changed"]
    undo_page = page.url

    # The book's trash names the undo as what deleted them, with a link to its run.
    admin.go(f"/admin/books/{book}/trash")
    admin.shot("the trash after the undo")
    deleted_by = page.get_by_role("row").filter(has_text="Bob Baker").locator("td.who")
    deleted_by.get_by_role("link", name=re.compile(r"^Undo, run \d+$")).click()
    expect(page).to_have_url(undo_page)

    # The undo is undoable in turn: Bob and Cid come back as they were.
    page.get_by_role("link", name="Undo this run…").click()
    expect(preview_counts(page)).to_have_text("2 brought back.")
    page.get_by_role("button", name="Undo the run").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Undo, run \d+$"))).to_be_visible()
    assert sorted(contacts_of(admin.server, book)) == ["Ann Changed", "Bob Baker", "Cid Carter"]


def test_a_runs_address_opens_its_report_for_its_owner_only(admin: AdminPage) -> None:
    sync_id, _book = csv_sync(admin.server)
    ran = admin.server.session("alice").post(f"/api/v1/imports/{sync_id}/run")
    assert ran.status_code == 200, ran.text
    run_id = ran.json()["id"]
    page = admin.sign_in("alice")
    admin.go(f"/admin/history/runs/{run_id}")  # as a card's history links a source's run
    expect(page).to_have_url(re.compile(f"/admin/runs/{sync_id}/{run_id}$"))
    expect(page.get_by_role("heading", name="Run of “People”")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    page = admin.sign_in("bob")
    for path in (f"/admin/history/runs/{run_id}", f"/admin/history/runs/{run_id}/undo"):
        response = page.goto(admin.server.url + path)
        assert response is not None and response.status == 404
        expect(page.get_by_role("alert")).to_have_text(f"There is no run {run_id}.")
    admin.shot("another account's run")


# --- a book restored to a time ----------------------------------------------------------------


def test_a_book_is_restored_to_a_time_before_a_deletion_after_its_preview(
    admin: AdminPage,
) -> None:
    server = admin.server
    ann = create(server, "ann", "Ann Smith", "EMAIL:ann@example.org")
    create(server, "bob", "Bob Jones", "TEL:+44 20 7946 0002")
    create(server, "cid", "Cid Carter")
    then = math.ceil(time.time())  # a whole second after every card above was written
    wait_past(then + 0.5)
    assert server.session("alice").delete("/api/v1/books/contacts/contacts/bob.vcf").ok
    replace(server, "contacts", ann, card("ann", "Ann Jones", "EMAIL:ann@example.org"))
    create(server, "dee", "Dee Dunn")

    page = admin.sign_in("alice")
    admin.go("/admin/books/contacts/")
    page.get_by_role("link", name="Restore to a time").click()
    expect(page.get_by_role("heading", name="Restore “Contacts” to a time")).to_be_visible()
    admin.shot("the restore form")
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    page.get_by_label("Date and time").fill(wall_clock(then, "Europe/Berlin"))
    page.get_by_role("button", name="Preview").click()
    admin.shot("the preview")
    expect(preview_counts(page)).to_have_text("1 brought back, 1 reverted, 1 removed.")
    planned = page.locator("details.planned")
    expect(planned).to_have_count(3)
    expect(planned.nth(0)).to_contain_text("Bob Jones")
    expect(planned.nth(1)).to_contain_text("Ann Smith")  # the name it gets back
    expect(planned.nth(2)).to_contain_text("Dee Dunn")

    # A phone changes Ann after the preview: the apply refuses, and shows the book as it is.
    now = contacts_of(server, "contacts")["Ann Jones"]
    replace(server, "contacts", now, card("ann", "Ann Jones-Smith", "EMAIL:ann@example.org"))
    page.get_by_role("button", name="Restore", exact=True).click()
    admin.shot("changed since the preview")
    expect(page.get_by_role("alert")).to_have_text(
        "Contacts changed since the preview was made; nothing was restored. "
        "Look at the preview again."
    )
    expect(preview_counts(page)).to_have_text("1 brought back, 1 reverted, 1 removed.")
    assert sorted(contacts_of(server, "contacts")) == ["Ann Jones-Smith", "Cid Carter", "Dee Dunn"]

    page.get_by_role("button", name="Restore", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Restore, run \d+$"))).to_be_visible()
    admin.shot("restored to the time")
    expect(page.get_by_role("status")).to_contain_text("1 brought back, 1 reverted, 1 removed")
    restored = contacts_of(server, "contacts")
    assert sorted(restored) == ["Ann Smith", "Bob Jones", "Cid Carter"]
    assert restored["Ann Smith"]["vcard"] == card("ann", "Ann Smith", "EMAIL:ann@example.org")
    assert restored["Bob Jones"]["vcard"] == card("bob", "Bob Jones", "TEL:+44 20 7946 0002")


def test_a_mass_deletion_lists_500_in_the_trash_folds_its_preview_and_all_come_back(
    admin: AdminPage,
) -> None:
    """A phone deletes 501 contacts: the trash lists the last 500 and says how many more,
    its next page the first one deleted, the restore's preview folds its long list, and
    Restore all brings back every one."""
    phone = Actor(alice(admin), "carddav", "DAVx5/4.4.2-ose (2024/05/01; okhttp/4.12.0)")
    names = [f"Person {number:03d}" for number in range(501)]
    page = admin.sign_in("alice")  # the account's book exists from here on
    store = Store.open(f"sqlite:///{admin.server.data_dir / 'contacthub.db'}", upgrade=False)
    try:
        with store.write([f"{alice(admin)}/contacts"], actor=phone) as tx:
            book = tx.require_collection(f"{alice(admin)}/contacts")
            for number, name in enumerate(names):
                tx.put_item(book, f"p{number}.vcf", item_data(card(f"p{number}", name)))
        then = math.ceil(time.time())
        wait_past(then + 0.5)
        with store.write([f"{alice(admin)}/contacts"], actor=phone) as tx:
            book = tx.require_collection(f"{alice(admin)}/contacts")
            for number in range(501):
                tx.delete_item(book, f"p{number}.vcf")
    finally:
        store.close()

    admin.go(f"/admin/books/contacts/restore?at={wall_clock(then, 'UTC')}&zone=UTC")
    expect(preview_counts(page)).to_have_text("501 brought back.")
    folded = page.locator("details.planned")
    expect(folded).not_to_have_attribute("open", "")
    expect(folded.locator("li")).to_have_count(501)  # 500 names, then how many more
    expect(folded.locator("li").last).to_have_text("and 1 more")
    admin.shot("a long preview, folded")

    admin.go("/admin/books/contacts/trash")
    expect(page.get_by_role("rowheader")).to_have_count(500)
    expect(page.locator("p.count")).to_contain_text("1 more are in the trash too")
    expect(page.locator("table.trash tbody tr").first).to_contain_text(
        f"{alice(admin)}, with a CardDAV client (DAVx5/4.4.2-ose)"
    )
    admin.shot("a trash of 501")
    page.get_by_role("link", name="Next").click()
    expect(page.get_by_role("rowheader")).to_have_text(["Person 000"])  # deleted first
    expect(page.locator("p.count")).to_contain_text("Listed: 501 to 501 of the 501 in the trash")
    admin.shot("the trash's second page")
    page.set_viewport_size({"width": 390, "height": 844})
    admin.shot("the trash's second page on a phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("link", name="Previous").click()
    expect(page.get_by_role("rowheader")).to_have_count(500)
    admin.shot("the trash's first page on a phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Restore all").click()
    expect(flash(page)).to_contain_text("501 contacts brought back")
    assert sorted(contacts_of_all(admin.server, "contacts")) == names


def test_a_time_outside_the_history_is_refused_next_to_its_field(admin: AdminPage) -> None:
    page = admin.sign_in("alice")
    admin.go("/admin/books/contacts/restore")
    page.get_by_label("Date and time").fill("2001-01-01T00:00:00")
    page.get_by_role("button", name="Preview").click()
    admin.shot("too long ago")
    described = page.get_by_label("Date and time").get_attribute("aria-describedby") or ""
    assert "at-error" in described.split()
    expect(page.locator("#at-error")).to_have_text(
        "The history goes back 30 days; choose a time within them."
    )
    expect(page.locator(".preview")).to_have_count(0)


def test_times_are_in_the_browsers_zone_and_a_new_form_starts_there(
    browser: Browser, admin_server: ContacthubServer, request: pytest.FixtureRequest
) -> None:
    zone = "America/New_York"
    create(admin_server, "ann", "Ann Smith")
    deleted = admin_server.session("alice").delete("/api/v1/books/contacts/contacts/ann.vcf")
    assert deleted.status_code == 204, deleted.text
    context = open_context(browser, viewport={"width": 1280, "height": 900}, timezone_id=zone)
    tab = AdminPage(context.new_page(), admin_server, Screenshots(artifacts_folder(request)))
    page = tab.sign_in("alice")

    tab.go("/admin/books/contacts/trash")
    tab.shot("the trash in New York")
    shown = page.locator("td.when time")
    at = datetime.fromisoformat(shown.get_attribute("datetime") or "").astimezone(ZoneInfo(zone))
    expect(shown).to_contain_text(at.strftime("%-I:%M:%S %p"))

    before = math.floor(time.time())
    tab.go("/admin/books/contacts/restore")
    tab.shot("a new restore form in New York")
    expect(page.get_by_label("Time zone")).to_have_value(zone)
    wall = datetime.fromisoformat(page.get_by_label("Date and time").input_value())
    assert before <= wall.replace(tzinfo=ZoneInfo(zone)).timestamp() <= time.time()
    context.close()


# --- on a phone -------------------------------------------------------------------------------


def test_the_history_pages_fit_a_phone(phone: AdminPage) -> None:
    server = phone.server
    long_name = "Ann Smith-Featherstonehaugh of Consolidated Holdings"
    ann = create(server, "ann", long_name, "ORG:Archers Ltd")
    create(server, "bob", "Bob Jones")
    then = math.ceil(time.time())
    wait_past(then + 0.5)
    replace(server, "contacts", ann, card("ann", long_name, "ORG:Bakers plc"))
    assert server.session("alice").delete("/api/v1/books/contacts/contacts/bob.vcf").ok
    sync_id, _book = csv_sync(server)
    ran = server.session("alice").post(f"/api/v1/imports/{sync_id}/run")
    assert ran.status_code == 200, ran.text

    page = phone.sign_in("alice")
    for name, path in (
        ("book", "/admin/books/contacts/"),
        ("trash", "/admin/books/contacts/trash"),
        ("contact", f"/admin/books/contacts/contacts/{ann['id']}"),
        ("restore form", "/admin/books/contacts/restore"),
        ("undo preview", f"/admin/history/runs/{ran.json()['id']}/undo"),
    ):
        phone.go(path)
        phone.shot(name)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
    phone.go(f"/admin/books/contacts/restore?at={wall_clock(then, 'UTC')}&zone=UTC")
    expect(preview_counts(page)).to_have_text("1 brought back, 1 reverted.")
    phone.shot("restore preview")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.go("/admin/books/contacts/trash")
    page.get_by_role("button", name="Restore Bob Jones").tap()
    expect(flash(page)).to_contain_text("1 contact brought back")
    phone.shot("restored on a phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
