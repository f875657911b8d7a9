"""The `contacthub` command."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import config as config_module
from .config import ConfigError, Settings
from .setup import FIRST_ADMIN, ensure_first_admin, prepare_data_dir
from .store import Store
from .users import UserError, UsersFile


def location_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--config", "config_file", type=click.Path(path_type=Path),
        help="Configuration file [default: DATA_DIR/contacthub.conf].",
    )(command)
    return click.option(
        "--data-dir", type=click.Path(file_okay=False, path_type=Path),
        help="Data directory [default: $CONTACTHUB_DATA_DIR or ~/.local/share/contacthub].",
    )(command)


def _settings(data_dir: Path | None, config_file: Path | None, **overrides: Any) -> Settings:
    try:
        return config_module.load(data_dir, config_file, **overrides)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None


def _open_store(settings: Settings) -> Store:
    try:
        return Store.open(settings.store_url, history_retention=settings.history_retention)
    except ModuleNotFoundError as error:
        raise click.ClickException(
            f"{error}: for PostgreSQL install contacthub[postgresql]") from None


@click.group()
@click.version_option(package_name="contacthub")
def main() -> None:
    """contacthub: address books that every phone and mail client syncs over CardDAV."""


@main.command()
@location_options
@click.option("--host", help="Address to listen on [default: 127.0.0.1].")
@click.option("--port", type=int, help="Port to listen on [default: 5232].")
@click.option("--store", "store_url", help="Store URL: sqlite:///PATH or postgresql://...")
def serve(data_dir: Path | None, config_file: Path | None, host: str | None, port: int | None,
          store_url: str | None) -> None:
    """Serve CardDAV; on the first start, create the data directory and an admin."""
    from .serve import serve as run_server
    from .serve import setup_logging

    location = _settings(data_dir, config_file)
    first = prepare_data_dir(location.data_dir, location.config_file)
    if first.created_data_dir:
        click.echo(f"contacthub: created data directory {location.data_dir}")
    if first.created_config:
        click.echo(f"contacthub: wrote configuration {location.config_file}")
    settings = _settings(data_dir, config_file, host=host, port=port, store_url=store_url)
    setup_logging(settings)
    store = _open_store(settings)
    password = ensure_first_admin(settings, store)
    if password:
        click.echo(f'contacthub: created admin account "{FIRST_ADMIN}"; '
                   f"admin password: {password}")
        click.echo("contacthub: this password is shown only once; "
                   f"change it with `contacthub user passwd {FIRST_ADMIN}`")
    run_server(settings, store)


@main.group()
def user() -> None:
    """Manage accounts (the users file and their roles)."""


def _read_password(confirm: bool = True) -> str:
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=confirm))
    line = sys.stdin.readline().rstrip("\r\n")
    if not line:
        raise click.ClickException("no password on standard input")
    return line


@user.command("add")
@location_options
@click.argument("name")
@click.option("--admin", is_flag=True, help="May administer every account's address books.")
def user_add(data_dir: Path | None, config_file: Path | None, name: str, admin: bool) -> None:
    """Add an account; the password comes from a prompt or standard input."""
    settings = _settings(data_dir, config_file)
    prepare_data_dir(settings.data_dir, settings.config_file)
    settings = _settings(data_dir, config_file)
    users = UsersFile(settings.users_file)
    try:
        if users.exists(name):
            raise UserError(f"user {name!r} already exists")
        password = _read_password()
        store = _open_store(settings)
        with store.write() as tx:
            tx.set_admin(name, admin)
        store.close()
        users.add(name, password)
    except UserError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"added {'admin ' if admin else ''}user {name}")


@user.command("passwd")
@location_options
@click.argument("name")
def user_passwd(data_dir: Path | None, config_file: Path | None, name: str) -> None:
    """Set an account's password."""
    users = UsersFile(_settings(data_dir, config_file).users_file)
    try:
        if not users.exists(name):
            raise UserError(f"no user {name!r}")
        users.set_password(name, _read_password())
    except UserError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"changed the password of {name}")


@user.command("list")
@location_options
def user_list(data_dir: Path | None, config_file: Path | None) -> None:
    """List the accounts."""
    settings = _settings(data_dir, config_file)
    store = _open_store(settings)
    with store.read() as tx:
        admins = tx.admins()
    store.close()
    for name in UsersFile(settings.users_file).names():
        click.echo(f"{name}\tadmin" if name in admins else name)


@user.command("remove")
@location_options
@click.argument("name")
def user_remove(data_dir: Path | None, config_file: Path | None, name: str) -> None:
    """Remove an account. Its address books stay in the store."""
    settings = _settings(data_dir, config_file)
    try:
        UsersFile(settings.users_file).remove(name)
    except UserError as error:
        raise click.ClickException(str(error)) from None
    store = _open_store(settings)
    with store.write() as tx:
        tx.forget_account(name)
    store.close()
    click.echo(f"removed user {name}; their address books stay in the store")


