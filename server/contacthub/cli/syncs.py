"""`contacthub sync` (list, show, run, delete saved syncs: CSV files and mail accounts)
and `contacthub worker`."""

from __future__ import annotations

import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

import click

from contacthub.cli.common import (
    command_settings,
    location_options,
    open_store,
    yield_cpu_to_serve,
)
from contacthub.config import Settings
from contacthub.jobs.runner import run_sync
from contacthub.jobs.scheduler import TICK_SECONDS, Scheduler
from contacthub.jobs.status import status_of
from contacthub.reconcile import applied, effect
from contacthub.sources.context import RunContext
from contacthub.sources.csv import source as csv_source
from contacthub.sources.csv.remote import origin_of
from contacthub.sources.imap import source as imap_source
from contacthub.sources.registry import RUNNABLE
from contacthub.sources.settings import SyncBusy, delete_sync, notify_of, schedule_of
from contacthub.store import SourceRecord, Store


@click.group()
def sync() -> None:
    """Saved syncs: CSV files (uploaded, or fetched over HTTP or FTP) and mail accounts."""


def _context(data_dir: Path | None, config_file: Path | None) -> RunContext:
    settings = command_settings(data_dir, config_file)
    return RunContext(open_store(settings), settings)


def _require(store: Store, sync_id: int) -> SourceRecord:
    with store.read() as tx:
        source = tx.get_source(sync_id)
    if source is None or source.kind not in RUNNABLE:
        raise click.ClickException(f"no sync {sync_id} (see `contacthub sync list`)")
    return source


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _where(source: SourceRecord) -> str:
    """Where its contacts come from: a file's URL, "upload", or a mail account."""
    if source.kind != csv_source.KIND:
        account = source.settings.get("account") or {}
        if source.kind == imap_source.KIND:
            return f"imap: {account.get('username')} at {account.get('host')}"
        return f"exchange: {account.get('email')}"
    origin = origin_of(source)
    return origin.url if origin.is_remote else "upload"


@sync.command("list")
@location_options
@click.option("--user", "owner", help="Only this user's syncs.")
def sync_list(data_dir: Path | None, config_file: Path | None, owner: str | None) -> None:
    """Every sync: its latest import, next import and status."""
    ctx = _context(data_dir, config_file)
    rows = [("ID", "USER", "NAME", "SOURCE", "LATEST IMPORT", "NEXT IMPORT", "STATUS")]
    with ctx.store.read() as tx:
        found = [source for kind in RUNNABLE for source in tx.list_sources(owner=owner, kind=kind)]
        for source in sorted(found, key=lambda source: source.id):
            status = status_of(tx, source, ctx.now())
            latest = status.latest.finished_at if status.latest else None
            rows.append(
                (
                    str(source.id),
                    source.owner,
                    source.name,
                    _where(source),
                    _when(latest),
                    _when(status.next_run_at),
                    status.text,
                )
            )
    ctx.store.close()
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]))


@sync.command("show")
@location_options
@click.argument("sync_id", type=int)
def sync_show(data_dir: Path | None, config_file: Path | None, sync_id: int) -> None:
    """One sync's settings and its latest runs."""
    ctx = _context(data_dir, config_file)
    source = _require(ctx.store, sync_id)
    with ctx.store.read() as tx:
        status = status_of(tx, source, ctx.now())
        runs = tx.runs_of(source.id, limit=5)
    ctx.store.close()
    schedule = schedule_of(source)
    lines = [
        ("name", source.name),
        ("user", source.owner),
        ("book", source.book_path),
        ("source", _where(source)),
        ("login", _login(source)),
        ("schedule", schedule.describe() if schedule else "none"),
        ("next import", _when(status.next_run_at)),
        ("notify", ", ".join(notify_of(source)) or "nobody"),
        ("status", status.text),
    ]
    for name, value in lines:
        click.echo(f"{name + ':':<13}{value}")
    for run in runs:
        click.echo(
            f"run {run.id}: {_when(run.started_at)} {run.trigger}: {run.status} "
            f"- {run.message}" + (f" (email {run.email})" if run.email else "")
        )
        for problem in run.problems[:5]:
            where = f"line {problem['line']}: " if problem.get("line") else ""
            click.echo(f"    {where}{problem.get('reason', '')}")


