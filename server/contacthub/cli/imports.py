"""`contacthub import` and `contacthub fields`: a CSV or .vcf file into a user's contacts.

The format is the `--format` given, else .vcf/.vcard files and files whose first line is
BEGIN:VCARD are vCard, anything else CSV."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from contacthub.cli.common import (
    command_settings,
    location_options,
    open_store,
    yield_cpu_to_serve,
)
from contacthub.config import Settings
from contacthub.sources.context import RunContext
from contacthub.store import Store
from contacthub.users import UsersFile


@click.command("import")
@location_options
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "owner", required=True, help="Whose address book receives the contacts.")
@click.option(
    "--book",
    help="The book to fill, by its id or name; made when there is none [default: From CSV (FILE)].",
)
@click.option(
    "--delimiter", help="comma, semicolon, tab, pipe or any one character [default: detected]."
)
@click.option("--encoding", help="e.g. utf-8, utf-16, cp1252 [default: detected].")
@click.option(
    "--map",
    "assignments",
    multiple=True,
    metavar="COLUMN=FIELD",
    help="Map a column to a field (see `contacthub fields`); FIELD none unmaps. "
    "Other columns keep the suggested mapping.",
)
@click.option("--key", "key_column", metavar="COLUMN", help="The column that identifies a row.")
@click.option("--generate-key", is_flag=True, help="Generate a 9-digit key per contact [default].")
@click.option("--update", is_flag=True, help="Update existing contacts with changes from the file.")
@click.option(
    "--delete-missing", is_flag=True, help="Delete the sync's contacts that are not in the file."
)
@click.option(
    "--allow-mass-deletion",
    is_flag=True,
    help="Run even if it would delete 90% or more of the sync's contacts.",
)
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["auto", "csv", "vcf"]),
    default="auto",
    show_default=True,
    help="csv or vcf; auto: vcf for a .vcf/.vcard file or one that starts with BEGIN:VCARD.",
)
def import_csv(
    data_dir: Path | None,
    config_file: Path | None,
    file: Path,
    owner: str,
    book: str | None,
    delimiter: str | None,
    encoding: str | None,
    assignments: tuple[str, ...],
    key_column: str | None,
    generate_key: bool,
    update: bool,
    delete_missing: bool,
    allow_mass_deletion: bool,
    dry_run: bool,
    file_format: str,
) -> None:
    """Import FILE (CSV or vCard) into USER's contacts; the same file again changes nothing.

    A .vcf goes into --book (made when there is none), else into the book "FILE (vCard)";
    its contacts are matched by UID (or name, email and phone), updated when they
    changed, and never deleted. The CSV options do not apply to it."""
    from contacthub.errors import UserError
    from contacthub.reconcile import RunFailed
    from contacthub.sources.csv import Mapping, parse_assignment, parse_delimiter
    from contacthub.sources.csv import source as csv_source

    if key_column and generate_key:
        raise click.UsageError("--key and --generate-key exclude each other")
    if _is_vcf(file, file_format):
        csv_only = {
            "--delimiter": delimiter,
            "--encoding": encoding,
            "--map": assignments,
            "--key": key_column,
            "--generate-key": generate_key,
            "--delete-missing": delete_missing,
            "--allow-mass-deletion": allow_mass_deletion,
        }
        given = [name for name, value in csv_only.items() if value]
        if given:
            raise click.UsageError(f"{', '.join(given)}: only for a CSV file, not a .vcf")
        _import_vcf(data_dir, config_file, file, owner, book, dry_run)
        return
    settings = _settings_to_import(data_dir, config_file, owner)
    store = open_store(settings)
    try:
        separator = parse_delimiter(delimiter) if delimiter else None
        source = _csv_source_for(settings, store, owner, file, book, separator, encoding)
        view = csv_source.view(store, source)
        mapping = Mapping.from_json(view.settings.mapping)
        for assignment in assignments:
            column, field_id = parse_assignment(assignment)
            mapping.set(column, field_id)
        view = csv_source.configure(
            store,
            source,
            delimiter=separator,
            encoding=encoding,
            mapping=mapping.to_json(),
            key_column=key_column,
            update_existing=update,
            delete_missing=delete_missing,
        )
        click.echo(
            f"{file.name}: {view.encoding}, delimiter {view.delimiter!r}, "
            f"{len(view.header)} columns, into {view.source.book_path}"
        )
        with _progress_bar(file) as progress:
            outcome = csv_source.run_import(
                store,
                view.source,
                dry_run=dry_run,
                override_mass_deletion=allow_mass_deletion,
                progress=progress,
            )
    except (UserError, ValueError) as error:  # ValueError: a delimiter that cannot be one
        raise click.ClickException(str(error)) from None
    except RunFailed as error:
        raise click.ClickException(f"the import failed and changed nothing: {error}") from None
    finally:
        store.close()
    _report(outcome, dry_run)
    if outcome.status == "refused":
        sys.exit(3)


_VCF_SUFFIXES = (".vcf", ".vcard")


def _settings_to_import(data_dir: Path | None, config_file: Path | None, owner: str) -> Settings:
    """The settings of an import into `owner`'s books, once the account is known to exist;
    from then on the process runs at the lower CPU priority of background work."""
    settings = command_settings(data_dir, config_file)
    if not UsersFile(settings.users_file).exists(owner):
        raise click.ClickException(f"no user {owner!r}")
    yield_cpu_to_serve(settings)
    return settings


def _is_vcf(file: Path, file_format: str) -> bool:
    if file_format != "auto":
        return file_format == "vcf"
    if file.suffix.lower() in _VCF_SUFFIXES:
        return True
    with file.open("rb") as opened:
        start = opened.read(64).removeprefix(b"\xef\xbb\xbf").lstrip()
    return start[:11].upper() == b"BEGIN:VCARD"


def _import_vcf(
    data_dir: Path | None,
    config_file: Path | None,
    file: Path,
    owner: str,
    book: str | None,
    dry_run: bool,
) -> None:
    from contacthub.errors import NotFound, UserError
    from contacthub.services import books, vcf_imports

    settings = _settings_to_import(data_dir, config_file, owner)
    store = open_store(settings)
    ctx = RunContext(store, settings)
    try:
        book_id = new_book = None
        if book is not None:
            try:
                book_id = books.book_named(ctx, owner, book).name
            except NotFound:
                new_book = book
        done = vcf_imports.import_vcf(
            ctx,
            owner,
            file.name,
            file.read_bytes(),
            book=book_id,
            new_book=new_book,
            trigger="cli",
            dry_run=dry_run,
        )
    except UserError as error:
        raise click.ClickException(str(error)) from None
    finally:
        store.close()
    if done.book_made:
        click.echo(f"made the address book {done.book.display_name!r} ({done.book.name})")
    click.echo(f"{file.name}: vCard, into {done.book.path}")
    _report(done.outcome, dry_run)


@contextmanager
def _progress_bar(file: Path) -> Iterator[Callable[[int, int], None]]:
    """A bar on a terminal, as the file is read; elsewhere (a log, a pipe) nothing: the
    summary line after the run says what was done."""
    if not sys.stderr.isatty():
        yield lambda _done, _total: None
        return
    with click.progressbar(
        length=file.stat().st_size, label=f"importing {file.name}", file=sys.stderr
    ) as bar:

        def progress(done: int, _total: int) -> None:
            bar.update(done - bar.pos)

        yield progress


def _csv_source_for(
    settings: Settings,
    store: Store,
    owner: str,
    file: Path,
    book: str | None,
    delimiter: str | None,
    encoding: str | None,
) -> Any:
    """The file's sync (found by its name), with the file as it is now."""
    from contacthub.sources.csv import source as csv_source

    content = file.read_bytes()
    with store.read() as tx:
        existing = tx.find_source(owner, csv_source.KIND, file.stem)
    if existing is not None:
        csv_source.replace_file(store, existing, file.name, content)
        return existing
    book_path = _book_path(RunContext(store, settings), owner, book) if book else None
    return csv_source.create_import(
        store,
        owner,
        file.name,
        content,
        name=file.stem,
        book_path=book_path,
        delimiter=delimiter,
        encoding=encoding,
    ).source


