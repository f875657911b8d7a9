"""Syncs of a file on an FTP or FTPS server (each test runs against both)."""

from __future__ import annotations

import os
from pathlib import Path

from contacthub.jobs.runner import run_sync
from contacthub.jobs.status import status_of
from contacthub.sources.context import RunContext
from contacthub.sources.csv.remote import create_remote_sync, update_origin
from contacthub.sources.csv.run import UNCHANGED
from contacthub.store import SourceRecord, Store
from tests.fetch.ftp_server import PASSWORD, USER, LocalFTPServer
from tests.jobs.conftest import OWNER
from tests.jobs.helpers import (
    ANN,
    BOB,
    CID,
    PEOPLE,
    book_of,
    csv_of,
    reload,
    stored_fetch_state,
    stored_settings_json,
)

MODIFIED = 1_700_000_000  # the file's time on the server (MDTM), moved by hand


def put(root: Path, content: bytes, modified: float = MODIFIED) -> None:
    path = root / "people.csv"
    path.write_bytes(content)
    os.utime(path, (modified, modified))


def ftp_sync(ctx: RunContext, ftp: LocalFTPServer, root: Path) -> SourceRecord:
    put(root, PEOPLE)
    return create_remote_sync(
        ctx, OWNER, {"url": ftp.url("/people.csv"), "username": USER, "password": PASSWORD}
    )


def test_an_ftp_sync_imports_and_then_finds_the_file_unchanged(
    ctx: RunContext, store: Store, ftp: LocalFTPServer, ftp_root: Path
) -> None:
    source = ftp_sync(ctx, ftp, ftp_root)

    first = run_sync(ctx, source)
    book = book_of(store, source)
    second = run_sync(ctx, source)

    assert first.status == "ok" and first.counts["added"] == 2
    assert (second.status, second.message) == ("no_changes", UNCHANGED)
    assert book_of(store, source) == book
    assert PASSWORD not in stored_settings_json(store, source)
    state = stored_fetch_state(store, source)
    assert state is not None and state["size"] == len(PEOPLE)


def test_a_file_changed_on_the_ftp_server_is_imported(
    ctx: RunContext, store: Store, ftp: LocalFTPServer, ftp_root: Path
) -> None:
    source = ftp_sync(ctx, ftp, ftp_root)
    run_sync(ctx, source)

    put(ftp_root, csv_of(ANN, BOB, CID), MODIFIED + 60)
    run = run_sync(ctx, source)

    assert run.status == "ok"
    assert (run.counts["added"], run.counts["unchanged"]) == (1, 2)
    assert book_of(store, source).names == ["Ann Archer", "Bob Baker", "Cid Carter"]


def test_a_touched_ftp_file_with_the_same_content_is_no_change_and_its_time_is_kept(
    ctx: RunContext, store: Store, ftp: LocalFTPServer, ftp_root: Path
) -> None:
    source = ftp_sync(ctx, ftp, ftp_root)
    run_sync(ctx, source)
    before = stored_fetch_state(store, source)
    book = book_of(store, source)

    put(ftp_root, PEOPLE, MODIFIED + 3600)
    run = run_sync(ctx, source)

    assert run.status == "no_changes"
    assert book_of(store, source) == book
    after = stored_fetch_state(store, source)
    assert before is not None and after is not None
    assert after["mdtm"] != before["mdtm"]  # the next run compares with the new time
    assert after["sha256"] == before["sha256"]


def test_a_failed_ftp_login_is_a_failed_run_naming_the_user(
    ctx: RunContext, store: Store, ftp: LocalFTPServer, ftp_root: Path
) -> None:
    source = ftp_sync(ctx, ftp, ftp_root)
    source = update_origin(
        ctx,
        source,
        {"url": ftp.url("/people.csv"), "username": USER, "password": "not-the-password"},
    )

    run = run_sync(ctx, source)

    assert run.status == "failed"
    assert run.message == f"FTP login failed for user {USER}"
    with store.read() as tx:
        status = status_of(tx, reload(store, source), ctx.now())
    assert (status.status, status.text) == ("failed", f"failed: {run.message}")


def test_a_missing_ftp_file_is_a_failed_run(
    ctx: RunContext, ftp: LocalFTPServer, ftp_root: Path
) -> None:
    source = ftp_sync(ctx, ftp, ftp_root)
    (ftp_root / "people.csv").unlink()

    run = run_sync(ctx, source)

    assert run.status == "failed"
    assert run.message == "FTP file people.csv not found on host 127.0.0.1"