def _login(source: SourceRecord) -> str:
    if source.kind == csv_source.KIND:
        origin = origin_of(source)
        user, stored = origin.username, origin.sealed_password is not None
    else:
        account = source.settings.get("account") or {}
        user = account.get("username") or account.get("email")
        stored = bool(source.settings.get("sealed_password"))
    return f"{user or '-'}{' (password stored)' if stored else ''}"


@sync.command("run")
@location_options
@click.argument("sync_id", type=int)
@click.option(
    "--allow-mass-deletion",
    is_flag=True,
    help="Run even if it would delete 90% or more of the sync's contacts.",
)
def sync_run(
    data_dir: Path | None, config_file: Path | None, sync_id: int, allow_mass_deletion: bool
) -> None:
    """Import now: fetch a sync's remote file and import it, or sync a mail account."""
    ctx = _context(data_dir, config_file)
    try:
        source = _require(ctx.store, sync_id)
        if source.kind == csv_source.KIND and not origin_of(source).is_remote:
            raise click.ClickException(
                f"sync {sync_id} imports an uploaded file; import a new one with "
                "`contacthub import FILE --user USER`"
            )
        run = run_sync(ctx, source, override_mass_deletion=allow_mass_deletion)
    except SyncBusy as busy:
        raise click.ClickException(str(busy)) from None
    finally:
        ctx.store.close()
    click.echo(f"{run.status.replace('_', ' ')}: {run.message}" if run.message else run.status)
    if not applied(run.status):
        click.echo(effect(run.status, run.counts))
    for problem in run.problems[:20]:
        where = f"line {problem['line']}: " if problem.get("line") else ""
        click.echo(f"  {where}{problem.get('reason', '')}")
    if run.email:
        click.echo(f"report email {run.email}")
    if run.status == "failed":
        sys.exit(1)
    if run.status == "refused":
        sys.exit(3)


@sync.command("delete")
@location_options
@click.argument("sync_id", type=int)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def sync_delete(data_dir: Path | None, config_file: Path | None, sync_id: int, yes: bool) -> None:
    """Stop and remove a sync; its contacts and address book stay."""
    ctx = _context(data_dir, config_file)
    try:
        source = _require(ctx.store, sync_id)
        if not yes:
            click.confirm(f"delete sync {sync_id} ({source.name!r}) of {source.owner}?", abort=True)
        delete_sync(ctx, source)
    except SyncBusy as busy:
        raise click.ClickException(str(busy)) from None
    finally:
        ctx.store.close()
    click.echo(f"deleted sync {sync_id}; its contacts stay in {source.book_path}")


@click.command()
@location_options
@click.option("--once", is_flag=True, help="Run what is due now, then exit.")
@click.option(
    "--interval",
    type=float,
    default=None,
    help=f"Seconds between looks for due syncs; default: [contacthub] scheduler_interval "
    f"({TICK_SECONDS:g}).",
)
def worker(
    data_dir: Path | None, config_file: Path | None, once: bool, interval: float | None
) -> None:
    """Run scheduled syncs (beside or instead of the scheduler in `serve`)."""
    from contacthub.serve import setup_logging

    settings = command_settings(data_dir, config_file)
    setup_logging(settings)
    yield_cpu_to_serve(settings)
    ctx = RunContext(open_store(settings), settings)
    scheduler = Scheduler(ctx)
    try:
        if once:
            for run in scheduler.tick():
                click.echo(f"sync {run.source_id}: {run.status}: {run.message}")
            return
        _run_until_stopped(scheduler, interval or settings.scheduler_interval, settings)
    finally:
        ctx.store.close()


def _run_until_stopped(scheduler: Scheduler, interval: float, settings: Settings) -> None:
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    click.echo(
        f"contacthub worker {scheduler.holder}: running due syncs of "
        f"{settings.store_url.split('://')[0]} store",
        err=True,
    )
    scheduler.run_forever(stop, interval)
