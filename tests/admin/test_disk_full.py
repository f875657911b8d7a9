"""The admin page on a full disk: a change that cannot be saved says so where the page puts
its errors, and the pages go on showing what is stored.

The store lives on a small tmpfs that a filler file fills (tests/support/disks.py), so
SQLite meets a full disk as in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from tests.admin.conftest import SERVER_CONFIG, USERS, AdminPage, artifacts_folder, open_context
from tests.support.browser import Screenshots
from tests.support.disks import SmallDisk
from tests.support.servers import ContacthubServer

FULL = "The server's disk is full: the change was not saved. Ask the administrator to free space."
CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:ann\r\nFN:Ann Smith\r\nEND:VCARD\r\n"


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[SmallDisk]:
    with SmallDisk(tmp_path / "disk", 16 * 1024 * 1024) as small:
        yield small


@pytest.fixture
def admin_on_small_disk(
    browser: Browser, disk: SmallDisk, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[AdminPage]:
    store_url = f"sqlite:///{disk.path / 'contacthub.db'}"
    alice = {"alice": USERS["alice"]}
    server = ContacthubServer(tmp_path / "data", alice, config=SERVER_CONFIG, store_url=store_url)
    with server:
        context = open_context(browser, viewport={"width": 1280, "height": 900})
        yield AdminPage(context.new_page(), server, Screenshots(artifacts_folder(request)))
        context.close()


def stored(server: ContacthubServer, contact_id: str) -> dict[str, Any]:
    response = server.session("alice").get(f"/api/v1/books/contacts/contacts/{contact_id}")
    assert response.status_code == 200, response.text
    shown: dict[str, Any] = response.json()
    return shown


def test_on_a_full_disk_an_edit_says_so_and_the_pages_go_on(
    admin_on_small_disk: AdminPage, disk: SmallDisk
) -> None:
    admin = admin_on_small_disk
    made = admin.server.session("alice").post(
        "/api/v1/books/contacts/contacts",
        data=CARD.encode(),
        headers={"Content-Type": "text/vcard"},
    )
    assert made.status_code == 201, made.text
    contact = made.json()["id"]
    page = admin.sign_in("alice")
    admin.go(f"/admin/books/contacts/contacts/{contact}/edit")
    disk.fill_under(disk.path / "contacthub.db")

    page.get_by_label("Full name").fill("Ann Jones")
    page.get_by_role("button", name="Save").click()
    admin.shot("not saved: the disk is full")
    expect(page.get_by_role("alert")).to_have_text(FULL)
    expect(page.get_by_label("Full name")).to_have_value("Ann Jones")
    assert stored(admin.server, contact)["vcard"] == CARD

    # Deleting has no form to show it in: the error page says it.
    admin.go(f"/admin/books/contacts/contacts/{contact}")
    expect(page.get_by_role("heading", name="Ann Smith")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    admin.shot("not deleted: the disk is full")
    expect(page.get_by_role("alert")).to_have_text(FULL)
    admin.go("/admin/books/contacts/")
    expect(page.get_by_role("link", name="Ann Smith")).to_be_visible()

    disk.free()
    admin.go(f"/admin/books/contacts/contacts/{contact}/edit")
    page.get_by_label("Full name").fill("Ann Jones")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Ann Jones")).to_be_visible()
    admin.shot("saved once there is room")
    assert "FN:Ann Jones" in stored(admin.server, contact)["vcard"]
