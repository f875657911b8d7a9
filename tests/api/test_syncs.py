"""Saved syncs through the API: remote files over real HTTP and FTP servers on 127.0.0.1,
schedules, Import now, statuses, report emails to a real SMTP server, deletion.

The app may fetch from loopback only (as an admin would allow it), and sends its report
emails to an aiosmtpd server; every response is checked against the OpenAPI document
(tests/api/conftest.py), over SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from contacthub.config import Settings
from contacthub.fetch import FetchPolicy
from contacthub.jobs.scheduler import Scheduler
from contacthub.sources.context import RunContext
from contacthub.store import Lease, Store
from tests.api.conftest import ApiClient
from tests.api.test_imports import error_of, field_of, store_state
from tests.fetch.ftp_server import PASSWORD as FTP_PASSWORD
from tests.fetch.ftp_server import USER as FTP_USER
from tests.fetch.ftp_server import LocalFTPServer
from tests.fetch.http_server import LocalHTTPServer, ServedFile, Site
from tests.support.net import LOOPBACK, free_port
from tests.support.smtp import Mailbox, serve_mailbox

SYNCS = "/api/v1/syncs"
LOOPBACK_ONLY = FetchPolicy(timeout=5, allowed_networks=("127.0.0.0/8",))
LOGIN = ("reader", "pa55-Word!zq")
PEOPLE = (
    b"Id,Name,Email\r\n1,Ann Archer,ann@example.org\r\n2,Bob Baker,bob@example.org\r\n"
    b"3,Cid Carter,cid@example.org\r\n"
)


# --- the app, its clock, and the servers it talks to -----------------------------------


@dataclass
class Clock:
    """What the app's RunContext.now() answers: the real time until a test fixes it."""

    fixed: float | None = None

    def __call__(self) -> float:
        return time.time() if self.fixed is None else self.fixed

    def set(self, moment: datetime) -> None:
        self.fixed = moment.timestamp()


class RecordingClient(ApiClient):
    """Keeps every response body, to check that a password is in none of them."""

    bodies: list[bytes]

    def request(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        response = super().request(method, path, **kwargs)
        self.bodies.append(response.data)
        return response


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[Mailbox]:
    with serve_mailbox(Mailbox(free_port())) as mailbox:
        yield mailbox


@pytest.fixture
def mailbox(smtp_server: Mailbox) -> Mailbox:
    smtp_server.envelopes.clear()
    return smtp_server


@pytest.fixture
def settings(settings: Settings, mailbox: Mailbox) -> Settings:
    settings.fetch_policy = LOOPBACK_ONLY
    settings.smtp = {
        "host": LOOPBACK,
        "port": str(mailbox.port),
        "security": "none",
        "sender": "hub@example.org",
    }
    return settings


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(app: Flask, clock: Clock) -> Flask:
    services = app.extensions["contacthub"]
    app.extensions["contacthub"] = replace(services, syncs=replace(services.syncs, clock=clock))
    return app


@pytest.fixture
def ctx(app: Flask) -> RunContext:
    found: RunContext = app.extensions["contacthub"].syncs
    return found


@pytest.fixture
def api(app: Flask) -> RecordingClient:
    client = RecordingClient(app.test_client())
    client.bodies = []
    return client


@pytest.fixture
def site() -> Site:
    return Site(files={"/people.csv": ServedFile(PEOPLE)})


@pytest.fixture
def ftp(tmp_path: Path) -> Iterator[tuple[Path, LocalFTPServer]]:
    logging.getLogger("pyftpdlib").setLevel(logging.WARNING)
    root = tmp_path / "ftp"
    root.mkdir()
    with LocalFTPServer(root) as server:
        yield root, server


# --- helpers ----------------------------------------------------------------------------


def make(api: ApiClient, **body: Any) -> dict[str, Any]:
    response = api.post(SYNCS, json=body)
    assert response.status_code == 201, response.get_json()
    shown: dict[str, Any] = response.get_json()
    assert response.headers["Location"].endswith(f"{SYNCS}/{shown['id']}")
    return shown


def http_sync(
    api: ApiClient, http: LocalHTTPServer, path: str = "/people.csv", **body: Any
) -> dict[str, Any]:
    return make(api, source={"url": http.url(path)}, **body)


def import_now(api: ApiClient, sync_id: int, **body: Any) -> dict[str, Any]:
    response = api.post(f"{SYNCS}/{sync_id}/run", **({"json": body} if body else {}))
    assert response.status_code == 200, response.get_json()
    run: dict[str, Any] = response.get_json()
    return run


def patch(api: ApiClient, sync_id: int, **body: Any) -> dict[str, Any]:
    response = api.patch(f"{SYNCS}/{sync_id}", json=body)
    assert response.status_code == 200, response.get_json()
    shown: dict[str, Any] = response.get_json()
    return shown


def listed(api: ApiClient, sync_id: int) -> dict[str, Any]:
    """The sync as GET /syncs lists it."""
    (item,) = [s for s in api.get(SYNCS).get_json()["syncs"] if s["id"] == sync_id]
    return item


def names_in(api: ApiClient, book: str) -> list[str]:
    page = api.get(f"/api/v1/books/{book}/contacts?limit=200").get_json()
    return sorted(contact["display_name"] for contact in page["contacts"])


def upload_sync(api: ApiClient, content: bytes = PEOPLE, **form: str) -> dict[str, Any]:
    response = api.post(
        SYNCS,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(content), "people.csv"), **form},
    )
    assert response.status_code == 201, response.get_json()
    shown: dict[str, Any] = response.get_json()
    return shown


