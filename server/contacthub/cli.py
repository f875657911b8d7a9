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
