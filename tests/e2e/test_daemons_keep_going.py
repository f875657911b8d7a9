"""The threads of `contacthub serve` that run syncs keep going when something breaks under
them: the scheduler, a run's lease renewal, a run started from the admin page, the report
email. Each test starts a real `serve`, makes its syncs over the API from a local HTTP
server, and breaks the store the way production meets it:

- SQLite: another process holds the write lock (a backup, a `sqlite3` shell), so every write
  of the server waits out `[store] busy_timeout` (1 s here) and is refused as busy; reads go on.
- PostgreSQL: another session holds one sync's row, and every backend that waits for it is
  ended with `pg_terminate_backend`, as a DBA does with a stuck connection: that sync's
  writes fail, the others' do not.

The scheduler looks every second and a run's lease lasts 12 s (`[contacthub]
scheduler_interval` and `run_lease`, operator settings), so a lease runs out within a test.
"""

from __future__ import annotations

import asyncio
import math
import re
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from aiosmtpd.smtp import Envelope
from sqlalchemy.engine import make_url

from contacthub.jobs.runner import INTERRUPTED
from contacthub.store import Store
from tests.fetch.http_server import LocalHTTPServer, ServedFile, Site
from tests.support.net import LOOPBACK, free_port, wait_until
from tests.support.postgres import PostgresServer
from tests.support.servers import ConfigSections, ContacthubServer, DavSession
from tests.support.smtp import Mailbox, serve_mailbox

pytestmark = pytest.mark.contacthub_only

ALICE = {"alice": "alice-Secret-1"}
LEASE = 12  # seconds; renewed every 3 s
BUSY = "The address book is busy with other changes"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


# -- a file server whose files can be held back --------------------------------------------


@dataclass
class Files:
    """/NAME.csv, one row (NAME's person) each, on a local HTTP server; a held path's answer
    waits until released."""

    site: Site
    base: str

    def add(self, name: str) -> str:
        path = f"/{name}.csv"
        row = f"Name,Email\r\nPerson {name},{name}@example.org\r\n".encode()
        self.site.files[path] = ServedFile(row, etag=False)
        return self.base + path

    def hold(self, path: str) -> threading.Event:
        self.site.held[path] = threading.Event()
        return self.site.held[path]

    def asked(self, path: str) -> int:
        return sum(1 for request in list(self.site.requests) if request["path"] == path)


@pytest.fixture
def files() -> Iterator[Files]:
    site = Site()
    with LocalHTTPServer(site) as server:
        try:
            yield Files(site, server.url(""))
        finally:
            for gate in site.held.values():
                gate.set()


# -- the server ------------------------------------------------------------------------------


def config(smtp_port: int | None = None) -> ConfigSections:
    sections: dict[str, dict[str, str]] = {
        "contacthub": {"scheduler_interval": "1", "run_lease": str(LEASE)},
        "store": {"busy_timeout": "1"},
        "fetch": {"allowed_networks": "127.0.0.0/8", "timeout": "60"},
        "logging": {"level": "info"},
    }
    if smtp_port is not None:
        sections["smtp"] = {
            "host": LOOPBACK,
            "port": str(smtp_port),
            "security": "none",
            "sender": "hub@example.org",
        }
    return sections


@contextmanager
def serve(
    tmp_path: Path, store_url: str | None = None, **options: Any
) -> Iterator[ContacthubServer]:
    with ContacthubServer(
        tmp_path / "data", ALICE, store_url=store_url, config=config(**options)
    ) as server:
        yield server


def logged(server: ContacthubServer, pattern: str) -> bool:
    return re.search(pattern, server.log_tail(5000)) is not None


def count_logged(server: ContacthubServer, pattern: str) -> int:
    return len(re.findall(pattern, server.log_tail(5000)))


def wait_logged(server: ContacthubServer, pattern: str, what: str, timeout: float = 60) -> None:
    """Waits: a line the server wrote before it answered may not have been read yet."""
    wait_until(lambda: logged(server, pattern), timeout, what, abort=_exited(server))