def received(mailbox: Mailbox) -> tuple[list[str], Any]:
    (envelope,) = mailbox.envelopes
    return envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)


# --- remote files -----------------------------------------------------------------------


def test_an_http_sync_with_a_login_imports_then_sees_no_changes_then_updates(
    api: RecordingClient, store: Store, site: Site, http: LocalHTTPServer
) -> None:
    site.files["/people.csv"] = ServedFile(PEOPLE, credentials=LOGIN)
    url = http.url("/people.csv")
    shown = make(
        api, name="Clients", source={"url": url, "username": LOGIN[0], "password": LOGIN[1]}
    )
    assert shown["source"] == {
        "type": "http",
        "url": url,
        "username": "reader",
        "has_password": True,
        "passive": True,
    }
    assert (shown["name"], shown["book"], shown["filename"]) == (
        "Clients",
        "from-csv-clients",
        "people.csv",
    )
    assert shown["header"] == ["Id", "Name", "Email"]
    assert shown["preview"][1] == ["2", "Bob Baker", "bob@example.org"]
    assert field_of(shown, "Email") == "email.other"
    assert (shown["status"], shown["status_text"], shown["latest_run"]) == (
        "never",
        "not run yet",
        None,
    )
    assert (shown["schedule"], shown["schedule_text"], shown["next_run"]) == (None, None, None)
    assert api.get(f"{SYNCS}/{shown['id']}").get_json() == shown
    patch(api, shown["id"], key_column="Id", update_existing=True)

    first = import_now(api, shown["id"])
    assert (first["status"], first["trigger"], first["email"]) == ("ok", "manual", "")
    assert first["counts"]["added"] == 3
    item = listed(api, shown["id"])
    assert (item["status"], item["status_text"]) == (
        "ok",
        "ok: 3 added, 0 updated, 0 deleted, 0 unchanged",
    )
    assert item["latest_run"] == first and item["running_since"] is None
    assert names_in(api, shown["book"]) == ["Ann Archer", "Bob Baker", "Cid Carter"]

    again = import_now(api, shown["id"])
    assert (
        again["status"] == "no_changes"
        and again["message"] == "the file is the same as at the last import"
    )
    assert site.requests[-1].get("If-None-Match") == site.files["/people.csv"].etag_value()
    assert (listed(api, shown["id"])["status"], listed(api, shown["id"])["status_text"]) == (
        "no_changes",
        "no changes",
    )

    site.files["/people.csv"] = ServedFile(
        PEOPLE.replace(b"Bob Baker", b"Robert Baker"), credentials=LOGIN
    )
    changed = import_now(api, shown["id"])
    assert changed["status"] == "ok"
    assert (changed["counts"]["updated"], changed["counts"]["unchanged"]) == (1, 2)
    assert listed(api, shown["id"])["status_text"] == (
        "ok: 0 added, 1 updated, 0 deleted, 2 unchanged"
    )
    assert names_in(api, shown["book"]) == ["Ann Archer", "Cid Carter", "Robert Baker"]
    runs = api.get(f"{SYNCS}/{shown['id']}/runs").get_json()["runs"]
    assert [run["id"] for run in runs] == [changed["id"], again["id"], first["id"]]
    assert api.get(f"{SYNCS}/{shown['id']}/runs?limit=1").get_json()["runs"] == [changed]

    assert all(LOGIN[1].encode() not in body for body in api.bodies)
    with store.read() as tx:
        assert LOGIN[1] not in str(tx.require_source(shown["id"]).settings)


