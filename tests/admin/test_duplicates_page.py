"""The Duplicates page: the issue's people in four books, lane by lane with why they
matched, a group dismissed with its button (the form's CSRF token), the settings saved;
on a desktop and on a 390 px phone."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from contacthub.store import DuplicateSettings, Store
from tests.admin.conftest import AdminPage
from tests.duplicates.people import NAMESAKE, OWNER, PEOPLE, REGION, write_people


def fill(admin: AdminPage) -> None:
    admin.sign_in(OWNER)  # the server makes the account's rows first
    store = Store.open(f"sqlite:///{admin.server.data_dir / 'contacthub.db'}", upgrade=False)
    try:
        write_people(store)
        with store.write() as tx:
            tx.set_duplicate_settings(OWNER, DuplicateSettings(phone_region=REGION))
    finally:
        store.close()


def open_page(admin: AdminPage) -> Page:
    page = admin.page
    page.get_by_role("link", name="Duplicates").click()
    expect(page.get_by_role("heading", name="Duplicates", exact=True)).to_be_visible()
    return page


def test_the_lanes_with_reasons_and_a_group_dismissed(admin: AdminPage) -> None:
    fill(admin)
    page = open_page(admin)
    safe = page.locator("section.lane").filter(has=page.locator("#lane-safe"))
    expect(safe.locator("li.group")).to_have_count(len(PEOPLE))
    jane = safe.locator("li.group").filter(has_text="Jane Doe").first
    expect(jane).to_contain_text("Same phone: +37255551234")
    expect(jane).to_contain_text("Same email: jane.doe@example.com")
    contact = page.locator("section.lane").filter(has=page.locator("#lane-contact"))
    expect(contact.locator("li.group")).to_have_count(1)
    expect(contact).to_contain_text(NAMESAKE)
    expect(safe).not_to_contain_text(NAMESAKE)
    expect(page.get_by_text("Not looked for")).to_be_visible()
    admin.shot("lanes")
    page.screenshot(path=str(admin.shots.folder / "lanes-first-screen.png"))

    contact.get_by_role("button", name="Not the same person").click()
    expect(page.get_by_text(f"Dismissed: “{NAMESAKE}”")).to_be_visible()
    contact = page.locator("section.lane").filter(has=page.locator("#lane-contact"))
    expect(contact.locator("li.group")).to_have_count(0)
    admin.shot("dismissed")


def test_the_settings_turn_on_the_name_lane(admin: AdminPage) -> None:
    fill(admin)
    page = open_page(admin)
    expect(page.get_by_label("Phone numbers without a country code are from")).to_have_value(REGION)
    page.get_by_label("Offer contacts whose names alone match").check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    names = page.locator("section.lane").filter(has=page.locator("#lane-name"))
    expect(names.locator("li.group")).to_have_count(2)
    expect(names).to_contain_text("Same similar name: kristjan saar ~ kristjan saare")
    admin.shot("name lane")


def test_on_a_phone(phone: AdminPage) -> None:
    fill(phone)
    page = phone.page
    phone.go("/admin/duplicates/")
    expect(page.get_by_role("heading", name="Duplicates", exact=True)).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width}px"
    button = page.locator("li.group").first.get_by_role("button", name="Not the same person")
    box = button.bounding_box()
    assert box is not None and box["height"] >= 40 and box["x"] + box["width"] <= 390
    phone.shot("lanes")
    page.screenshot(path=str(phone.shots.folder / "lanes-first-screen.png"))
    page.locator("#settings-title").scroll_into_view_if_needed()
    page.screenshot(path=str(phone.shots.folder / "settings-screen.png"))


def test_a_group_reviewed_and_merged_from_its_lane(admin: AdminPage) -> None:
    fill(admin)
    page = open_page(admin)
    safe = page.locator("section.lane").filter(has=page.locator("#lane-safe"))
    jane = safe.locator("li.group").filter(has_text="Jane Doe").first
    jane.get_by_role("link", name="Review and merge").click()
    expect(page.get_by_role("heading", name="Merge 4 contacts")).to_be_visible()
    expect(page.get_by_role("checkbox", name="jane.doe@example.com").first).to_be_checked()
    admin.shot("a group side by side")
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("4 contacts are now one")
    admin.shot("the group merged")
    page = open_page(admin)
    safe = page.locator("section.lane").filter(has=page.locator("#lane-safe"))
    expect(safe.locator("li.group")).to_have_count(len(PEOPLE) - 1)
    expect(safe).not_to_contain_text("Jane Doe")