@main.command("import")
@location_options
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "owner", required=True, help="Whose address book receives the contacts.")
@click.option("--book", help="An existing book (its id, e.g. contacts) [default: From CSV (FILE)].")
@click.option("--delimiter", help="comma, semicolon, tab, pipe or any one character "
              "[default: detected].")
@click.option("--encoding", help="e.g. utf-8, utf-16, cp1252 [default: detected].")
@click.option("--map", "assignments", multiple=True, metavar="COLUMN=FIELD",
              help="Map a column to a field (see `contacthub fields`); FIELD none unmaps. "
                   "Other columns keep the suggested mapping.")
@click.option("--key", "key_column", metavar="COLUMN", help="The column that identifies a row.")
@click.option("--generate-key", is_flag=True, help="Generate a 9-digit key per contact [default].")
@click.option("--update", is_flag=True, help="Update existing contacts with changes from the file.")
@click.option("--delete-missing", is_flag=True,
              help="Delete the sync's contacts that are not in the file.")
@click.option("--allow-mass-deletion", is_flag=True,
              help="Run even if it would delete 90% or more of the sync's contacts.")
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
def import_csv(data_dir: Path | None, config_file: Path | None, file: Path, owner: str,
               book: str | None, delimiter: str | None, encoding: str | None,
               assignments: tuple[str, ...], key_column: str | None, generate_key: bool,
               update: bool, delete_missing: bool, allow_mass_deletion: bool,
               dry_run: bool) -> None:
    """Import FILE (CSV) into USER's contacts; the same file again changes nothing."""
    from .csvimport import Mapping, MappingError, parse_assignment, parse_delimiter
    from .sources import csv_source
    from .sync import RunFailed

    if key_column and generate_key:
        raise click.UsageError("--key and --generate-key exclude each other")
    settings = _settings(data_dir, config_file)
    if not UsersFile(settings.users_file).exists(owner):
        raise click.ClickException(f"no user {owner!r}")
    store = _open_store(settings)
    try:
        separator = parse_delimiter(delimiter) if delimiter else None
        source = _csv_source_for(store, owner, file, book, separator, encoding)
        view = csv_source.view(store, source)
        mapping = Mapping.from_json(view.settings.mapping)
        for assignment in assignments:
            column, field_id = parse_assignment(assignment)
            mapping.set(column, field_id)
        view = csv_source.configure(
            store, source, delimiter=separator, encoding=encoding, mapping=mapping.to_json(),
            key_column=key_column, update_existing=update, delete_missing=delete_missing)
        click.echo(f"{file.name}: {view.encoding}, delimiter {view.delimiter!r}, "
                   f"{len(view.header)} columns, into {view.source.book_path}")
        with click.progressbar(length=file.stat().st_size, label="reading",
                               file=sys.stderr) as bar:
            def progress(done: int, _total: int) -> None:
                bar.update(done - bar.pos)
            outcome = csv_source.run_import(store, view.source, dry_run=dry_run,
                                            override_mass_deletion=allow_mass_deletion,
                                            progress=progress)
    except (csv_source.ImportError_, MappingError, ValueError) as error:
        raise click.ClickException(str(error)) from None
    except RunFailed as error:
        raise click.ClickException(f"the import failed and changed nothing: {error}") from None
    finally:
        store.close()
    _report(outcome, dry_run)
    if outcome.status == "refused":
        sys.exit(3)


def _csv_source_for(store: Store, owner: str, file: Path, book: str | None,
                    delimiter: str | None, encoding: str | None) -> Any:
    """The file's sync (found by its name), with the file as it is now."""
    from .sources import csv_source

    content = file.read_bytes()
    with store.read() as tx:
        existing = tx.find_source(owner, csv_source.KIND, file.stem)
    if existing is not None:
        csv_source.replace_file(store, existing, file.name, content)
        return existing
    book_path = f"{owner}/{book}" if book else None
    return csv_source.create_import(store, owner, file.name, content, name=file.stem,
                                    book_path=book_path, delimiter=delimiter,
                                    encoding=encoding).source


def _report(outcome: Any, dry_run: bool) -> None:
    counts = outcome.changes.counts
    heading = "dry run, nothing changed" if dry_run else outcome.status.replace("_", " ")
    click.echo(heading + ": " + ", ".join(f"{n} {name}" for name, n in counts.items()))
    if outcome.changes.refused:
        click.echo(outcome.changes.refused)
    for change in outcome.changes.of("skip")[:20]:
        click.echo(f"  skipped line {change.line}: {change.summary} ({change.reason})")
    for problem in outcome.changes.problems[:20]:
        click.echo(f"  {problem}")
    if len(outcome.changes.problems) > 20:
        click.echo(f"  ... and {len(outcome.changes.problems) - 20} more problems")


@main.command("fields")
def list_fields() -> None:
    """The contact fields a CSV column can be mapped to."""
    from .csvimport import all_fields

    for info in all_fields():
        click.echo(f"{info.id}\t{info.label}")


if __name__ == "__main__":
    main()