def test_a_file_gone_from_the_server_is_a_failed_run(
    api: ApiClient, site: Site, http: LocalHTTPServer
) -> None:
    shown = http_sync(api, http)
    del site.files["/people.csv"]
    run = import_now(api, shown["id"])
    assert run["status"] == "failed" and run["counts"] == {}
    assert f"HTTP 404 for {http.url('/people.csv')}" in run["message"]
    item = listed(api, shown["id"])
    assert item["status"] == "failed"
    assert item["status_text"].startswith("failed: HTTP 404 for ")
    assert item["latest_run"]["id"] == run["id"]


def test_a_source_that_cannot_be_fetched_is_refused_and_nothing_is_made(
    api: ApiClient, store: Store, settings: Settings, site: Site, http: LocalHTTPServer
) -> None:
    site.files["/secret.csv"] = ServedFile(PEOPLE, credentials=LOGIN)
    api.get(SYNCS)  # alice's default book exists before the state is taken
    before = store_state(store)
    missing = error_of(api.post(SYNCS, json={"source": {"url": http.url("/nope.csv")}}), 422)
    assert missing["field"] == "source"
    assert missing["message"].startswith(f"HTTP 404 for {http.url('/nope.csv')}")
    no_login = error_of(api.post(SYNCS, json={"source": {"url": http.url("/secret.csv")}}), 422)
    assert "asks for a user name and password" in no_login["message"]
    assert no_login["field"] == "source.username"
    wrong = {"url": http.url("/secret.csv"), "username": LOGIN[0], "password": "not it"}
    refused = error_of(api.post(SYNCS, json={"source": wrong}), 422)
    assert "the server refused the user name or password" in refused["message"]
    assert refused["field"] == "source.password"
    settings.fetch_policy = FetchPolicy(timeout=5)  # the default: no private addresses
    private = error_of(api.post(SYNCS, json={"source": {"url": http.url("/people.csv")}}), 422)
    assert private["field"] == "source"
    assert f"Address {LOOPBACK} of host {LOOPBACK} is loopback" in private["message"]
    assert "set [fetch] allow_private = true" in private["message"]
    assert store_state(store) == before
    assert api.get(SYNCS).get_json() == {"syncs": []}


def test_an_ftp_sync(api: ApiClient, ftp: tuple[Path, LocalFTPServer]) -> None:
    root, server = ftp
    (root / "people.csv").write_bytes(PEOPLE)
    url = server.url("/people.csv")
    wrong = {"url": url, "username": FTP_USER, "password": "not the password"}
    refused = error_of(api.post(SYNCS, json={"source": wrong}), 422)
    assert refused["field"] == "source.password"
    assert refused["message"].startswith(f"FTP login failed for user {FTP_USER}")
    assert api.get(SYNCS).get_json() == {"syncs": []}
    shown = make(api, source={"url": url, "username": FTP_USER, "password": FTP_PASSWORD})
    assert shown["source"] == {
        "type": "ftp",
        "url": url,
        "username": FTP_USER,
        "has_password": True,
        "passive": True,
    }
    assert shown["name"] == "people" and shown["header"] == ["Id", "Name", "Email"]
    run = import_now(api, shown["id"])
    assert (run["status"], run["counts"]["added"]) == ("ok", 3)
    assert import_now(api, shown["id"])["status"] == "no_changes"
    assert names_in(api, shown["book"]) == ["Ann Archer", "Bob Baker", "Cid Carter"]


