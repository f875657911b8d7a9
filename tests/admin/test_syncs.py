"""The Synchronizations page in a real browser: syncs made through the JSON API of a real
`contacthub serve`, their files served by a small HTTP server on 127.0.0.1 whose answers
a test can hold back (to see a run in progress), Import now, Delete, and another user.
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.admin.conftest import AdminPage, open_confirmation, open_context
from tests.support.browser import ARTIFACTS, Screenshots
from tests.support.net import LOOPBACK
from tests.support.servers import ContacthubServer

PEOPLE = (
    b"Id,Name,Email\r\n1,Ann Archer,ann@example.org\r\n2,Bob Baker,bob@example.org\r\n"
    b"3,Cid Carter,cid@example.org\r\n"
)
SYNCS = "/admin/syncs/"

# Each test has accounts of its own on the module's server (tests/admin/shared_server.py).
pytestmark = pytest.mark.shared_server


# --- a file server whose answers can be held back --------------------------------------


@dataclass
class Files:
    """What the server serves (path → bytes; anything else is 404), and a gate: while it
    is closed, every answer waits (a run stays in progress)."""

    served: dict[str, bytes] = field(default_factory=dict)
    gate: threading.Event = field(default_factory=threading.Event)
    port: int = 0

    def __post_init__(self) -> None:
        self.gate.set()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib name
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        files = self.server.files
        files.gate.wait(timeout=8)  # the app's fetch gives up after 10 s
        body = files.served.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    files: Files


@pytest.fixture
def files() -> Iterator[Files]:
    served = Files({"/people.csv": PEOPLE})
    httpd = _Server((LOOPBACK, 0), _Handler)
    httpd.files = served
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    served.port = int(httpd.server_address[1])
    yield served
    served.gate.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def url_of(files: Files, path: str = "/people.csv") -> str:
    return f"http://{LOOPBACK}:{files.port}{path}"


# --- helpers ----------------------------------------------------------------------------


def remote_sync(
    server: ContacthubServer,
    files: Files,
    name: str,
    path: str = "/people.csv",
    user: str = "alice",
    **body: Any,
) -> dict[str, Any]:
    response = server.session(user).post(
        "/api/v1/syncs", json={"name": name, "source": {"url": url_of(files, path)}, **body}
    )
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def upload_sync(server: ContacthubServer, name: str, filename: str) -> dict[str, Any]:
    response = server.session("alice").post(
        "/api/v1/imports", data={"name": name}, files={"file": (filename, io.BytesIO(PEOPLE))}
    )
    assert response.status_code == 201, response.text
    made: dict[str, Any] = response.json()
    return made


def listed(server: ContacthubServer, user: str = "alice") -> dict[int, dict[str, Any]]:
    syncs = server.session(user).get("/api/v1/syncs").json()["syncs"]
    return {sync["id"]: sync for sync in syncs}


def contact_names(server: ContacthubServer, book: str) -> list[str]:
    page = server.session("alice").get(f"/api/v1/books/{book}/contacts").json()
    return sorted(contact["display_name"] for contact in page["contacts"])


def row(page: Page, name: str) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=name))


def cell(page: Page, name: str, column: int) -> Locator:
    """The row's cell under the column'th heading (0: the name)."""
    return row(page, name).locator("th, td").nth(column)


LATEST, NEXT, GO, STATUS, EDIT, DELETE = 1, 2, 3, 4, 5, 6
GO_BUTTON = re.compile(r"^Go\b")


def go_and_wait_for_report(admin: AdminPage, files: Files, name: str) -> None:
    """Press Go with the file server holding its answer: the progress page shows, then
    (once the file comes) the run's report."""
    page = admin.page
    files.gate.clear()
    row(page, name).get_by_role("button", name=GO_BUTTON).click()
    expect(page.get_by_role("heading", name=f"Running “{name}”")).to_be_visible()
    expect(page.locator("progress")).to_be_visible()
    admin.shot(f"{name} running")
    files.gate.set()
    expect(page.get_by_role("heading", name=f"Run of “{name}”")).to_be_visible()
    admin.shot(f"{name} report")


# --- tests ------------------------------------------------------------------------------


