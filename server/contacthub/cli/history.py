"""`contacthub trash list|restore|restore-book`, `contacthub history show`, `contacthub
restore` and `contacthub run undo`: a user's deleted contacts and address books, a
contact's versions, a book restored to a time, a run undone, from a shell.

BOOK is a book's id or its display name; TIME is ISO 8601, with a zone or in UTC. A
restore and an undo print what they do before doing it (`--dry-run`: only that), and are
recorded as runs of their own, which `contacthub run undo` undoes in turn.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from contacthub.cli.common import location_options, service_context
from contacthub.errors import NotFound, quoted
from contacthub.services import book_trash, history
from contacthub.services.books import book_named, books_of
from contacthub.services.history_refs import run_owner
from contacthub.services.times import EXAMPLE, parse_time, shown_time
from contacthub.sources.context import RunContext
from contacthub.users import UsersFile

VIA = "cli"
LISTED = 50  # contacts shown per list of a preview; the rest are counted


def _require_user(ctx: RunContext, user: str) -> None:
    if not UsersFile(ctx.settings.users_file).exists(user):
        raise click.ClickException(f"There is no user {quoted(user)}.")


def _table(rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        click.echo("  ".join([*cells, row[-1]]).rstrip())


def _who(who: history.Who | None) -> str:
    if who is None:
        return "-"
    through = f"{who.account} via {who.via}" if who.account else f"via {who.via}"
    if who.run_id is not None:
        through += f" (run {who.run_id})"
    return through + (f" ({who.agent})" if who.agent else "")


# -- the trash --------------------------------------------------------------------------------


@click.group()
def trash() -> None:
    """Contacts and address books deleted within the history's retention (30 days by
    default)."""


@trash.command("list")
@location_options
@click.option("--user", required=True, help="Whose address books.")
@click.option("--book", help="Only this book (its id or its name) [default: every book].")
def trash_list(
    data_dir: Path | None, config_file: Path | None, user: str, book: str | None
) -> None:
    """List the deleted contacts, newest first: who deleted them, when, through what; and
    (without --book) the deleted address books."""
    with service_context(data_dir, config_file) as ctx:
        _require_user(ctx, user)
        ids = [book_named(ctx, user, book).name] if book else [b.id for b in books_of(ctx, user)]
        entries = [entry for book_id in ids for entry in history.trash(ctx, user, book_id)]
        deleted = [] if book else book_trash.deleted_books(ctx, user)
    if entries:
        _trash_table(entries)
    else:
        click.echo(f"the trash of {quoted(book) if book else 'every book of ' + user} is empty")
    if deleted:
        click.echo()
        click.echo("deleted address books (contacthub trash restore-book --user USER BOOK):")
        _deleted_books_table(deleted)


def _deleted_books_table(deleted: list[book_trash.DeletedBookEntry]) -> None:
    rows = [("ID", "NAME", "WAS", "CONTACTS", "DELETED", "BY", "PURGED")]
    for book in deleted:
        rows.append(
            (
                str(book.id),
                book.display_name,
                book.book,
                str(book.contacts),
                shown_time(book.deleted_at),
                _who(book.deleted_by),
                shown_time(book.purge_at),
            )
        )
    _table(rows)


def _trash_table(entries: list[history.TrashEntry]) -> None:
    rows = [("BOOK", "UID", "NAME", "DELETED", "BY")]
    for entry in sorted(entries, key=lambda entry: -entry.deleted_at):
        rows.append(
            (
                entry.book,
                entry.uid,
                entry.name,
                shown_time(entry.deleted_at),
                _who(entry.deleted_by),
            )
        )
    _table(rows)


@trash.command("restore")
@location_options
@click.option("--user", required=True, help="Whose address book.")
@click.option("--book", required=True, help="The book (its id or its name).")
@click.option("--all", "everything", is_flag=True, help="Bring back every contact of the trash.")
@click.argument("uids", nargs=-1)
def trash_restore(
    data_dir: Path | None,
    config_file: Path | None,
    user: str,
    book: str,
    everything: bool,
    uids: tuple[str, ...],
) -> None:
    """Bring back the contacts with these UIDs (or --all) under their UID and href."""
    if everything == bool(uids):
        raise click.UsageError("name the UIDs of the contacts to bring back, or give --all")
    with service_context(data_dir, config_file) as ctx:
        _require_user(ctx, user)
        book_id = book_named(ctx, user, book).name
        chosen = None if everything else list(uids)
        done = history.restore_from_trash(ctx, user, book_id, chosen, via=VIA)
    _done(done)


@trash.command("restore-book")
@location_options
@click.option("--user", required=True, help="Whose deleted address book.")
@click.argument("book")
def trash_restore_book(
    data_dir: Path | None, config_file: Path | None, user: str, book: str
) -> None:
    """Bring back the deleted address book BOOK (its id in `trash list`, or its name) with
    its contacts, at the id it had (beside it if another book took that id since)."""
    with service_context(data_dir, config_file) as ctx:
        _require_user(ctx, user)
        done = book_trash.restore_deleted_book(
            ctx, user, book_trash.deleted_book_named(ctx, user, book).id
        )
    click.echo(f"ok: {done.message}")


# -- a contact's history ----------------------------------------------------------------------


@click.group("history")
def history_group() -> None:
    """A contact's versions within the history's retention."""


@history_group.command("show")
@location_options
@click.option("--user", required=True, help="Whose address books.")
@click.argument("uid")
def history_show(data_dir: Path | None, config_file: Path | None, user: str, uid: str) -> None:
    """The versions of the contact with UID in every book of USER, newest first."""
    with service_context(data_dir, config_file) as ctx:
        _require_user(ctx, user)
        found = [
            (book.record.display_name, shown)
            for book in books_of(ctx, user)
            if (shown := _history_in(ctx, user, book.id, uid)) is not None
        ]
    if not found:
        raise click.ClickException(
            f"There is no contact with UID {quoted(uid)} in the address books of {user}."
        )
    for number, (book_name, shown) in enumerate(found):
        if number:
            click.echo()
        click.echo(f"{quoted(shown.name)} (UID {shown.uid}) in {quoted(book_name)} ({shown.book})")
        rows = [("VERSION", "MADE AT", "BY", "ACTION", "CHANGED")]
        for version in shown.versions:
            rows.append(
                (
                    "current" if version.current else str(version.version),
                    shown_time(version.at) if version.at is not None else "-",
                    _who(version.by),
                    version.action or "(before the history)",
                    ", ".join(version.changed),
                )
            )
        _table(rows)


def _history_in(
    ctx: RunContext, user: str, book_id: str, uid: str
) -> history.ContactHistory | None:
    try:
        return history.contact_history(ctx, user, book_id, uid)
    except NotFound:
        return None


# -- a restore to a time ----------------------------------------------------------------------


@click.command("restore")
@location_options
@click.argument("book")
@click.option("--user", required=True, help="Whose address book.")
@click.option(
    "--to",
    "to",
    required=True,
    metavar="TIME",
    help=f"ISO 8601: {EXAMPLE}; a time without an offset is UTC.",
)
@click.option("--dry-run", is_flag=True, help="Show what the restore would do; change nothing.")
def restore(
    data_dir: Path | None,
    config_file: Path | None,
    book: str,
    user: str,
    to: str,
    dry_run: bool,
) -> None:
    """Restore BOOK (its id or its name) to how it was at TIME, as new changes every
    client syncs; undo it with `contacthub run undo`."""
    with service_context(data_dir, config_file) as ctx:
        _require_user(ctx, user)
        record = book_named(ctx, user, book)
        at = parse_time(to, field="to")
        preview = history.preview_restore(ctx, user, [record.name], at)
        click.echo(f"restore {quoted(record.display_name)} ({record.name}) to {shown_time(at)}:")
        _preview(preview)
        if dry_run:
            click.echo("dry run: nothing changed")
            return
        done = history.apply_restore(ctx, user, [record.name], at, via=VIA, basis=preview.basis)
    _done(done, listed=False)


# -- the undo of a run ------------------------------------------------------------------------


@click.group("run")
def run_group() -> None:
    """Runs: of a source (CSV, IMAP, Exchange, a phone's push), a restore, an undo."""


@run_group.command("undo")
@location_options
@click.argument("run_id", type=int)
@click.option("--dry-run", is_flag=True, help="Show what the undo would do; change nothing.")
@click.option(
    "--include-later-changes",
    is_flag=True,
    help="Undo the run's changes to contacts that changed again after it too "
    "[default: leave those as they are].",
)
def run_undo(
    data_dir: Path | None,
    config_file: Path | None,
    run_id: int,
    dry_run: bool,
    include_later_changes: bool,
) -> None:
    """Undo run RUN_ID: its adds removed, its updates and deletions reverted."""
    with service_context(data_dir, config_file) as ctx:
        owner = run_owner(ctx, run_id)
        preview = history.preview_undo(ctx, owner, run_id, include_later_changes)
        click.echo(f"undo run {run_id} of {owner}:")
        _preview(preview)
        if preview.changed_later:
            what = "undone too" if include_later_changes else "left as they are"
            click.echo(f"changed again after the run, {what}:")
            _contacts(preview.changed_later)
            if not include_later_changes:
                click.echo("  (--include-later-changes undoes them too)")
        if dry_run:
            click.echo("dry run: nothing changed")
            return
        done = history.apply_undo(
            ctx, owner, run_id, include_later_changes, via=VIA, basis=preview.basis
        )
    _done(done, listed=False)


# -- what they print --------------------------------------------------------------------------


def _preview(preview: history.RestorePreview) -> None:
    counts = preview.counts
    click.echo(
        f"{counts['added']} brought back, {counts['updated']} reverted, "
        f"{counts['deleted']} removed, {counts['skipped']} left as they are"
    )
    for heading, contacts in (
        ("brought back", preview.brought_back),
        ("reverted", preview.reverted),
        ("removed", preview.removed),
        ("left as they are", preview.skipped),
    ):
        if contacts:
            click.echo(f"{heading}:")
            _contacts(contacts)


def _contacts(contacts: Sequence[history.PlannedContact]) -> None:
    for contact in contacts[:LISTED]:
        why = f" - {contact.reason}" if contact.reason else ""
        click.echo(f"  {contact.name or contact.uid} (UID {contact.uid}, in {contact.book}){why}")
    if len(contacts) > LISTED:
        click.echo(f"  ... and {len(contacts) - LISTED} more")


def _done(done: history.RestoreResult, *, listed: bool = True) -> None:
    click.echo(f"{done.status.replace('_', ' ')}: {done.message}")
    if listed:
        _contacts(done.done.brought_back)
    click.echo(f"recorded as run {done.run_id}: `contacthub run undo {done.run_id}` undoes it")
