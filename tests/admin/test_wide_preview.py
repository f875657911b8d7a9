"""The wizard's preview of a wide file (36 columns, as Outlook's and Google's exports are):
one line per row, the first column in place while the rest scroll, the scrolling told and
drawn, at a desktop's width and a phone's."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.admin.conftest import AdminPage

# Each test has accounts of its own on the module's server (tests/admin/shared_server.py).
pytestmark = pytest.mark.shared_server

COLUMNS = 36


def wide_file(folder: Path) -> Path:
    header = ["Name", *(f"Field {n} of the export" for n in range(2, COLUMNS + 1))]
    rows = [
        [
            f"Person {row}",
            *(
                f"A long value of column {n} in row {row} that is longer than a cell shows"
                for n in range(2, COLUMNS + 1)
            ),
        ]
        for row in range(1, 6)
    ]
    path = folder / "wide.csv"
    path.write_text("\n".join(",".join(cells) for cells in [header, *rows]) + "\n", "utf-8")
    return path


def open_preview(admin: AdminPage, path: Path) -> Page:
    page = admin.sign_in("alice")
    admin.go("/admin/import/")
    page.get_by_label("Upload a file").check()
    page.get_by_label("CSV file").set_input_files(path)
    page.get_by_role("button", name="Next", exact=True).click()
    expect(page.locator('.steps [aria-current="step"]')).to_contain_text("Preview")
    return page


def cell_box(page: Page, text: str) -> dict[str, float]:
    box = page.get_by_role("cell", name=text, exact=True).bounding_box()
    assert box is not None
    return box


def check_wide_preview(page: Page, width: int) -> None:
    expect(page.get_by_text(f"{COLUMNS} columns: scroll the table sideways")).to_be_visible()
    scroller = page.locator(".preview-scroll")
    assert scroller.evaluate("el => el.scrollWidth > el.clientWidth")
    assert scroller.evaluate("el => getComputedStyle(el).overflowX") == "scroll"
    # One line per row: a row is as tall as the header's line, not a column of wrapped words.
    heights = page.locator(".wizard-preview tbody tr").evaluate_all(
        "rows => rows.map(row => row.getBoundingClientRect().height)"
    )
    assert max(heights) < 48, heights
    # The fade that says more lies to the right, until the end is reached.
    frame = page.locator(".scroll-frame")
    expect(frame).not_to_have_class("scroll-frame wide at-end")
    before = cell_box(page, "Person 1")
    scroller.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    expect(frame).to_have_class("scroll-frame wide at-end")
    after = cell_box(page, "Person 1")
    assert after["x"] == before["x"], "the first column scrolled away"
    last = page.get_by_role("columnheader", name=f"Field {COLUMNS} of the export")
    expect(last).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_wide_file_reads_row_by_row_on_a_desktop(admin: AdminPage, tmp_path: Path) -> None:
    page = open_preview(admin, wide_file(tmp_path))
    admin.shot("preview of 36 columns")
    check_wide_preview(page, 1280)
    admin.shot("preview of 36 columns scrolled to the end")


def test_a_wide_file_reads_row_by_row_on_a_phone(phone: AdminPage, tmp_path: Path) -> None:
    page = open_preview(phone, wide_file(tmp_path))
    phone.shot("preview of 36 columns on a phone")
    check_wide_preview(page, 390)
    phone.shot("preview of 36 columns on a phone, scrolled to the end")
