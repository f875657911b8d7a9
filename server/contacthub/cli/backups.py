"""`contacthub backup create FILE` and `contacthub backup restore FILE`."""

from __future__ import annotations

from pathlib import Path

import click

from contacthub.cli.common import command_settings, load_settings, location_options, open_store
from contacthub.config import Settings
from contacthub.errors import UserError
from contacthub.services import backup as backups


@click.group("backup")
def backup() -> None:
    """Back up the whole server to one file, or restore one into a new server."""


@backup.command("create")
@location_options
@click.option("--store", "store_url", help="Store URL, as `serve --store` [default: the config's].")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def create(
    data_dir: Path | None, config_file: Path | None, store_url: str | None, file: Path
) -> None:
    """Write a backup of the store, the users and the configuration to FILE (a zip file,
    readable by its owner only), while `serve` runs. It never holds the secret key."""
    settings = command_settings(data_dir, config_file)
    if store_url:
        settings.store_url = store_url
    store = open_store(settings)
    try:
        made = backups.create(settings, store, file)
    except UserError as error:
        raise click.ClickException(error.message) from None
    finally:
        store.close()
    contacts = made.rows.get("items", 0)
    click.echo(
        f"contacthub: wrote {made.path} ({made.size / 1e6:.1f} MB, {contacts} cards, "
        f"{made.rows.get('sources', 0)} sources) in {made.seconds:.1f} s"
    )
    click.echo(backups.KEEP_KEY_APART.format(key=backups.key_location(settings)))


@backup.command("restore")
@location_options
@click.option("--store", "store_url", help="Store URL to restore into [default: the config's].")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(
    data_dir: Path | None, config_file: Path | None, store_url: str | None, file: Path
) -> None:
    """Restore the backup FILE into an empty store and a data directory without users.

    Every phone then syncs in full once: the sync tokens it holds are refused."""
    settings = load_settings(data_dir, config_file, store_url=store_url)
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    click.echo(f"contacthub: data directory {settings.data_dir}", err=True)
    try:
        restored = backups.restore(settings, file)
    except UserError as error:
        raise click.ClickException(error.message) from None
    click.echo(
        f"contacthub: restored {restored.rows.get('items', 0)} cards in "
        f"{restored.rows.get('collections', 0)} collections, "
        f"{restored.rows.get('sources', 0)} sources"
    )
    if restored.config_written is not None:
        click.echo(f"contacthub: wrote the backup's configuration to {restored.config_written}")
    click.echo(
        "Every phone and client syncs in full at its next sync: the sync tokens issued "
        "before this restore are refused (403 valid-sync-token)."
    )
    _say_key(settings, restored)


def _say_key(settings: Settings, restored: backups.Restored) -> None:
    where = backups.key_location(settings)
    locked = restored.locked_sources
    if not restored.key_found:
        click.echo(
            f"No secret key here yet ({where}): copy the key you kept apart there before "
            "starting `contacthub serve`."
        )
    elif restored.key_matches is False:
        click.echo(
            f"The secret key here ({where}) is not the one the backup was made with: "
            "the stored passwords cannot be opened."
        )
    if locked:
        click.echo(
            "Without the backup's key, these sources need their password typed again "
            "on its page in the admin page (Syncs):"
        )
        for name in locked:
            click.echo(f"  {name}")