def test_changing_the_source_fetches_the_new_file_and_keeps_the_password(
    api: RecordingClient, site: Site, http: LocalHTTPServer
) -> None:
    site.files["/people.csv"] = ServedFile(PEOPLE, credentials=LOGIN)
    site.files["/other.csv"] = ServedFile(
        b"Full name;Mail\r\nDee Dane;dee@example.org\r\n", credentials=LOGIN
    )
    shown = make(
        api, source={"url": http.url("/people.csv"), "username": LOGIN[0], "password": LOGIN[1]}
    )
    shown = patch(api, shown["id"], key_column="Id")
    moved = patch(api, shown["id"], source={"url": http.url("/other.csv"), "username": LOGIN[0]})
    assert moved["source"]["url"] == http.url("/other.csv")
    assert moved["source"]["has_password"] is True
    assert (moved["header"], moved["delimiter"]) == (["Full name", "Mail"], "semicolon")
    assert field_of(moved, "Mail") == "email.other" and moved["key_column"] is None
    run = import_now(api, shown["id"])
    assert (run["status"], run["counts"]["added"]) == ("ok", 1)

    bad_url = error_of(
        api.patch(f"{SYNCS}/{shown['id']}", json={"source": {"url": "gopher://x/a.csv"}}), 422
    )
    assert bad_url["field"] == "source.url"
    to_upload = error_of(
        api.patch(f"{SYNCS}/{shown['id']}", json={"source": {"type": "upload"}}), 422
    )
    assert to_upload["field"] == "source.type"
    unchanged = api.get(f"{SYNCS}/{shown['id']}").get_json()
    assert (unchanged["source"], unchanged["header"]) == (moved["source"], moved["header"])

    in_the_url = http.url("/people.csv").replace("//", f"//{LOGIN[0]}:{LOGIN[1]}@")
    back = patch(api, shown["id"], source={"url": in_the_url})
    assert back["source"] == {
        "type": "http",
        "url": http.url("/people.csv"),
        "username": LOGIN[0],
        "has_password": True,
        "passive": True,
    }
    assert back["header"] == ["Id", "Name", "Email"]
    assert all(LOGIN[1].encode() not in body for body in api.bodies)


def test_the_mass_deletion_guard_refuses_then_is_overridden(
    api: ApiClient, site: Site, http: LocalHTTPServer
) -> None:
    rows = b"".join(b"%d,Person %d,p%d@example.org\r\n" % (n, n, n) for n in range(1, 21))
    site.files["/people.csv"] = ServedFile(b"Id,Name,Email\r\n" + rows)
    shown = http_sync(api, http)
    patch(api, shown["id"], key_column="Id", delete_missing=True)
    assert import_now(api, shown["id"])["counts"]["added"] == 20
    site.files["/people.csv"] = ServedFile(b"Id,Name,Email\r\n1,Person 1,p1@example.org\r\n")
    refused = import_now(api, shown["id"])
    assert refused["status"] == "refused"
    item = listed(api, shown["id"])
    assert item["status"] == "refused"
    assert item["status_text"].startswith("refused by the mass-deletion guard: ")
    assert len(names_in(api, shown["book"])) == 20
    done = import_now(api, shown["id"], override_mass_deletion=True)
    assert (done["status"], done["counts"]["deleted"]) == ("ok", 19)
    assert names_in(api, shown["book"]) == ["Person 1"]


# --- schedules --------------------------------------------------------------------------


def test_a_daily_schedule_in_tallinn_runs_at_nine_local_across_dst(
    api: ApiClient, ctx: RunContext, clock: Clock, http: LocalHTTPServer
) -> None:
    clock.set(datetime(2025, 3, 29, 12, 0, tzinfo=UTC))  # Tallinn moves to UTC+3 on the 30th
    shown = http_sync(api, http)
    daily = {"start": "2025-03-01T09:00", "timezone": "Europe/Tallinn", "frequency": "daily"}
    scheduled = patch(api, shown["id"], schedule=daily)
    assert scheduled["schedule"] == {
        **daily,
        "interval": 1,
        "weekdays": [],
        "month_day": None,
        "count": None,
        "until": None,
    }
    assert scheduled["schedule_text"] == "daily at 09:00 (Europe/Tallinn)"
    assert scheduled["next_run"] == "2025-03-30T06:00:00+00:00"
    assert listed(api, shown["id"])["next_run"] == "2025-03-30T06:00:00+00:00"

    clock.set(datetime(2025, 3, 30, 6, 0, 30, tzinfo=UTC))
    (run,) = Scheduler(ctx).tick()
    assert (run.status, run.trigger) == ("ok", "schedule")
    item = listed(api, shown["id"])
    assert item["next_run"] == "2025-03-31T06:00:00+00:00"
    assert (item["status"], item["latest_run"]["trigger"]) == ("ok", "schedule")

    unscheduled = patch(api, shown["id"], schedule=None)
    assert (unscheduled["schedule"], unscheduled["next_run"]) == (None, None)