def _exited(server: ContacthubServer) -> Any:
    return lambda: None if server.running else f"serve exited:\n{server.log_tail()}"


# -- syncs over the API --------------------------------------------------------------------


def make_sync(alice: DavSession, files: Files, name: str, **body: Any) -> int:
    made = alice.post(
        "/api/v1/syncs", json={"source": {"url": files.add(name)}, "name": name, **body}
    )
    assert made.status_code == 201, made.text
    sync_id: int = made.json()["id"]
    return sync_id


def schedule_soon(alice: DavSession, *sync_ids: int, seconds: int = 3) -> None:
    """Daily from a few seconds from now (one start for all: one tick finds them due)."""
    start = datetime.fromtimestamp(math.ceil(time.time()) + seconds, UTC)
    daily = {"start": start.strftime("%Y-%m-%dT%H:%M:%S"), "timezone": "UTC", "frequency": "daily"}
    for sync_id in sync_ids:
        patched = alice.patch(f"/api/v1/syncs/{sync_id}", json={"schedule": daily})
        assert patched.status_code == 200, patched.text


def runs_of(alice: DavSession, sync_id: int) -> list[dict[str, Any]]:
    """The sync's runs, newest first."""
    answer = alice.get(f"/api/v1/syncs/{sync_id}/runs")
    assert answer.status_code == 200, answer.text
    runs: list[dict[str, Any]] = answer.json()["runs"]
    return runs


def shown(alice: DavSession, sync_id: int) -> dict[str, Any]:
    answer = alice.get(f"/api/v1/syncs/{sync_id}")
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def wait_for_runs(alice: DavSession, sync_id: int, count: int, what: str) -> list[dict[str, Any]]:
    wait_until(lambda: len(runs_of(alice, sync_id)) >= count, 60, what)
    return runs_of(alice, sync_id)


# -- the store, refusing -------------------------------------------------------------------


@contextmanager
def sqlite_write_lock(server: ContacthubServer) -> Iterator[sqlite3.Connection]:
    """Another process's write transaction on the server's SQLite store, held while inside."""
    conn = sqlite3.connect(server.data_dir / "contacthub.db", isolation_level=None, timeout=30)
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield conn
        conn.execute("ROLLBACK")
    finally:
        conn.close()


@contextmanager
def pg_row_held(postgres: PostgresServer, store_url: str, sync_id: int) -> Iterator[None]:
    """The sync's row locked by another session; every backend that waits for it is ended."""
    dbname = make_url(store_url).database
    holder = postgres.connect(dbname)
    holder.autocommit = False
    stop = threading.Event()

    def end_waiters() -> None:
        with postgres.connect(dbname) as killer:
            while not stop.wait(0.05):
                killer.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE %s = ANY(pg_blocking_pids(pid))",
                    (holder.info.backend_pid,),
                )

    holder.execute("SELECT id FROM sources WHERE id = %s FOR UPDATE", (sync_id,))
    thread = threading.Thread(target=end_waiters)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        holder.rollback()
        holder.close()


# -- the tests -------------------------------------------------------------------------------


