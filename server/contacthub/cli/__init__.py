"""The `contacthub` command: `serve` here, the others one module per group."""

from __future__ import annotations

from pathlib import Path

import click

from contacthub.cli.common import Location, Main, load_settings, location_options, open_store
from contacthub.firstrun import (
    admin_page_url,
    ensure_first_admin,
    first_admin_notice,
    prepare_data_dir,
)
from contacthub.users import UsersFileError, bcrypt_rounds

# Each command's module, imported when the command runs (cli/common.py `Main`).
COMMANDS = {
    "user": "contacthub.cli.users:user",
    "import": "contacthub.cli.imports:import_csv",
    "fields": "contacthub.cli.imports:list_fields",
    "export": "contacthub.cli.exports:export",
    "sync": "contacthub.cli.syncs:sync",
    "worker": "contacthub.cli.syncs:worker",
    "trash": "contacthub.cli.history:trash",
    "history": "contacthub.cli.history:history_group",
    "restore": "contacthub.cli.history:restore",
    "run": "contacthub.cli.history:run_group",
    "merges": "contacthub.cli.merges:merges_group",
    "duplicates": "contacthub.cli.duplicates:duplicates",
    "backup": "contacthub.cli.backups:backup",
}


@click.group(cls=Main, lazy_commands=COMMANDS)
@click.version_option(package_name="contacthub")
@location_options
@click.pass_context
def main(ctx: click.Context, data_dir: Path | None, config_file: Path | None) -> None:
    """contacthub: address books that every phone and mail client syncs over CardDAV.

    --data-dir and --config go before the command or after it."""
    ctx.obj = Location(data_dir, config_file)


@main.command()
@location_options
@click.option("--host", help="Address to listen on [default: 127.0.0.1].")
@click.option("--port", type=int, help="Port to listen on [default: 5232].")
@click.option("--store", "store_url", help="Store URL: sqlite:///PATH or postgresql://...")
def serve(
    data_dir: Path | None,
    config_file: Path | None,
    host: str | None,
    port: int | None,
    store_url: str | None,
) -> None:
    """Serve CardDAV; on the first start, create the data directory and an admin."""
    from contacthub.serve import serve as run_server
    from contacthub.serve import setup_logging

    try:
        bcrypt_rounds()  # the first admin's hash, and the stand-in of unknown names
    except UsersFileError as error:
        raise click.ClickException(str(error)) from None
    location = load_settings(data_dir, config_file)
    first = prepare_data_dir(location.data_dir, location.config_file)
    if first.created_data_dir:
        click.echo(f"contacthub: created data directory {location.data_dir}")
    if first.created_config:
        click.echo(f"contacthub: wrote configuration {location.config_file}")
    settings = load_settings(data_dir, config_file, host=host, port=port, store_url=store_url)
    setup_logging(settings)
    store = open_store(settings)
    password = ensure_first_admin(settings, store)

    def tell_password(address: str) -> None:
        if password:
            click.echo(first_admin_notice(admin_page_url(settings, address), password))

    run_server(settings, store, welcome=tell_password)


if __name__ == "__main__":
    main()
