"""A big `contacthub import` while phones use the server: real `serve` and `import`
processes, SQLite and PostgreSQL.

Phones keep writing while it runs (no 5xx), readers see none of the run until it is
published and then all of it, and an import killed with SIGKILL in the middle leaves
nothing visible and does not stand in the way of the next one.
"""

from __future__ import annotations

import csv
import signal
import sqlite3
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from contacthub.store.schema import pending_changes, pending_links, stagings
from tests.conftest import BACKENDS, StartContacthub
from tests.support import dav
from tests.support.servers import ContacthubServer, DavSession, contacthub_command
from tests.support.vcards import make_card

pytestmark = pytest.mark.contacthub_only

ROWS = 10_000
DEADLINE = 600.0


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["ID", "First Name", "Last Name", "E-mail Address"])
        for n in range(rows):
            writer.writerow([n, "Person", f"Number{n}", f"person.{n}@example.org"])


def start_server(factory: StartContacthub, backend: str, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """`serve`, with the store's URL in a config file the import command reads too."""
    if backend == "sqlite":
        return factory(backend="sqlite")
    url = request.getfixturevalue("postgres_server").create_database()
    return factory(backend="postgresql", store_url=url, config={"store": {"url": url}})


def store_url(server: ContacthubServer) -> str:
    return server.store_url or f"sqlite:///{server.data_dir / 'contacthub.db'}"


def create_sync(alice: DavSession, csv_path: Path) -> str:
    """The import's sync and its (empty) book, made through the API; returns the book."""
    created = alice.post(
        "/api/v1/imports",
        data={"name": csv_path.stem},
        files={"file": (csv_path.name, b"ID,First Name\n", "text/csv")},
    )
    assert created.status_code == 201, created.text
    return str(created.json()["book"])


def start_import(server: ContacthubServer, csv_path: Path) -> subprocess.Popen[str]:
    argv = [*contacthub_command(), "import", str(csv_path), "--user", "alice", "--key", "ID"]
    argv += ["--update", "--data-dir", str(server.data_dir)]
    if server.config_path:
        argv += ["--config", str(server.config_path)]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finished(process: subprocess.Popen[str]) -> str:
    output, _ = process.communicate(timeout=DEADLINE)
    assert process.returncode == 0, output
    return output


def imported_count(alice: DavSession, book: str) -> int:
    page = alice.get(f"/api/v1/books/{book}/contacts?limit=1")
    assert page.status_code == 200, page.text
    return int(page.json()["total"])


def listed(alice: DavSession, book: str) -> list[str]:
    """The hrefs a PROPFIND of the book lists, leaving out the phones' cards."""
    found = dav.propfind(alice, f"/alice/{book}/", [dav.GETETAG], depth="1")
    return [href for href in found.hrefs() if "/phone-" not in href and href.endswith(".vcf")]


def changes_since(alice: DavSession, book: str, token: str) -> list[str]:
    """The hrefs a sync-collection from `token` reports, leaving out the phones' cards."""
    delta = dav.sync_collection_pages(alice, f"/alice/{book}/", token)
    return [href for href in delta if "/phone-" not in href]


@pytest.mark.parametrize("backend", BACKENDS)
def test_phones_keep_writing_and_readers_see_the_run_whole_or_not_at_all(
    backend: str,
    contacthub_factory: StartContacthub,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    server = start_server(contacthub_factory, backend, request)
    alice = server.session("alice")
    assert alice.request("PROPFIND", "/alice/contacts/", headers={"Depth": "0"}).status_code == 207
    csv_path = tmp_path / "people.csv"
    book = create_sync(alice, csv_path)
    token = dav.sync_collection(alice, f"/alice/{book}/", None).sync_token
    assert token is not None
    write_csv(csv_path, ROWS)

    import_running = threading.Event()
    import_running.set()
    answers: list[tuple[str, int | str]] = []
    seen: list[tuple[int, int]] = []  # (imported cards listed, changes since the token)

    def phone() -> None:
        session = server.session("alice")
        n = 0
        while import_running.is_set():
            n += 1
            folder = "/alice/contacts/" if n % 2 else f"/alice/{book}/"
            uid = f"phone-{uuid.uuid4().hex}"
            try:
                response = session.put(
                    f"{folder}{uid}.vcf",
                    data=make_card(uid, f"Phone {n}").encode(),
                    headers={"Content-Type": dav.VCARD_TYPE, "If-None-Match": "*"},
                )
                answers.append((f"{folder}{uid}.vcf", response.status_code))
            except Exception as error:  # a dropped connection is a failure too
                answers.append((f"{folder}{uid}.vcf", repr(error)))
            time.sleep(0.1)

    def reader() -> None:
        try:
            look()
        except Exception as error:  # the test fails on it below
            seen.append((-1, -1))
            raise error

    def look() -> None:
        session = server.session("alice")
        while import_running.is_set():
            count = len(listed(session, book))
            since = len(changes_since(session, book, token))
            seen.append((count, since))
            if count >= ROWS and since >= ROWS:
                return
            time.sleep(0.1)

    threads = [threading.Thread(target=phone), threading.Thread(target=reader)]
    process = start_import(server, csv_path)
    for thread in threads:
        thread.start()
    try:
        output = finished(process)
    finally:
        import_running.clear()
        for thread in threads:
            thread.join(timeout=120)
    assert f"ok: {ROWS} added" in output

    assert answers and all(status in (201, 204) for _, status in answers), [
        answer for answer in answers if answer[1] not in (201, 204)
    ][:5]
    for href, _ in answers:  # every phone's card is kept
        assert alice.get(href).status_code == 200, href
    assert imported_count(alice, book) == ROWS + sum(
        1 for href, _ in answers if f"/{book}/" in href
    )
    assert len(changes_since(alice, book, token)) == ROWS
    # The listing is read before the changes: a reader in between may see the run
    # published in the second look only; never a part of it in either.
    assert {count for count, _ in seen} <= {0, ROWS}
    assert {since for _, since in seen} <= {0, ROWS}
    assert (0, 0) in seen  # the readers looked while the run was being written


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_import_killed_in_the_middle_leaves_nothing_and_the_next_one_runs(
    backend: str,
    contacthub_factory: StartContacthub,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    server = start_server(contacthub_factory, backend, request)
    alice = server.session("alice")
    csv_path = tmp_path / "people.csv"
    book = create_sync(alice, csv_path)
    before = dav.sync_collection(alice, f"/alice/{book}/", None)
    ctag = dav.propfind_one(alice, f"/alice/{book}/", [dav.GETCTAG]).text(dav.GETCTAG)
    write_csv(csv_path, ROWS)

    engine = sa.create_engine(store_url(server))

    def rows_of(table: sa.Table) -> int:
        with engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())

    process = start_import(server, csv_path)
    deadline = time.monotonic() + DEADLINE
    while rows_of(pending_changes) < 3000:  # killed with batches written ahead
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.communicate()

    assert imported_count(alice, book) == 0
    assert changes_since(alice, book, str(before.sync_token)) == []
    assert dav.propfind_one(alice, f"/alice/{book}/", [dav.GETCTAG]).text(dav.GETCTAG) == ctag
    assert rows_of(stagings) == 1  # what it left is invisible, until the next run sweeps it

    again = finished(start_import(server, csv_path))
    assert f"ok: {ROWS} added" in again
    assert imported_count(alice, book) == ROWS
    assert len(changes_since(alice, book, str(before.sync_token))) == ROWS
    assert [rows_of(table) for table in (pending_changes, pending_links, stagings)] == [0, 0, 0]
    engine.dispose()


def test_a_write_that_waits_too_long_is_asked_to_come_back_later(
    contacthub_factory: StartContacthub,
) -> None:
    """SQLite: a write waiting longer than [store] busy_timeout for another writer is
    answered 503 with Retry-After (CardDAV and the API), not 500; reads go on."""
    server = contacthub_factory(backend="sqlite", config={"store": {"busy_timeout": "1"}})
    alice = server.session("alice")
    card = make_card("kept-1", "Kept")
    assert alice.put(
        "/alice/contacts/kept-1.vcf", data=card.encode(), headers={"Content-Type": dav.VCARD_TYPE}
    ).status_code in (201, 204)

    holder = sqlite3.connect(server.data_dir / "contacthub.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another writer that does not let go
    try:
        put = alice.put(
            "/alice/contacts/new-1.vcf",
            data=make_card("new-1", "New").encode(),
            headers={"Content-Type": dav.VCARD_TYPE},
        )
        api = alice.post(
            "/api/v1/books/contacts/contacts",
            data=make_card("new-2", "Newer").encode(),
            headers={"Content-Type": dav.VCARD_TYPE},
        )
        read = alice.get("/alice/contacts/kept-1.vcf")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (put.status_code, put.headers.get("Retry-After")) == (503, "5"), put.text
    assert "try again" in put.text
    assert (api.status_code, api.headers.get("Retry-After")) == (503, "5"), api.text
    assert api.json()["error"]["code"] == "busy"
    assert read.status_code == 200 and read.text == card
    again = alice.put(
        "/alice/contacts/new-1.vcf",
        data=make_card("new-1", "New").encode(),
        headers={"Content-Type": dav.VCARD_TYPE},
    )
    assert again.status_code == 201
