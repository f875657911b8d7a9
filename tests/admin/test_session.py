"""Signing in and out of the admin page, its session cookie and its CSRF protection."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect

from contacthub.config import Settings
from contacthub.store import Store
from contacthub.web import create_app
from tests.admin.conftest import SERVER_CONFIG, USERS, AdminPage, artifacts_folder, open_context
from tests.support.browser import Screenshots
from tests.support.servers import ContacthubServer

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def signed_in(server: ContacthubServer, user: str = "alice") -> tuple[requests.Session, str]:
    """A plain HTTP client signed in to the admin page, and its CSRF token."""
    client = requests.Session()
    token = TOKEN.search(client.get(server.url + "/admin/sign-in").text).group(1)
    answer = client.post(
        server.url + "/admin/sign-in",
        allow_redirects=False,
        data={"username": user, "password": server.users[user], "csrf_token": token},
    )
    assert answer.status_code == 302, answer.text
    page = client.get(server.url + "/admin/books/")
    return client, TOKEN.search(page.text).group(1)


def test_a_wrong_password_is_said_next_to_the_field(admin: AdminPage) -> None:
    page = admin.go("/admin/books/")
    expect(page).to_have_url(re.compile(r"/admin/sign-in\?next=/admin/books/"))
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill("not her password")
    page.get_by_role("button", name="Sign in").click()
    admin.shot("wrong password")
    password = page.get_by_label("Password")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#password-error")).to_have_text("The user name or password is wrong.")
    expect(page.get_by_label("User name")).to_have_value("alice")


def test_sign_in_returns_to_the_page_asked_for_and_sign_out_ends_it(admin: AdminPage) -> None:
    page = admin.go("/admin/syncs/")
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill(USERS["alice"])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(admin.server.url + "/admin/syncs/")
    admin.shot("signed in")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    admin.shot("signed out")
    admin.go("/admin/syncs/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def _second_process(server: ContacthubServer, tmp_path: Path) -> ContacthubServer:
    """Another `serve` of the same data directory and store (users already made)."""
    second = ContacthubServer(server.data_dir, users={}, config=SERVER_CONFIG)
    second.users.update(server.users)
    second._users_created = True
    second.log_path = tmp_path / "second-serve.log"
    return second


def test_signing_out_ends_the_session_on_the_server(
    admin: AdminPage, browser: Browser, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    folder = artifacts_folder(request)
    laptop = AdminPage(
        open_context(browser).new_page(), admin.server, Screenshots(folder / "laptop")
    )
    laptop.sign_in("alice")
    admin.sign_in("alice")
    copied = admin.page.context.cookies()
    thief_context = open_context(browser)
    thief = AdminPage(thief_context.new_page(), admin.server, Screenshots(folder / "thief"))

    def with_the_copy(server: ContacthubServer) -> Page:
        thief_context.clear_cookies()  # a refused cookie is replaced: put the copy back
        thief_context.add_cookies(copied)  # type: ignore[arg-type]
        thief.page.goto(server.url + "/admin/books/")
        return thief.page

    second = _second_process(admin.server, tmp_path).start()
    try:
        for server in (admin.server, second):
            expect(with_the_copy(server).get_by_role("button", name="Sign out")).to_be_visible()
        admin.page.get_by_role("button", name="Sign out").click()
        expect(admin.page.get_by_text("You are signed out.")).to_be_visible()
        for server in (admin.server, second):
            page = with_the_copy(server)
            expect(page).to_have_url(re.compile(r"/admin/sign-in\?next=/admin/books/"))
            expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
            thief.shot(f"copied cookie refused by {server.port}")
    finally:
        second.stop()
    laptop.go("/admin/books/")
    expect(laptop.page.get_by_role("button", name="Sign out")).to_be_visible()
    laptop.shot("still signed in")
    admin.sign_in("alice")
    admin.go("/admin/syncs/")
    expect(admin.page).to_have_url(admin.server.url + "/admin/syncs/")


def test_sign_in_with_the_keyboard_only(admin: AdminPage) -> None:
    page = admin.go("/admin/")
    expect(page.get_by_label("User name")).to_be_focused()  # autofocus
    page.keyboard.type("alice")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(USERS["alice"])
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    admin.shot("signed in by keyboard")


def test_the_pages_fit_a_phone_screen(phone: AdminPage) -> None:
    page = phone.go("/admin/")
    phone.shot("sign in")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    phone.sign_in("alice")
    for path in (
        "/admin/books/",
        "/admin/import/",
        "/admin/syncs/",
        "/admin/accounts/",
        "/admin/phone/",
    ):
        phone.go(path)
        phone.shot(path.strip("/").replace("/", "-"))
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path


def test_a_new_password_ends_the_sessions_of_the_old_one(admin_server: ContacthubServer) -> None:
    client, _ = signed_in(admin_server)
    assert client.get(admin_server.url + "/admin/books/", allow_redirects=False).status_code == 200
    admin_server.cli("user", "passwd", "alice", input="a new password\n")
    answer = client.get(admin_server.url + "/admin/books/", allow_redirects=False)
    assert answer.status_code == 302
    assert "/admin/sign-in" in answer.headers["Location"]


def test_signing_in_never_sends_the_browser_to_another_site(admin_server: ContacthubServer) -> None:
    client = requests.Session()
    url = admin_server.url + "/admin/sign-in?next=//evil.example/admin/"
    token = TOKEN.search(client.get(url).text).group(1)
    answer = client.post(
        url,
        allow_redirects=False,
        data={"username": "alice", "password": USERS["alice"], "csrf_token": token},
    )
    assert answer.headers["Location"] == "/admin/"


def _session_cookie(answer: requests.Response) -> str:
    cookies = [value for key, value in answer.raw.headers.items() if key == "Set-Cookie"]
    found = [cookie for cookie in cookies if cookie.startswith("contacthub_session=")]
    assert found, cookies
    return found[0]


def _sign_in_answer(server: ContacthubServer, headers: dict[str, str]) -> requests.Response:
    client = requests.Session()
    token = TOKEN.search(client.get(server.url + "/admin/sign-in", headers=headers).text).group(1)
    return client.post(
        server.url + "/admin/sign-in",
        allow_redirects=False,
        headers=headers,
        data={"username": "alice", "password": USERS["alice"], "csrf_token": token},
    )


def test_the_session_cookie_is_httponly_and_samesite(admin_server: ContacthubServer) -> None:
    cookie = _session_cookie(_sign_in_answer(admin_server, {"X-Forwarded-Proto": "https"}))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    # Plain HTTP, and no proxy is trusted: a client's own header does not make it TLS.
    assert "Secure" not in cookie


def test_behind_a_trusted_tls_proxy_the_session_cookie_is_secure(tmp_path: Path) -> None:
    config = {**SERVER_CONFIG, "contacthub": {"trusted_proxy": "127.0.0.1"}}
    with ContacthubServer(tmp_path / "data", users=USERS, config=config) as server:
        proxied = {
            "X-Forwarded-Proto": "https",
            "Referer": f"https://{server.host}:{server.port}/admin/sign-in",
        }
        form = requests.get(server.url + "/admin/sign-in", headers=proxied, timeout=30)
        first = _session_cookie(form)
        # A client sends a Secure cookie over TLS only; here the proxy is played by hand.
        cookie = {"Cookie": first.split(";", 1)[0]}
        fields = {
            "username": "alice",
            "password": USERS["alice"],
            "csrf_token": TOKEN.search(form.text).group(1),
        }
        signed = requests.post(
            server.url + "/admin/sign-in",
            data=fields,
            timeout=30,
            headers={**proxied, **cookie},
            allow_redirects=False,
        )
        # Over TLS a form must also come from a page of this site (Referer checked).
        foreign = requests.post(
            server.url + "/admin/sign-in",
            data=fields,
            timeout=30,
            headers={**proxied, **cookie, "Referer": "https://evil.example/"},
            allow_redirects=False,
        )
    assert "Secure" in first and "HttpOnly" in first
    assert signed.status_code == 302
    assert "Secure" in _session_cookie(signed)
    assert foreign.status_code == 400


def _routes(tmp_path: Path, method: str) -> list[str]:
    """Every address of the admin page that takes `method`, with numbers for its parts."""
    settings = Settings(data_dir=tmp_path, config_file=tmp_path / "none.conf")
    store = Store.open(f"sqlite:///{tmp_path / 'routes.db'}")
    try:
        app = create_app(settings, store)
    finally:
        store.close()
    routes = []
    for rule in app.url_map.iter_rules():
        if (
            rule.endpoint.startswith("admin.")
            and method in (rule.methods or ())
            and rule.endpoint != "admin.unknown"
        ):
            routes.append(re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "1", rule.rule))
    return routes


def test_every_form_needs_its_csrf_token(admin_server: ContacthubServer, tmp_path: Path) -> None:
    routes = _routes(tmp_path, "POST")
    assert "/admin/sign-out" in routes and len(routes) >= 5, routes
    client, token = signed_in(admin_server)
    for route in routes:
        answer = client.post(admin_server.url + route, data={"name": "x"}, allow_redirects=False)
        assert answer.status_code == 400, (route, answer.status_code)
        assert "did not come from this site" in answer.text, route
        forged = client.post(
            admin_server.url + route,
            allow_redirects=False,
            data={"name": "x", "csrf_token": token + "x"},
        )
        assert forged.status_code == 400, route
    # Still signed in: the refused sign-out did nothing.
    assert client.get(admin_server.url + "/admin/books/", allow_redirects=False).status_code == 200


def test_an_unknown_admin_address_is_a_page_not_json(admin_server: ContacthubServer) -> None:
    client, _ = signed_in(admin_server)
    answer = client.get(admin_server.url + "/admin/no-such-page")
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "There is no such page." in answer.text


@pytest.mark.parametrize("path", ["/admin/books/", "/admin/syncs/", "/admin/runs/1/progress"])
def test_pages_need_a_signed_in_account(admin_server: ContacthubServer, path: str) -> None:
    answer = requests.get(admin_server.url + path, allow_redirects=False, timeout=30)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/admin/sign-in")


SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def _assert_secured(answer: requests.Response) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers.get(name) == value, (answer.url, name, answer.headers)
    policy = answer.headers.get("Content-Security-Policy", "")
    directives = {part.strip() for part in policy.split(";")}
    assert "frame-ancestors 'none'" in directives, (answer.url, policy)
    assert "script-src 'self'" in directives and "unsafe-inline" not in policy, policy


def test_every_admin_page_forbids_framing_and_foreign_content(
    admin_server: ContacthubServer, tmp_path: Path
) -> None:
    routes = _routes(tmp_path, "GET")
    assert {"/admin/", "/admin/books/", "/admin/sign-in"} <= set(routes), routes
    anonymous = requests.get(admin_server.url + "/admin/sign-in", timeout=30)
    assert anonymous.status_code == 200
    _assert_secured(anonymous)
    _assert_secured(requests.get(admin_server.url + "/admin/books/", allow_redirects=False))
    client, _ = signed_in(admin_server)
    extra = ["/admin/static/admin.js", "/admin/static/admin.css", "/admin/no-such-page"]
    for route in [*routes, *extra]:
        answer = client.get(admin_server.url + route, allow_redirects=False)
        assert answer.status_code < 500, (route, answer.status_code)
        _assert_secured(answer)
