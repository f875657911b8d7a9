"""A full disk under the store, in a real `contacthub serve` (SQLite and PostgreSQL).

The store lives on a small tmpfs (SQLite: its file; PostgreSQL: the database's tablespace,
the cluster's WAL staying on the big disk) that a filler file fills, so the database meets
the disk full as in production: SQLITE_FULL, SQLSTATE 53100. Writes are refused with
507 Insufficient Storage (CardDAV) or a sentence (the API, a run's report), nothing of them
is kept, reads go on, and once there is room again writes work without a restart.
"""

from __future__ import annotations

import base64
import io
import os
import pwd
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.api import spec
from tests.conftest import BACKENDS, USERS
from tests.support import dav
from tests.support.disks import SmallDisk
from tests.support.net import wait_until
from tests.support.postgres import PostgresServer
from tests.support.servers import ContacthubServer, DavSession
from tests.support.vcards import fold, make_card

pytestmark = pytest.mark.contacthub_only

MiB = 1024 * 1024
FULL = "The server's disk is full: the change was not saved. Ask the administrator to free space."
BOOK = "/alice/contacts/"
AUTOVACUUM_WORKERS = (
    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
)
ALICE = {"alice": USERS["alice"]}


@dataclass
class FullDiskServer:
    server: ContacthubServer
    disk: SmallDisk
    postgres: PostgresServer | None = None
    database: str = ""

    def fill(self, leave: int = 0) -> None:
        if self.postgres is not None:
            self._settle_postgres()
        elif not leave:
            self.disk.fill_under(self.disk.path / "contacthub.db")
            return
        self.disk.fill(leave)

    def _settle_postgres(self) -> None:
        """PostgreSQL as a long-full disk finds it. Autovacuum stops: its VACUUM or ANALYZE
        of a catalog drops the database's relation cache file, which every new backend
        then writes again before it answers, and on the full disk that start fails
        ("could not write init file"), a read or not: PostgreSQL's limit (it came under
        load, and at every run with autovacuum_naptime = 1s). A new backend writes the
        file while there is room, and the pages kept in memory go to their files."""
        assert self.postgres is not None
        with self.postgres.connect() as conn:
            conn.execute("ALTER SYSTEM SET autovacuum = off")
            conn.execute("SELECT pg_reload_conf()")
            wait_until(
                lambda: conn.execute(AUTOVACUUM_WORKERS).fetchone() == (0,),
                timeout=60,
                what="autovacuum's workers to end",
            )
        with self.postgres.connect(self.database) as conn:
            conn.execute("CHECKPOINT")


@contextmanager
def _tablespace_database(postgres: PostgresServer, disk: SmallDisk) -> Iterator[str]:
    """A database whose every file lives on `disk` (its tablespace there): its name."""
    location = disk.path / "tablespace"
    location.mkdir()
    owner = pwd.getpwnam("postgres")
    os.chown(location, owner.pw_uid, owner.pw_gid)
    name = f"t_{uuid.uuid4().hex[:16]}"
    with postgres.connect() as conn:
        conn.execute(f"CREATE TABLESPACE {name} LOCATION '{location}'")
        conn.execute(f"CREATE DATABASE {name} TABLESPACE {name}")
    try:
        yield name
    finally:
        disk.free()
        with postgres.connect() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"DROP TABLESPACE IF EXISTS {name}")


@pytest.fixture(params=BACKENDS)
def full_disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FullDiskServer]:
    """`contacthub serve` with its store on a small disk, not yet full."""
    if request.param == "sqlite":
        with SmallDisk(tmp_path / "disk", 32 * MiB) as disk:
            url = f"sqlite:///{disk.path / 'contacthub.db'}"
            with ContacthubServer(tmp_path / "data", ALICE, store_url=url) as server:
                yield FullDiskServer(server, disk)
        return
    postgres: PostgresServer = request.getfixturevalue("postgres_server")
    # Under the cluster's own directory: the 'postgres' user can reach it there.
    mount_point = postgres.base / f"disk-{uuid.uuid4().hex[:8]}"
    with (
        SmallDisk(mount_point, 40 * MiB, owner="postgres") as disk,
        _tablespace_database(postgres, disk) as database,
        ContacthubServer(tmp_path / "data", ALICE, store_url=postgres.url(database)) as server,
    ):
        try:
            yield FullDiskServer(server, disk, postgres, database)
        finally:
            with postgres.connect() as conn:
                conn.execute("ALTER SYSTEM RESET autovacuum")
                conn.execute("SELECT pg_reload_conf()")


def card_with_photo(uid: str, name: str, photo_bytes: int = 256 * 1024) -> str:
    """A card too large for the room a full disk's pages have left (random bytes do not
    compress)."""
    photo = base64.b64encode(os.urandom(photo_bytes)).decode()
    card = make_card(uid, name)
    return card.replace("END:VCARD", fold(f"PHOTO;ENCODING=b;TYPE=JPEG:{photo}") + "\r\nEND:VCARD")


def api_call(session: DavSession, method: str, path: str, **kwargs: Any) -> requests.Response:
    response = session.request(method, path, **kwargs)
    spec.check_sent(method, path, response.request)
    spec.check(method, path, response.status_code, response.headers, response.content)
    return response