def test_a_lease_that_cannot_be_renewed_and_ticks_that_fail_leave_the_run_and_scheduler_going(
    tmp_path: Path, files: Files
) -> None:
    """A run outlives its lease while the store refuses writes: the renewals fail and say so,
    the scheduler's ticks fail and it goes on, records the run as interrupted once the
    store is back, and the run, told it lost its lease, finishes and is recorded too."""
    with serve(tmp_path) as server:
        alice = server.session("alice")
        sync_id = make_sync(alice, files, "slow")
        gate = files.hold("/slow.csv")
        answers: list[requests.Response] = []
        run = threading.Thread(
            target=lambda: answers.append(alice.post(f"/api/v1/syncs/{sync_id}/run", timeout=120))
        )
        run.start()
        try:
            wait_until(lambda: files.asked("/slow.csv") == 2, 30, "the run to fetch its file")
            renewal_failed = rf"renewing the lease of source {sync_id} failed"
            with sqlite_write_lock(server) as lock:
                wait_logged(server, renewal_failed, "a renewal of the lease to fail")
                wait_logged(server, r"scheduler tick failed", "a scheduler tick to fail")
                assert alice.get("/api/v1/syncs").status_code == 200  # reads go on
                (until,) = lock.execute(
                    "SELECT lease_until FROM sources WHERE id = ?", (sync_id,)
                ).fetchone()
                wait_until(lambda: time.time() > until, 2 * LEASE, "the lease to run out")
                # Let go just after a renewal failed: the scheduler's next look (within a
                # second) comes well before the next renewal (in LEASE / 4 seconds).
                failed = count_logged(server, renewal_failed)
                wait_until(
                    lambda: count_logged(server, renewal_failed) > failed,
                    LEASE,
                    "another renewal to fail",
                )
            # The store is back: the next tick takes the run for dead, and the run learns it.
            wait_logged(
                server,
                rf"source {sync_id}: the run started at .* was interrupted",
                "a later tick to record the run as interrupted",
            )
            wait_logged(
                server,
                rf"source {sync_id}: the run of .* lost its lease",
                "the run's next renewal to find its lease lost",
            )
            assert [r["status"] for r in runs_of(alice, sync_id)] == ["failed"]
        finally:
            gate.set()
            run.join(timeout=120)

        [answer] = answers
        assert answer.status_code == 200, answer.text
        assert (answer.json()["status"], answer.json()["counts"]["added"]) == ("ok", 1)
        newest, interrupted = runs_of(alice, sync_id)
        assert newest["id"] == answer.json()["id"] and newest["trigger"] == "manual"
        assert (interrupted["status"], interrupted["message"]) == ("failed", INTERRUPTED)
        # The scheduler is alive: a sync due now runs on schedule.
        later = make_sync(alice, files, "later")
        schedule_soon(alice, later)
        [scheduled] = wait_for_runs(alice, later, 1, "the scheduler to run a due sync")
        assert (scheduled["trigger"], scheduled["status"]) == ("schedule", "ok")
        assert shown(alice, sync_id)["status"] == "ok"


class HeldMailbox(Mailbox):
    """Takes each email, but answers its DATA only once `release` is set."""

    def __init__(self, port: int) -> None:
        super().__init__(port)
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        self.arrived.set()
        await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
        return "250 OK"


def test_a_report_email_whose_outcome_cannot_be_saved_leaves_the_run_standing(
    tmp_path: Path, files: Files
) -> None:
    """The email is sent, then the store refuses the note of it on the run: the run is
    recorded and answered as it is, and the log says what was lost."""
    with (
        serve_mailbox(HeldMailbox(free_port())) as mailbox,
        serve(tmp_path, smtp_port=mailbox.port) as server,
    ):
        alice = server.session("alice")
        sync_id = make_sync(alice, files, "mailed", notify="boss@example.org")
        answers: list[requests.Response] = []
        run = threading.Thread(
            target=lambda: answers.append(alice.post(f"/api/v1/syncs/{sync_id}/run", timeout=120))
        )
        run.start()
        try:
            assert mailbox.arrived.wait(60), "the report email was not sent"
            with sqlite_write_lock(server):
                mailbox.release.set()
                run.join(timeout=60)  # the answer comes while the store still refuses
        finally:
            mailbox.release.set()
            run.join(timeout=120)

        [answer] = answers
        assert answer.status_code == 200, answer.text
        assert (answer.json()["status"], answer.json()["email"]) == ("ok", "")
        assert [r["id"] for r in runs_of(alice, sync_id)] == [answer.json()["id"]]
        assert [envelope.rcpt_tos for envelope in mailbox.envelopes] == [["boss@example.org"]]
        assert shown(alice, sync_id)["status"] == "ok"
        wait_logged(
            server,
            rf"run {answer.json()['id']}: the outcome of its report email was",
            "the log to say the email's outcome was not saved",
            timeout=10,
        )