def _book_path(ctx: RunContext, owner: str, id_or_name: str) -> str:
    """The owner's book of that id or name; one of that name, made, when there is none."""
    from contacthub.errors import NotFound
    from contacthub.services import books

    try:
        return books.book_named(ctx, owner, id_or_name).path
    except NotFound:
        made = books.create_book(ctx, owner, id_or_name)
    click.echo(f"made the address book {made.record.display_name!r} ({made.id})")
    return made.record.path


def _report(outcome: Any, dry_run: bool) -> None:
    from contacthub.reconcile import effect

    counts = outcome.changes.counts
    heading = "dry run, nothing changed" if dry_run else outcome.status.replace("_", " ")
    if outcome.changes.refused:  # its counts were never applied: said as what it would do
        click.echo(f"{heading}: {outcome.changes.refused}")
        click.echo(effect(outcome.status, counts))
    else:
        click.echo(heading + ": " + ", ".join(f"{n} {name}" for name, n in counts.items()))
    for change in outcome.changes.of("skip")[:20]:
        click.echo(f"  skipped line {change.line}: {change.summary} ({change.reason})")
    for problem in outcome.changes.problems[:20]:
        click.echo(f"  {problem}")
    if len(outcome.changes.problems) > 20:
        click.echo(f"  ... and {len(outcome.changes.problems) - 20} more problems")


@click.command("fields")
def list_fields() -> None:
    """The contact fields a CSV column can be mapped to."""
    from contacthub.sources.csv import all_fields

    for info in all_fields():
        click.echo(f"{info.id}\t{info.label}")