def test_the_list_shows_each_sync_and_import_now_runs_it(admin: AdminPage, files: Files) -> None:
    page = admin.sign_in("alice")
    admin.go(SYNCS)
    expect(page.get_by_text("You have no synchronizations yet.")).to_be_visible()
    expect(page.get_by_role("link", name="Import a CSV file")).to_have_attribute(
        "href", "/admin/import/"
    )
    admin.shot("no syncs")

    server = admin.server
    clients = remote_sync(server, files, "Clients")
    soon = (datetime.now(UTC) + timedelta(hours=3)).replace(second=0, microsecond=0)
    remote_sync(
        server,
        files,
        "Nightly",
        schedule={
            "start": soon.strftime("%Y-%m-%dT%H:%M"),
            "timezone": "UTC",
            "frequency": "daily",
        },
    )
    upload_sync(server, "Team", "team.csv")

    admin.go(SYNCS)
    headings = page.get_by_role("columnheader")
    expect(headings).to_have_text(
        ["Name", "Latest import", "Next import", "Import now", "Status", "Edit", "Delete"]
    )
    expect(page.get_by_role("rowheader")).to_have_text(
        [f"Clients {url_of(files)}", f"Nightly {url_of(files)}", "Team Uploaded file team.csv"]
    )
    expect(cell(page, "Clients", LATEST)).to_have_text("Never")
    expect(cell(page, "Clients", NEXT)).to_have_text("Not scheduled")
    expect(cell(page, "Clients", STATUS)).to_have_text("not run yet")
    expect(cell(page, "Nightly", NEXT)).to_have_text("in 3 hours")
    expect(cell(page, "Nightly", NEXT).locator("time")).to_have_attribute(
        "datetime", soon.isoformat()
    )
    expect(row(page, "Team").get_by_role("button", name=GO_BUTTON)).to_have_count(0)
    expect(row(page, "Clients").get_by_role("link", name="Edit")).to_have_attribute(
        "href", f"/admin/import/{clients['id']}/source"
    )
    admin.shot("three syncs")

    go_and_wait_for_report(admin, files, "Clients")
    added = page.locator("dl.facts dt", has_text="Added").locator("xpath=following-sibling::dd[1]")
    expect(added).to_have_text("3")
    expect(page.get_by_role("status")).to_contain_text("Ok")

    page.get_by_role("link", name="Back to the synchronizations").click()
    expect(cell(page, "Clients", LATEST).locator("time")).to_have_text("seconds ago")
    expect(cell(page, "Clients", STATUS)).to_have_text(
        "ok: 3 added, 0 updated, 0 deleted, 0 unchanged"
    )
    expect(cell(page, "Clients", STATUS)).to_have_class(re.compile(r"\bstatus-ok\b"))
    admin.shot("after import now")

    run = listed(server)[clients["id"]]["latest_run"]
    started = datetime.fromisoformat(run["started_at"])
    time = cell(page, "Clients", LATEST).locator("time")
    expect(time).to_have_attribute("datetime", run["started_at"])
    # The page script shows the exact time in the reader's time zone; the server's is UTC.
    local = page.evaluate("moment => new Date(moment).toLocaleString()", run["started_at"])
    expect(time).to_have_attribute("title", local)
    html = page.request.get(admin.server.url + SYNCS).text()
    assert f'title="{started:%Y-%m-%d %H:%M:%S} UTC"' in html
    assert contact_names(server, clients["book"]) == ["Ann Archer", "Bob Baker", "Cid Carter"]

    page.get_by_role("link", name="seconds ago – the report of “Clients”").click()
    expect(page).to_have_url(re.compile(rf"/admin/runs/{clients['id']}/{run['id']}$"))
    admin.shot("latest import's report")


def test_a_source_that_fails_shows_failed_with_its_message(admin: AdminPage, files: Files) -> None:
    remote_sync(admin.server, files, "Gone")
    del files.served["/people.csv"]
    page = admin.sign_in("alice")
    admin.go(SYNCS)
    admin.shot("before")
    go_and_wait_for_report(admin, files, "Gone")
    expect(page.get_by_role("status")).to_contain_text("Failed")

    page.get_by_role("link", name="Back to the synchronizations").click()
    status = cell(page, "Gone", STATUS)
    expect(status).to_contain_text("failed")
    expect(status).to_contain_text("404")
    expect(status).to_have_class(re.compile(r"\bstatus-failed\b"))
    admin.shot("failed")