def test_report_emails_that_fail_leave_the_runs_and_the_scheduler_going(
    tmp_path: Path, files: Files
) -> None:
    """Nothing listens on the SMTP port: each scheduled run is recorded, with why its email
    was not sent, and the next due sync runs all the same."""
    with serve(tmp_path, smtp_port=free_port()) as server:
        alice = server.session("alice")
        syncs = [make_sync(alice, files, name, notify="boss@example.org") for name in ("a", "b")]
        schedule_soon(alice, *syncs)
        for sync_id in syncs:
            wait_until(
                lambda: [r["email"] != "" for r in runs_of(alice, sync_id)] == [True],  # noqa: B023
                60,
                "the scheduler to run the sync and try its email",
            )
            [run] = runs_of(alice, sync_id)
            assert (run["trigger"], run["status"], run["counts"]["added"]) == ("schedule", "ok", 1)
            assert re.fullmatch(r"not sent: connection to 127\.0\.0\.1:\d+ refused", run["email"])
            wait_logged(
                server,
                rf"\(source {sync_id}\): report email not sent: connection",
                "the failed email in the log",
            )
        assert "Traceback" not in server.log_tail(5000)
        later = make_sync(alice, files, "later")
        schedule_soon(alice, later)
        [scheduled] = wait_for_runs(alice, later, 1, "the scheduler to go on")
        assert (scheduled["trigger"], scheduled["status"]) == ("schedule", "ok")