def test_a_full_disk_refuses_writes_with_507_and_keeps_serving_reads(
    full_disk: FullDiskServer,
) -> None:
    alice = full_disk.server.session("alice")
    kept = make_card("kept", "Kept Before")
    etag = dav.create_card(alice, f"{BOOK}kept.vcf", kept)
    token = dav.sync_collection(alice, BOOK, None).sync_token
    full_disk.fill()

    big = card_with_photo("big", "Too Big For The Disk")
    put = dav.put_vcard(alice, f"{BOOK}big.vcf", big, if_none_match="*")
    assert put.status_code == 507, put.text
    assert put.text.strip() == FULL
    assert "ETag" not in put.headers
    posted = api_call(
        alice,
        "POST",
        "/api/v1/books/contacts/contacts",
        data=big.encode(),
        headers={"Content-Type": "text/vcard"},
    )
    assert posted.status_code == 507
    assert posted.json() == {"error": {"code": "insufficient_storage", "message": FULL}}
    uploaded = api_call(
        alice,
        "POST",
        "/api/v1/imports",
        files={"file": ("people.csv", io.BytesIO(_rows(2000)), "text/csv")},
    )
    assert uploaded.status_code == 507
    assert uploaded.json()["error"]["message"] == FULL

    # Reads go on, and show nothing of the refused writes.
    got = alice.get(f"{BOOK}kept.vcf")
    assert got.status_code == 200 and got.text == kept and got.headers["ETag"] == etag
    assert alice.get(f"{BOOK}big.vcf").status_code == 404
    listed = dav.propfind(alice, BOOK, [dav.GETETAG], depth="1")
    assert sorted(listed.hrefs()) == [BOOK, f"{BOOK}kept.vcf"]
    assert list(dav.sync_collection(alice, BOOK, token)) == []
    contacts = api_call(alice, "GET", "/api/v1/books/contacts/contacts").json()
    assert [c["id"] for c in contacts["contacts"]] == ["kept.vcf"]
    assert api_call(alice, "GET", "/api/v1/imports").json()["imports"] == []

    # Room again: the same write is taken, without a restart.
    full_disk.disk.free()
    assert dav.put_vcard(alice, f"{BOOK}big.vcf", big, if_none_match="*").status_code == 201
    assert alice.get(f"{BOOK}big.vcf").text == big
    assert [r.href for r in dav.sync_collection(alice, BOOK, token)] == [f"{BOOK}big.vcf"]


@pytest.mark.parametrize("full_disk", ["sqlite"], indirect=True)
def test_on_a_full_disk_small_carddav_writes_are_507_too(full_disk: FullDiskServer) -> None:
    """SQLite appends every change to its journal: on a full disk no write has room, not a
    new book or a deletion. (PostgreSQL may still fit a small row into a page it has, as
    any database does: there only writes that need new pages meet the full disk.)"""
    alice = full_disk.server.session("alice")
    dav.create_card(alice, f"{BOOK}ann.vcf", make_card("ann", "Ann Archer"))
    full_disk.fill()
    assert dav.mkcol_addressbook_raw(alice, "/alice/work/", "Work").status_code == 507
    assert alice.delete(f"{BOOK}ann.vcf").status_code == 507
    small = dav.put_vcard(alice, f"{BOOK}bob.vcf", make_card("bob", "Bob Baker"))
    assert (small.status_code, small.text.strip()) == (507, FULL)
    assert alice.get(f"{BOOK}ann.vcf").status_code == 200
    assert alice.request("PROPFIND", "/alice/work/", headers={"Depth": "0"}).status_code == 404


def _rows(count: int, first: int = 0) -> bytes:
    lines = ["Id,Name,Email,Note"]
    lines += [
        f"{i},Person {i},person{i}@example.org,{base64.b64encode(os.urandom(96)).decode()}"
        for i in range(first, first + count)
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_an_import_that_meets_a_full_disk_is_a_failed_run_that_changed_nothing(
    full_disk: FullDiskServer,
) -> None:
    alice = full_disk.server.session("alice")
    made = alice.post(
        "/api/v1/syncs",
        data={"name": "People"},
        files={"file": ("people.csv", io.BytesIO(_rows(3)), "text/csv")},
    )
    assert made.status_code == 201, made.text
    sync_id, book = made.json()["id"], made.json()["book"]
    first = api_call(alice, "POST", f"/api/v1/imports/{sync_id}/run").json()
    assert first["status"] == "ok", first
    token = dav.sync_collection(alice, f"/alice/{book}/", None).sync_token
    # A file far larger than the room left: the disk fills while the run writes it.
    replaced = alice.put(
        f"/api/v1/imports/{sync_id}/file",
        files={"file": ("people.csv", io.BytesIO(_rows(2000, first=1000)), "text/csv")},
    )
    assert replaced.status_code == 200, replaced.text
    reserve = full_disk.disk.path / "contacthub.db.reserve"
    assert (full_disk.postgres is None) == reserve.is_file()
    full_disk.fill(leave=1 * MiB)

    ran = api_call(alice, "POST", f"/api/v1/imports/{sync_id}/run")
    assert ran.status_code == 200, ran.text
    # SQLite: the room kept beside the store went to the run's last writes (without it,
    # whether they found room depended on where in the WAL the failed write stopped).
    assert not reserve.exists()
    assert (ran.json()["status"], ran.json()["message"]) == ("failed", FULL)
    runs = api_call(alice, "GET", f"/api/v1/imports/{sync_id}/runs").json()["runs"]
    assert [run["status"] for run in runs] == ["failed", "ok"]
    assert "Traceback" not in full_disk.server.log_tail(400)
    # Nothing of the run is kept: the book shows the first run's three contacts, unchanged.
    assert list(dav.sync_collection(alice, f"/alice/{book}/", token)) == []
    shown = api_call(alice, "GET", f"/api/v1/books/{book}").json()
    assert shown["contacts"] == 3

    full_disk.disk.free()
    again = api_call(alice, "POST", f"/api/v1/imports/{sync_id}/run").json()
    assert again.get("status") == "ok", again
    assert api_call(alice, "GET", f"/api/v1/books/{book}").json()["contacts"] == 2003
    assert (full_disk.postgres is None) == reserve.is_file()  # kept again once there is room