def test_a_schedule_given_at_creation(api: ApiClient, clock: Clock, http: LocalHTTPServer) -> None:
    clock.set(datetime(2025, 6, 2, 12, 0, tzinfo=UTC))
    # Every other week from Sunday 1 June: the week of 26 May runs (but its days are before
    # the start), the week of 2 June does not, the week of 9 June does.
    weekly = {
        "start": "2025-06-01T07:30",
        "timezone": "UTC",
        "frequency": "weekly",
        "interval": 2,
        "weekdays": ["monday", "friday"],
        "count": 10,
    }
    shown = http_sync(api, http, schedule=weekly)
    assert shown["schedule_text"] == ("every 2 weeks on Monday and Friday at 07:30 (UTC), 10 times")
    assert shown["next_run"] == "2025-06-09T07:30:00+00:00"


def test_schedules_that_cannot_be_are_refused(
    api: ApiClient, store: Store, http: LocalHTTPServer
) -> None:
    upload = upload_sync(api)
    assert upload["source"] == {"type": "upload"}
    daily = {"start": "2030-03-01T09:00", "timezone": "Europe/Tallinn", "frequency": "daily"}
    on_upload = error_of(api.patch(f"{SYNCS}/{upload['id']}", json={"schedule": daily}), 422)
    assert on_upload["field"] == "schedule" and "uploaded file" in on_upload["message"]

    remote = http_sync(api, http)
    url = f"{SYNCS}/{remote['id']}"
    cases = [
        ({"start": "2020-01-01T09:00", "timezone": "UTC"}, "schedule", "no run after now"),
        ({**daily, "timezone": "Mars/Olympus"}, "schedule.timezone", "nknown time zone 'Mars"),
        ({**daily, "start": "tomorrow"}, "schedule.start", "2025-03-01T09:00"),
        ({**daily, "frequency": "yearly"}, "schedule.frequency", "one of once"),
        ({**daily, "count": 3, "until": "2031-01-01"}, "schedule.until", "not both"),
        ({**daily, "weekdays": ["monday"]}, "schedule.weekdays", "weekly"),
        ({**daily, "colour": "red"}, "schedule.colour", "nknown field 'colour'"),
        ("daily", "schedule", "object"),
    ]
    for schedule, field_name, words in cases:
        error = error_of(api.patch(url, json={"schedule": schedule}, bad_request=True), 422)
        assert error["field"] == field_name and words in error["message"], (schedule, error)
    assert listed(api, remote["id"])["schedule"] is None
    before = store_state(store)
    at_creation = api.post(
        SYNCS, json={"source": {"url": http.url("/people.csv")}, "schedule": cases[0][0]}
    )
    assert error_of(at_creation, 422)["field"] == "schedule"
    assert store_state(store) == before


def test_a_stored_schedule_that_cannot_be_read_does_not_break_the_list(
    api: ApiClient, store: Store, http: LocalHTTPServer
) -> None:
    shown = http_sync(api, http)
    with store.write() as tx:
        source = tx.require_source(shown["id"])
        tx.update_source(
            source, settings={**source.settings, "schedule": "RRULE:FREQ=SECONDLY\r\n"}
        )
    item = listed(api, shown["id"])
    assert item["schedule"] is None
    assert item["schedule_text"].startswith("the stored schedule cannot be read")
    assert api.get(f"{SYNCS}/{shown['id']}").status_code == 200


# --- report emails ----------------------------------------------------------------------


def test_a_run_emails_its_report(api: ApiClient, mailbox: Mailbox, http: LocalHTTPServer) -> None:
    shown = http_sync(api, http, name="Clients", notify="boss@example.org")
    assert shown["notify"] == ["boss@example.org"]
    shown = patch(api, shown["id"], notify=["boss@example.org", "Ops <ops@example.org>"])
    assert shown["notify"] == ["boss@example.org", "ops@example.org"]
    run = import_now(api, shown["id"])
    assert run["status"] == "ok"
    assert run["email"] == "sent to boss@example.org, ops@example.org"
    recipients, email = received(mailbox)
    assert recipients == ["boss@example.org", "ops@example.org"]
    assert email["Subject"].startswith("Sync Clients: ")
    text = email.get_content()
    assert "Sync: Clients" in text
    lines = [line.split() for line in text.splitlines()]
    assert ["Added:", "3"] in lines and ["Deleted:", "0"] in lines
    assert listed(api, shown["id"])["latest_run"]["email"] == run["email"]
    assert patch(api, shown["id"], notify=None)["notify"] == []


