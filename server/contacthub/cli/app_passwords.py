"""`contacthub user app-password add|list|revoke|require`: a password per device of an
account, and whether CardDAV still takes the account's own password."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from contacthub.cli.common import location_options, service_context
from contacthub.services import app_passwords


@click.group("app-password")
def app_password() -> None:
    """Passwords for one device each (a phone, a mail client): CardDAV and the API take
    them, the admin page does not; revoking one leaves the others working."""


def _when(moment: float | None) -> str:
    if moment is None:
        return "never"
    return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M UTC")


@app_password.command("add")
@location_options
@click.argument("user")
@click.argument("name")
def add(data_dir: Path | None, config_file: Path | None, user: str, name: str) -> None:
    """Create USER's app password for the device NAME and print it (only this once)."""
    with service_context(data_dir, config_file) as ctx:
        created = app_passwords.create_app_password(ctx, user, name)
    click.echo(created.secret)
    click.echo(
        f"the app password of {user} for {created.password.name!r}: enter it on the device "
        "now (with the user name), it is not shown again",
        err=True,
    )


@app_password.command("list")
@location_options
@click.argument("user")
def list_app_passwords(data_dir: Path | None, config_file: Path | None, user: str) -> None:
    """List USER's app passwords: name, created, last used."""
    with service_context(data_dir, config_file) as ctx:
        found = app_passwords.app_passwords_of(ctx, user)
        required = app_passwords.carddav_requires_app_password(ctx, user)
    for password in found:
        created, used = _when(password.created_at), _when(password.last_used_at)
        click.echo(f"{password.name}\tcreated {created}\tlast used {used}")
    if required:
        click.echo(
            f"CardDAV refuses the own password of {user}: only app passwords sign in", err=True
        )


@app_password.command("revoke")
@location_options
@click.argument("user")
@click.argument("name")
def revoke(data_dir: Path | None, config_file: Path | None, user: str, name: str) -> None:
    """Revoke USER's app password NAME: its device is refused from its next request on."""
    with service_context(data_dir, config_file) as ctx:
        app_passwords.revoke_app_password(ctx, user, name)
    click.echo(f"revoked the app password {name!r} of {user}")


@app_password.command("require")
@location_options
@click.argument("user")
@click.option("--off", is_flag=True, help="Accept the account's own password for CardDAV again.")
def require(data_dir: Path | None, config_file: Path | None, user: str, off: bool) -> None:
    """Refuse USER's own password for CardDAV: only app passwords sign in there (the admin
    page and the API still take it)."""
    with service_context(data_dir, config_file) as ctx:
        app_passwords.require_app_password_for_carddav(ctx, user, not off)
    if off:
        click.echo(f"CardDAV accepts the own password of {user} again")
    else:
        click.echo(f"CardDAV refuses the own password of {user}: only app passwords sign in")