def test_delete_asks_first_and_the_contacts_stay(admin: AdminPage, files: Files) -> None:
    server = admin.server
    made = remote_sync(server, files, "Old list")
    assert server.session("alice").post(f"/api/v1/syncs/{made['id']}/run").status_code == 200
    page = admin.sign_in("alice")
    admin.go(SYNCS)
    admin.shot("list")
    expect(row(page, "Old list").locator("button.danger")).to_be_hidden()  # quiet until chosen

    asking = open_confirmation(row(page, "Old list"), "Delete")
    expect(asking).to_contain_text("Delete the sync “Old list”? Its contacts stay.")
    admin.shot("asked")
    asking.locator("summary").click()  # changed their mind
    expect(asking.get_by_role("button", name="Yes, delete")).to_be_hidden()
    expect(row(page, "Old list")).to_have_count(1)
    assert made["id"] in listed(server)

    open_confirmation(row(page, "Old list"), "Delete").get_by_role(
        "button", name="Yes, delete"
    ).click()
    expect(page.get_by_role("status")).to_have_text(
        "The sync “Old list” is deleted. Its contacts stay in their address book."
    )
    expect(row(page, "Old list")).to_have_count(0)
    expect(page.get_by_text("You have no synchronizations yet.")).to_be_visible()
    admin.shot("deleted")
    assert listed(server) == {}
    assert contact_names(server, made["book"]) == ["Ann Archer", "Bob Baker", "Cid Carter"]


def test_a_running_sync_is_not_deleted(admin: AdminPage, files: Files) -> None:
    remote_sync(admin.server, files, "Busy")
    page = admin.sign_in("alice")
    admin.go(SYNCS)
    files.gate.clear()
    row(page, "Busy").get_by_role("button", name=GO_BUTTON).click()
    expect(page.get_by_role("heading", name="Running “Busy”")).to_be_visible()
    admin.shot("running")

    admin.go(SYNCS)
    expect(cell(page, "Busy", STATUS)).to_have_text("running")
    admin.shot("running in the list")
    open_confirmation(row(page, "Busy"), "Delete").get_by_role("button", name="Yes, delete").click()
    expect(page.locator(".flash.error")).to_have_text(
        "The sync 'Busy' is running; delete it when the run has finished."
    )
    expect(row(page, "Busy")).to_have_count(1)
    admin.shot("not deleted")
    files.gate.set()


def test_without_javascript_delete_works_directly(
    browser: Browser, admin_server: ContacthubServer, files: Files, request: pytest.FixtureRequest
) -> None:
    made = remote_sync(admin_server, files, "Plain")
    context = open_context(browser, java_script_enabled=False)
    admin = AdminPage(
        context.new_page(), admin_server, Screenshots(_folder(request, "no-javascript"))
    )
    page = admin.sign_in("alice")
    admin.go(SYNCS)
    admin.shot("list")
    open_confirmation(row(page, "Plain"), "Delete").get_by_role(
        "button", name="Yes, delete"
    ).click()
    expect(page.get_by_role("status")).to_contain_text("The sync “Plain” is deleted.")
    admin.shot("deleted")
    assert made["id"] not in listed(admin_server)
    context.close()


def test_bob_sees_none_of_alices_syncs_and_cannot_touch_them(
    admin: AdminPage, browser: Browser, files: Files, request: pytest.FixtureRequest
) -> None:
    server = admin.server
    made = remote_sync(server, files, "Alice's clients")
    admin.sign_in("alice")
    admin.go(SYNCS)
    expect(row(admin.page, "Alice's clients")).to_have_count(1)
    admin.shot("alice's list")

    context = open_context(browser, viewport={"width": 1280, "height": 900})
    bob = AdminPage(context.new_page(), server, Screenshots(_folder(request, "bob")))
    page = bob.sign_in("bob")
    bob.go(SYNCS)
    expect(page.get_by_text("You have no synchronizations yet.")).to_be_visible()
    bob.shot("bob's list")

    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    for action in (f"/admin/runs/{made['id']}", f"/admin/syncs/{made['id']}/delete"):
        answer = page.request.post(
            server.url + action, form={"csrf_token": token or ""}, max_redirects=0
        )
        assert answer.status == 404, (action, answer.status)
    assert listed(server)[made["id"]]["latest_run"] is None
    assert made["id"] not in listed(server, "bob")
    context.close()


def test_the_list_fits_a_phone(phone: AdminPage, files: Files) -> None:
    remote_sync(phone.server, files, "On the road", path="/people.csv")
    page = phone.sign_in("alice")
    phone.go(SYNCS)
    expect(row(page, "On the road")).to_have_count(1)
    phone.shot("list on a phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def _folder(request: pytest.FixtureRequest, name: str) -> Path:
    """Where a second browser's screenshots go: next to those of the test's own."""
    test = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name)
    return ARTIFACTS / "admin" / f"test_syncs.{test}" / name