def test_a_mail_failure_is_shown_and_the_run_stands(
    api: ApiClient, settings: Settings, http: LocalHTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    settings.smtp = {**settings.smtp, "port": str(free_port())}  # nothing listens there
    shown = http_sync(api, http, notify=["boss@example.org"])
    with caplog.at_level(logging.WARNING, logger="contacthub.jobs.runner"):
        run = import_now(api, shown["id"])
    assert (run["status"], run["counts"]["added"]) == ("ok", 3)
    assert run["email"].startswith("not sent")
    assert "report email not sent" in caplog.text
    item = listed(api, shown["id"])
    assert item["status"] == "ok" and item["latest_run"]["email"] == run["email"]
    assert len(names_in(api, shown["book"])) == 3


def test_an_uploaded_file_run_with_post_imports_emails_its_report(
    api: ApiClient, mailbox: Mailbox
) -> None:
    shown = upload_sync(api, name="Uploaded")
    patch(api, shown["id"], notify="boss@example.org")
    report = api.post(f"/api/v1/imports/{shown['id']}/run").get_json()
    assert report["status"] == "ok"
    recipients, email = received(mailbox)
    assert recipients == ["boss@example.org"] and "Sync: Uploaded" in email.get_content()
    assert listed(api, shown["id"])["latest_run"]["email"] == "sent to boss@example.org"


def test_bad_notification_addresses_are_refused(
    api: ApiClient, store: Store, http: LocalHTTPServer
) -> None:
    shown = http_sync(api, http)
    url = f"{SYNCS}/{shown['id']}"
    for notify in (
        "not an address",
        ["boss@example.org", 3],
        "a@b@",
        "x\ny@example.org",
        [f"p{n}@example.org" for n in range(11)],
    ):
        error = error_of(api.patch(url, json={"notify": notify}, bad_request=True), 422)
        assert error["field"] == "notify", (notify, error)
    assert listed(api, shown["id"])["notify"] == []
    before = store_state(store)
    at_creation = api.post(
        SYNCS, json={"source": {"url": http.url("/people.csv")}, "notify": "nobody"}
    )
    assert error_of(at_creation, 422)["field"] == "notify"
    assert store_state(store) == before


# --- uploads ----------------------------------------------------------------------------


def test_uploads_are_syncs_but_not_for_import_now(api: ApiClient) -> None:
    made_as_import = api.post(
        "/api/v1/imports",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(PEOPLE), "team.csv")},
    ).get_json()
    made_here = upload_sync(api, name="Here")
    assert api.get(f"/api/v1/imports/{made_here['id']}").status_code == 200
    ids = [item["id"] for item in api.get(SYNCS).get_json()["syncs"]]
    assert ids == [made_as_import["id"], made_here["id"]]
    shown = api.get(f"{SYNCS}/{made_as_import['id']}").get_json()
    assert shown["source"] == {"type": "upload"} and shown["filename"] == "team.csv"
    refused = error_of(api.post(f"{SYNCS}/{made_here['id']}/run"), 409)
    assert refused["message"] == (
        "Import now is for remote files; run an uploaded file "
        f"with POST /api/v1/imports/{made_here['id']}/run."
    )
    assert api.get(f"{SYNCS}/{made_here['id']}/runs").get_json() == {"runs": []}
    renamed = patch(api, made_here["id"], name="Team", delimiter="comma")
    assert (renamed["name"], renamed["delimiter_detected"]) == ("Team", False)
    taken = error_of(
        api.patch(f"{SYNCS}/{made_here['id']}", json={"name": made_as_import["name"]}), 422
    )
    assert taken["field"] == "name" and "already have a sync" in taken["message"]


