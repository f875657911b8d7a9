"""`contacthub sync list|show|run|delete` against a real HTTP server on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from contacthub import config
from contacthub.cli import main
from contacthub.sources.context import RunContext
from contacthub.sources.csv import source as csv_source
from contacthub.sources.csv.remote import create_remote_sync, origin_of
from contacthub.sources.imap import source as imap_source
from contacthub.sources.imap.connection import ImapAccount
from contacthub.sources.settings import parse_notify, parse_schedule, save_settings
from contacthub.store import Store
from tests.fetch.http_server import LocalHTTPServer, ServedFile, Site
from tests.imap.messages import EXPECTED, INBOX_COUNT, SENT_COUNT

PEOPLE = b"Name,Email\r\nAnn Archer,ann@example.org\r\nBob Baker,bob@example.org\r\n"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "contacthub.conf").write_text(
        "[fetch]\nallowed_networks = 127.0.0.0/8\ntimeout = 5\n", encoding="utf-8"
    )
    result = CliRunner().invoke(
        main, ["user", "add", "ann", "--data-dir", str(tmp_path)], input="secret-long-enough\n"
    )
    assert result.exit_code == 0, result.output
    return tmp_path


@pytest.fixture
def site() -> Iterator[tuple[Site, LocalHTTPServer]]:
    site = Site(files={"/people.csv": ServedFile(PEOPLE)})
    with LocalHTTPServer(site) as server:
        yield site, server


@pytest.fixture
def ctx(data_dir: Path) -> Iterator[RunContext]:
    settings = config.load(data_dir)
    context = RunContext(Store.open(settings.store_url), settings)
    with context.store.write() as tx:
        tx.ensure_collection("ann")  # (`user add` made it, with the book Contacts)
    yield context
    context.store.close()


def sync(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["sync", *args, "--data-dir", str(data_dir)])


def test_run_lists_and_shows_a_remote_sync(
    data_dir: Path, ctx: RunContext, site: tuple[Site, LocalHTTPServer]
) -> None:
    _, server = site
    source = create_remote_sync(
        ctx,
        "ann",
        {"url": server.url("/people.csv"), "username": "reader", "password": "pa55-word"},
    )
    schedule = parse_schedule(
        {"start": "2030-03-01T09:00", "timezone": "Europe/Tallinn", "frequency": "daily"},
        origin_of(source),
        ctx.now(),
    )
    save_settings(ctx, source, schedule=schedule, notify=parse_notify("boss@example.org"))

    first = sync(data_dir, "run", str(source.id))
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("ok: 2 added")
    assert "report email not sent: no SMTP server is configured" in first.output
    again = sync(data_dir, "run", str(source.id))
    assert again.exit_code == 0 and again.stdout.startswith("no changes")

    listed = sync(data_dir, "list")
    assert listed.exit_code == 0, listed.output
    header, row = listed.stdout.splitlines()
    assert header.split() == [
        "ID",
        "USER",
        "NAME",
        "SOURCE",
        "LATEST",
        "IMPORT",
        "NEXT",
        "IMPORT",
        "STATUS",
    ]
    assert "people" in row and server.url("/people.csv") in row
    assert "2030-03-01 07:00 UTC" in row  # 09:00 in Tallinn, winter time
    assert row.endswith("no changes")

    shown = sync(data_dir, "show", str(source.id))
    assert shown.exit_code == 0, shown.output
    assert "daily at 09:00 (Europe/Tallinn)" in shown.output
    assert "reader (password stored)" in shown.output
    assert "boss@example.org" in shown.output
    assert "pa55-word" not in listed.output + shown.output
    # No SMTP server is configured: the run says so, and still succeeded.
    assert "email not sent: no SMTP server is configured" in shown.output


def test_a_failed_run_exits_non_zero_with_the_reason(
    data_dir: Path, ctx: RunContext, site: tuple[Site, LocalHTTPServer]
) -> None:
    files, server = site
    source = create_remote_sync(ctx, "ann", {"url": server.url("/people.csv")})
    del files.files["/people.csv"]
    result = sync(data_dir, "run", str(source.id))
    assert result.exit_code == 1
    assert f"failed: HTTP 404 for {server.url('/people.csv')}" in result.output


def test_an_uploaded_file_is_not_run_by_sync_run(data_dir: Path, ctx: RunContext) -> None:
    view = csv_source.create_import(ctx.store, "ann", "people.csv", PEOPLE)
    result = sync(data_dir, "run", str(view.source.id))
    assert result.exit_code == 1
    assert "imports an uploaded file" in result.output


def test_delete_removes_the_sync_and_keeps_its_contacts(
    data_dir: Path, ctx: RunContext, site: tuple[Site, LocalHTTPServer]
) -> None:
    _, server = site
    source = create_remote_sync(ctx, "ann", {"url": server.url("/people.csv")})
    assert sync(data_dir, "run", str(source.id)).exit_code == 0

    result = sync(data_dir, "delete", str(source.id), "--yes")

    assert result.exit_code == 0, result.output
    with ctx.store.read() as tx:
        assert tx.get_source(source.id) is None
        book = tx.require_collection(source.book_path)
        assert len(list(tx.iter_items(book.id))) == 2
    assert "no sync" in sync(data_dir, "show", str(source.id)).output


def test_a_mail_account_is_listed_and_synced_like_a_file(
    data_dir: Path, ctx: RunContext, seeded: ImapAccount
) -> None:
    source = imap_source.connect_account(
        ctx,
        "ann",
        {
            "username": seeded.username,
            "password": seeded.password,
            "host": seeded.host,
            "port": seeded.port,
            "ssl": False,
        },
        name="mail",
    )

    ran = sync(data_dir, "run", str(source.id))
    assert ran.exit_code == 0, ran.output
    assert ran.stdout.startswith(
        f"ok: {len(EXPECTED)} added; {INBOX_COUNT + SENT_COUNT} messages scanned"
    )

    listed = sync(data_dir, "list").stdout.splitlines()[1]
    assert f"imap: {seeded.username} at {seeded.host}" in listed
    shown = sync(data_dir, "show", str(source.id)).output
    assert f"{seeded.username} (password stored)" in shown
    assert seeded.password not in listed + shown
