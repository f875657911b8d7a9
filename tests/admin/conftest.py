"""The admin page in a real browser: `contacthub serve` on 127.0.0.1, Debian's Chromium
driven by Playwright, and screenshots under tests/artifacts/admin/<test>/ (ignored by
git) of the pages a person reviews (a test's own `shot`) and of the page a failed test
ended on.

    def test_something(admin: AdminPage) -> None:
        admin.sign_in("alice")
        admin.go("/admin/books/")
        admin.shot("books")
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Locator,
    Page,
    expect,
)

from tests.admin.shared_server import OwnAccounts
from tests.support.browser import ARTIFACTS, Screenshots
from tests.support.servers import ConfigSections, ContacthubServer

USERS = {"alice": "alice-password", "bob": "bob-password"}
SERVER_CONFIG = {
    # The tests' own HTTP, FTP, IMAP and EWS servers are on loopback.
    "fetch": {"allowed_networks": "127.0.0.0/8", "timeout": "10"},
    "auth": {"delay": "0"},
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "shared_server: the module's tests share one serve, each with accounts of its own "
        "(tests/admin/shared_server.py)",
    )


@pytest.fixture(scope="module")
def server_config() -> ConfigSections:
    """The settings of the module's servers (a module may define its own)."""
    return SERVER_CONFIG


@pytest.fixture(scope="module")
def module_server(
    tmp_path_factory: pytest.TempPathFactory, server_config: ConfigSections
) -> Iterator[ContacthubServer]:
    """The one `serve` of a module marked shared_server (its first start's admin aside,
    it has only the accounts its tests make)."""
    data = tmp_path_factory.mktemp("admin-module") / "data"
    with ContacthubServer(data, users={}, config=server_config) as server:
        yield server


@pytest.fixture
def admin_server(
    tmp_path: Path, request: pytest.FixtureRequest, server_config: ConfigSections
) -> Iterator[ContacthubServer]:
    """The test's server with alice and bob: its own, or in a module marked shared_server
    the module's, with an alice and a bob made for this test."""
    if request.node.get_closest_marker("shared_server"):
        yield OwnAccounts.made_on(request.getfixturevalue("module_server"), USERS)
        return
    with ContacthubServer(tmp_path / "data", users=USERS, config=server_config) as server:
        yield server


# What Chromium says on the console when the Content-Security-Policy blocks something.
_CSP_VIOLATIONS: list[str] = []


def _note_csp_violation(message: ConsoleMessage) -> None:
    if message.type == "error" and "Content Security Policy" in message.text:
        _CSP_VIOLATIONS.append(f"{message.page.url if message.page else '?'}: {message.text}")


def open_context(browser: Browser, **options: Any) -> BrowserContext:
    """A new browser profile whose CSP violations fail the test."""
    context = browser.new_context(**options)
    context.set_default_timeout(20_000)
    context.on("console", _note_csp_violation)
    return context


@pytest.fixture(autouse=True)
def no_csp_violations() -> Iterator[None]:
    """A page whose own script or style the policy blocks would work only in tests."""
    _CSP_VIOLATIONS.clear()
    yield
    assert not _CSP_VIOLATIONS, "\n".join(_CSP_VIOLATIONS)


class AdminPage:
    """A browser tab on the admin page of one server, with its screenshots."""

    def __init__(self, page: Page, server: ContacthubServer, shots: Screenshots) -> None:
        self.page = page
        self.server = server
        self.shots = shots

    def go(self, path: str) -> Page:
        self.page.goto(self.server.url + path)
        return self.page

    def shot(self, name: str) -> Path:
        return self.shots.take(self.page, name)

    def sign_in(self, user: str = "alice", password: str | None = None) -> Page:
        self.go("/admin/")
        self.page.get_by_label("User name").fill(self.server.login(user))
        self.page.get_by_label("Password").fill(password or self.server.users[user])
        self.page.get_by_role("button", name="Sign in").click()
        expect(self.page.get_by_role("button", name="Sign out")).to_be_visible()
        return self.page


def open_confirmation(scope: Page | Locator, action: str) -> Locator:
    """A destructive action's "Delete…" opened: its question and the button that does it."""
    page = scope if isinstance(scope, Page) else scope.page
    summary = page.locator("summary", has_text=action)
    confirmation = scope.locator("details.confirm").filter(has=summary)
    confirmation.locator("summary").click()
    expect(confirmation.locator(".confirm-body")).to_be_visible()
    return confirmation


def artifacts_folder(request: pytest.FixtureRequest) -> Path:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    return ARTIFACTS / "admin" / f"{request.node.module.__name__.rsplit('.', 1)[-1]}.{name}"


OUTCOMES = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Each phase's report on its test, for the fixtures that shoot a failed test's page."""
    report = yield
    item.stash.setdefault(OUTCOMES, {})[report.when] = report
    return report


def failed(request: pytest.FixtureRequest) -> bool:
    return any(report.failed for report in request.node.stash.get(OUTCOMES, {}).values())


def shot_on_failure(tab: AdminPage, request: pytest.FixtureRequest) -> None:
    """The page a failed test ended on, for the person who reads the failure."""
    if failed(request) and not tab.page.is_closed():
        try:
            tab.shot("at the failure")
        except Error:  # the page itself may be what broke; the failure says the rest
            pass


@pytest.fixture
def admin(
    browser: Browser, admin_server: ContacthubServer, request: pytest.FixtureRequest
) -> Iterator[AdminPage]:
    context = open_context(browser, viewport={"width": 1280, "height": 900})
    tab = AdminPage(context.new_page(), admin_server, Screenshots(artifacts_folder(request)))
    yield tab
    shot_on_failure(tab, request)
    context.close()


@pytest.fixture
def phone(
    browser: Browser, admin_server: ContacthubServer, request: pytest.FixtureRequest
) -> Iterator[AdminPage]:
    """The admin page on a phone-sized screen (390 × 844, touch)."""
    context = open_context(
        browser, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    tab = AdminPage(
        context.new_page(), admin_server, Screenshots(artifacts_folder(request) / "phone")
    )
    yield tab
    shot_on_failure(tab, request)
    context.close()