def admin_session(server: ContacthubServer) -> requests.Session:
    """A browser's session of alice's in the admin page (signed in through its form)."""
    browser = requests.Session()
    token = TOKEN.search(browser.get(server.url + "/admin/sign-in", timeout=30).text)
    assert token is not None
    signed_in = browser.post(
        server.url + "/admin/sign-in",
        data={"username": "alice", "password": ALICE["alice"], "csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=30,
    )
    assert signed_in.status_code == 302, signed_in.text
    return browser


def import_now_in_the_admin_page(
    server: ContacthubServer, browser: requests.Session, sync_id: int
) -> str:
    """Press Import now: the run starts in a thread of the server; where its progress is."""
    token = TOKEN.search(browser.get(server.url + "/admin/syncs", timeout=30).text)
    assert token is not None
    started = browser.post(
        f"{server.url}/admin/runs/{sync_id}",
        data={"csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=30,
    )
    assert started.status_code == 302, started.text
    location: str = started.headers["Location"]
    assert location.endswith(f"/admin/runs/{sync_id}/progress")
    return server.url + location if location.startswith("/") else location


def test_a_background_run_that_breaks_is_logged_and_its_page_ends_with_the_run(
    tmp_path: Path, files: Files
) -> None:
    """Import now in the admin page, and the store refuses every write of the run, its
    failure's record too: the thread logs it and lets go of the progress bar; once the
    lease runs out the scheduler records the run as interrupted, the progress page shows
    that run, and the sync runs again."""
    with serve(tmp_path) as server:
        alice = server.session("alice")
        sync_id = make_sync(alice, files, "pressed")
        browser = admin_session(server)
        gate = files.hold("/pressed.csv")
        progress = import_now_in_the_admin_page(server, browser, sync_id)
        try:
            wait_until(lambda: files.asked("/pressed.csv") == 2, 30, "the run to fetch its file")
            assert browser.get(progress, timeout=30).status_code == 200  # running: its bar
            with sqlite_write_lock(server):
                gate.set()
                wait_logged(
                    server,
                    rf"background run of source {sync_id} failed",
                    "the background run to give up",
                )
                assert alice.get("/api/v1/syncs").status_code == 200  # reads go on
        finally:
            gate.set()

        wait_logged(server, rf"contacthub.store.errors.StoreBusy: {BUSY}", "the run's error", 10)
        wait_until(
            lambda: [r["status"] for r in runs_of(alice, sync_id)] == ["failed"],
            4 * LEASE,
            "the scheduler to record the run as interrupted once its lease ran out",
        )
        [interrupted] = runs_of(alice, sync_id)
        assert (interrupted["trigger"], interrupted["message"]) == ("manual", INTERRUPTED)
        page = browser.get(progress, allow_redirects=False, timeout=30)
        assert page.status_code == 302
        assert page.headers["Location"].endswith(f"/admin/runs/{sync_id}/{interrupted['id']}")
        again = alice.post(f"/api/v1/syncs/{sync_id}/run")
        assert (again.status_code, again.json()["status"]) == (200, "ok")


def test_a_scheduled_run_that_breaks_does_not_stop_the_other_due_syncs(
    tmp_path: Path, files: Files, postgres_server: PostgresServer
) -> None:
    """Two syncs due at once on PostgreSQL; the first one's writes all fail (its row is
    held, and each write waiting for it is ended), its failure's record too. The scheduler
    logs it and runs the second in the same tick; once the row is free and the first's
    lease has run out, that run is recorded as interrupted and the sync runs again."""
    store_url = postgres_server.create_database()
    with serve(tmp_path, store_url=store_url) as server:
        alice = server.session("alice")
        broken, other = make_sync(alice, files, "broken"), make_sync(alice, files, "other")
        assert broken < other  # claimed first
        gate = files.hold("/broken.csv")
        schedule_soon(alice, broken, other)
        try:
            wait_until(lambda: files.asked("/broken.csv") == 2, 30, "the first run's fetch")
            with pg_row_held(postgres_server, store_url, broken):
                gate.set()
                wait_logged(
                    server,
                    rf"scheduled run of source {broken} failed",
                    "the first run to give up",
                )
                [ran] = wait_for_runs(alice, other, 1, "the second due sync to run")
                assert (ran["trigger"], ran["status"], ran["counts"]["added"]) == (
                    "schedule",
                    "ok",
                    1,
                )
                assert runs_of(alice, broken) == []  # the store refused its record
        finally:
            gate.set()

        wait_logged(
            server, r"terminating connection due to administrator command", "the cut", timeout=10
        )
        assert not logged(server, r"scheduler tick failed")  # the tick itself went on
        wait_until(
            lambda: [r["status"] for r in runs_of(alice, broken)] == ["failed"],
            4 * LEASE,
            "the scheduler to record the run as interrupted once its lease ran out",
        )
        [interrupted] = runs_of(alice, broken)
        assert (interrupted["trigger"], interrupted["message"]) == ("schedule", INTERRUPTED)
        again = alice.post(f"/api/v1/syncs/{broken}/run")
        assert (again.status_code, again.json()["status"]) == (200, "ok")
        assert shown(alice, other)["status"] == "ok"


def test_a_report_email_that_breaks_unforeseen_leaves_the_run_standing(
    tmp_path: Path, files: Files
) -> None:
    """The report email breaks on something no SMTP error explains (the sync's stored
    schedule cannot be read: written by another version, or by hand): the run is recorded
    and answered, its email says "not sent", and the log has the details."""
    with (
        serve_mailbox(Mailbox(free_port())) as mailbox,
        serve(tmp_path, smtp_port=mailbox.port) as server,
    ):
        alice = server.session("alice")
        sync_id = make_sync(alice, files, "odd", notify="boss@example.org")
        store = Store.open(f"sqlite:///{server.data_dir / 'contacthub.db'}", upgrade=False)
        try:
            with store.write() as tx:
                source = tx.require_source(sync_id)
                settings = {**source.settings, "schedule": "RRULE:FREQ=SECONDLY\r\n"}
                tx.update_source(source, settings=settings)
        finally:
            store.close()

        answer = alice.post(f"/api/v1/syncs/{sync_id}/run")

        assert answer.status_code == 200, answer.text
        run = answer.json()
        assert (run["status"], run["counts"]["added"]) == ("ok", 1)
        assert run["email"] == "not sent: an internal error; the server log has the details"
        wait_logged(
            server, rf"the report email of run {run['id']} failed", "the email's error", timeout=10
        )
        assert mailbox.envelopes == []
        assert shown(alice, sync_id)["status"] == "ok"
