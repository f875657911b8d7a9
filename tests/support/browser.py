"""Debian's Chromium, headless, driven by Playwright for Python; screenshots for people.

shots = Screenshots(ARTIFACTS / "admin" / "test_name")
shots.take(page, "sign-in")      # tests/artifacts/admin/test_name/01-sign-in.png
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Error, Page, Playwright, sync_playwright

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
# As root Chromium needs --no-sandbox; the network flags keep it from calling home on a
# machine whose only network is loopback (each refused connection costs time).
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch(playwright: Playwright) -> Browser:
    executable = shutil.which("chromium") or CHROMIUM
    if not Path(executable).exists():
        raise RuntimeError(
            "Chromium is not installed: apt-get install chromium "
            "(./run-tests does it when run as root)"
        )
    return playwright.chromium.launch(executable_path=executable, args=FLAGS)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole session, for every test folder that drives one:
    Playwright's sync API runs one instance at a time."""
    with sync_playwright() as playwright:
        launched = launch(playwright)
        yield launched
        launched.close()


class Screenshots:
    """Numbered full-page screenshots of what a test saw, in one folder per test."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.count = 0

    def take(self, page: Page, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower())}.png"
        for attempt in range(3):
            # A page that navigates on its own (a progress page opening its report) can
            # be replaced while it is taken: wait for the new one and take that.
            # A long page (a trash of 501) takes seconds to shoot on a loaded machine; a
            # screenshot is evidence, not a timing.
            try:
                page.wait_for_load_state()
                page.screenshot(path=str(path), full_page=True, timeout=30_000)
                return path
            except Error:
                if attempt == 2:
                    raise
        return path