def test_bad_requests_to_make_a_sync(api: ApiClient, store: Store, http: LocalHTTPServer) -> None:
    api.get(SYNCS)
    before = store_state(store)
    url = http.url("/people.csv")
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({}, "source", "source"),
        ({"source": url}, "source", "object"),
        ({"source": {"url": "file:///etc/passwd"}}, "source.url", "http://"),
        ({"source": {"type": "ftp", "url": url}}, "source.url", "ftp or ftps"),
        ({"source": {"url": url, "secret": "x"}}, "source.secret", "no field"),
        ({"source": {"type": "upload"}}, "source", "multipart/form-data"),
        ({"source": {"url": url}, "book": "nope"}, "book", "no address book"),
        ({"source": {"url": url}, "delimiter": "ab"}, "delimiter", "single character"),
        ({"source": {"url": url}, "encoding": "klingon"}, "encoding", "'klingon'"),
        ({"source": {"url": url}, "name": 3}, "name", "text"),
        ({"source": {"url": url}, "colour": "red"}, "colour", "Unknown field 'colour'"),
    ]
    for body, field_name, words in cases:
        error = error_of(api.post(SYNCS, json=body, bad_request=True), 422)
        assert error["field"] == field_name and words in error["message"], (body, error)
    assert error_of(api.post(SYNCS, data="x", content_type="text/plain", bad_request=True), 415)
    assert error_of(
        api.post(SYNCS, data="{", content_type="application/json", bad_request=True), 400
    )
    assert store_state(store) == before


# --- running, deleting, ownership -------------------------------------------------------


def test_a_running_sync_shows_it_and_cannot_run_or_go(
    api: ApiClient, store: Store, clock: Clock, http: LocalHTTPServer
) -> None:
    shown = http_sync(api, http)
    clock.set(datetime(2025, 5, 1, 8, 0, tzinfo=UTC))
    taken = clock()
    lease = Lease(shown["id"], "elsewhere:1:abc", "schedule", taken, taken + 120)
    with store.write() as tx:
        assert tx.take_lease(lease)
    item = listed(api, shown["id"])
    assert (item["status"], item["status_text"]) == ("running", "running")
    assert item["running_since"] == "2025-05-01T08:00:00+00:00"
    assert error_of(api.post(f"{SYNCS}/{shown['id']}/run"), 409)["code"] == "sync_running"
    assert error_of(api.delete(f"{SYNCS}/{shown['id']}"), 409)["code"] == "sync_running"
    with store.write() as tx:
        tx.end_lease(lease)
    assert listed(api, shown["id"])["status"] == "never"


def test_deleting_a_sync_keeps_its_book_and_contacts(
    api: ApiClient, ctx: RunContext, clock: Clock, http: LocalHTTPServer
) -> None:
    shown = http_sync(api, http)
    import_now(api, shown["id"])
    patch(
        api,
        shown["id"],
        schedule={"start": "2020-01-01T09:00", "timezone": "UTC", "frequency": "hourly"},
    )
    assert api.delete(f"{SYNCS}/{shown['id']}").status_code == 204
    assert api.get(f"{SYNCS}/{shown['id']}").status_code == 404
    assert api.get(f"/api/v1/imports/{shown['id']}").status_code == 404
    assert api.delete(f"{SYNCS}/{shown['id']}").status_code == 404
    assert api.get(SYNCS).get_json() == {"syncs": []}
    book = api.get(f"/api/v1/books/{shown['book']}").get_json()
    assert (book["contacts"], book["source"]["kind"]) == (3, "carddav")
    assert names_in(api, shown["book"]) == ["Ann Archer", "Bob Baker", "Cid Carter"]
    clock.fixed = time.time() + 7200
    assert Scheduler(ctx).tick() == []  # nothing is due any more


def test_syncs_belong_to_their_user(api: ApiClient, http: LocalHTTPServer) -> None:
    shown = http_sync(api, http)
    url = f"{SYNCS}/{shown['id']}"
    assert api.get(SYNCS, user="bob").get_json() == {"syncs": []}
    for method, path, kwargs in [
        ("GET", url, {}),
        ("PATCH", url, {"json": {"name": "Mine"}}),
        ("DELETE", url, {}),
        ("POST", f"{url}/run", {}),
        ("GET", f"{url}/runs", {}),
    ]:
        assert error_of(api.request(method, path, user="bob", **kwargs), 404)["code"] == (
            "not_found"
        )
    for missing in ("999999", "99999999999999999999", "x"):
        assert api.get(f"{SYNCS}/{missing}").status_code == 404
    assert api.get(f"{url}?user=alice", user="carol").get_json()["id"] == shown["id"]
    made = api.post(
        f"{SYNCS}?user=bob", user="carol", json={"source": {"url": http.url("/people.csv")}}
    )
    assert made.status_code == 201
    assert made.headers["Location"].endswith(f"{SYNCS}/{made.get_json()['id']}?user=bob")
    assert [s["id"] for s in api.get(SYNCS, user="bob").get_json()["syncs"]] == [
        made.get_json()["id"]
    ]
    assert api.get(f"{url}?user=alice", user="bob").status_code == 403
