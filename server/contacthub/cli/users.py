"""`contacthub user`: accounts in the users file, and their roles in the store."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from contacthub.cli.app_passwords import app_password
from contacthub.cli.common import command_settings, location_options, open_store
from contacthub.users import UsersFile, UsersFileError, bcrypt_rounds, check_new_password


@click.group()
def user() -> None:
    """Manage accounts (the users file and their roles)."""


def _read_password(confirm: bool = True) -> str:
    """A new password, from a prompt or standard input, at least MIN_PASSWORD_LENGTH long."""
    if sys.stdin.isatty():
        password = str(click.prompt("Password", hide_input=True, confirmation_prompt=confirm))
    else:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise click.ClickException("no password on standard input")
    return check_new_password(password)


@user.command("add")
@location_options
@click.argument("name")
@click.option("--admin", is_flag=True, help="May administer every account's address books.")
def user_add(data_dir: Path | None, config_file: Path | None, name: str, admin: bool) -> None:
    """Add an account; the password comes from a prompt or standard input."""
    settings = command_settings(data_dir, config_file)
    users = UsersFile(settings.users_file)
    try:
        bcrypt_rounds()  # a cost bcrypt refuses, before the store is changed
        if users.exists(name):
            raise UsersFileError(f"user {name!r} already exists")
        password = _read_password()
        store = open_store(settings)
        with store.write() as tx:
            # Now, not at the first CardDAV sign-in: an import before it would make the
            # account's folder, and Radicale makes its predefined book only with the folder.
            tx.ensure_default_book(name)
            tx.set_admin(name, admin)
        store.close()
        users.add(name, password)
    except UsersFileError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"added {'admin ' if admin else ''}user {name}")


@user.command("passwd")
@location_options
@click.argument("name")
def user_passwd(data_dir: Path | None, config_file: Path | None, name: str) -> None:
    """Set an account's password."""
    users = UsersFile(command_settings(data_dir, config_file).users_file)
    try:
        bcrypt_rounds()
        if not users.exists(name):
            raise UsersFileError(f"no user {name!r}")
        users.set_password(name, _read_password())
    except UsersFileError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"changed the password of {name}")


@user.command("list")
@location_options
def user_list(data_dir: Path | None, config_file: Path | None) -> None:
    """List the accounts."""
    settings = command_settings(data_dir, config_file)
    store = open_store(settings)
    with store.read() as tx:
        admins = tx.admins()
    store.close()
    for name in UsersFile(settings.users_file).names():
        click.echo(f"{name}\tadmin" if name in admins else name)


@user.command("remove")
@location_options
@click.argument("name")
def user_remove(data_dir: Path | None, config_file: Path | None, name: str) -> None:
    """Remove an account and its app passwords. Its address books stay in the store."""
    settings = command_settings(data_dir, config_file)
    try:
        UsersFile(settings.users_file).remove(name)
    except UsersFileError as error:
        raise click.ClickException(str(error)) from None
    store = open_store(settings)
    with store.write() as tx:
        tx.forget_account(name)
        tx.forget_app_passwords(name)
    store.close()
    click.echo(f"removed user {name}; their address books stay in the store")


user.add_command(app_password)
