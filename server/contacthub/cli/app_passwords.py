"""`contacthub user app-password add|list|books|revoke|require`: a password per device of
an account, how CardDAV shows that device the books, and whether CardDAV still takes the
account's own password."""

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


BOOKS = click.Choice(app_passwords.BOOKS_CHOICES)
BOOKS_HELP = (
    "How CardDAV shows the device the account's books: one-book (all as one, what macOS "
    "Contacts can sync), apart, or as-recognised (one book for macOS's AddressBookCore)."
)


@app_password.command("add")
@location_options
@click.argument("user")
@click.argument("name")
@click.option("--books", type=BOOKS, default=app_passwords.AS_RECOGNISED, help=BOOKS_HELP)
def add(data_dir: Path | None, config_file: Path | None, user: str, name: str, books: str) -> None:
    """Create USER's app password for the device NAME and print it (only this once)."""
    with service_context(data_dir, config_file) as ctx:
        created = app_passwords.create_app_password(ctx, user, name, books)
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
    """List USER's app passwords: name, created, last used; then how CardDAV shows the
    device the books, when set, and the app it last signed in with, when known."""
    with service_context(data_dir, config_file) as ctx:
        found = app_passwords.app_passwords_of(ctx, user)
        required = app_passwords.carddav_requires_app_password(ctx, user)
    for password in found:
        created, used = _when(password.created_at), _when(password.last_used_at)
        line = f"{password.name}\tcreated {created}\tlast used {used}"
        if password.book_view is not None:  # as recognised, unless said
            line += f"\tbooks {password.book_view}"
        if password.last_user_agent:
            line += f"\tby {password.last_user_agent}"
        click.echo(line)
    if required:
        click.echo(
            f"CardDAV refuses the own password of {user}: only app passwords sign in", err=True
        )


@app_password.command("books")
@location_options
@click.argument("user")
@click.argument("name")
@click.argument("books", type=BOOKS)
def set_books(
    data_dir: Path | None, config_file: Path | None, user: str, name: str, books: str
) -> None:
    """Set how CardDAV shows the device of USER's app password NAME the books: BOOKS is
    one-book, apart or as-recognised; from its next request on."""
    with service_context(data_dir, config_file) as ctx:
        app_passwords.set_app_password_books(ctx, user, name, books)
    click.echo(f"the app password {name!r} of {user} sees the books {books}")


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
