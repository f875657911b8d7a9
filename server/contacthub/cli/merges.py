"""`contacthub merges list|merge|undo`: merging a user's contacts from a shell.

A contact is BOOK:HREF (a book's id and the contact's id in it). `register(group)` adds
`merge` and `undo` to another group (the `duplicates` group, whose `merge GROUP_ID` turns
a group into contacts and calls `merge_contacts`).
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from contacthub.cli.common import location_options, service_context
from contacthub.errors import quoted
from contacthub.services import merges
from contacthub.sources.context import RunContext
from contacthub.users import UsersFile

VIA = "cli"


def _require_user(ctx: RunContext, user: str) -> None:
    if not UsersFile(ctx.settings.users_file).exists(user):
        raise click.ClickException(f"There is no user {quoted(user)}.")


def merge_contacts(
    ctx: RunContext, user: str, contacts: list[tuple[str, str]], into: str | None
) -> None:
    """Merge the contacts (book id, href) with the default choices, and say what it did."""
    refs = [merges.card_ref(user, book, href) for book, href in contacts]
    done = merges.merge(ctx, user, refs, None, into, via=VIA)
    merged = done["merged"]
    click.echo(
        f"merge {done['id']}: {len(done['members'])} contacts merged into "
        f"{merged['fn']!r} ({merged['book']}:{merged['href']}); "
        f"undo with: contacthub merges undo {done['id']} --user {user}"
    )


@click.group("merges")
def merges_group() -> None:
    """Contacts merged into one, and undoing a merge."""


@merges_group.command("list")
@location_options
@click.option("--user", required=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
def list_merges(data_dir: Path | None, config_file: Path | None, user: str, as_json: bool) -> None:
    """The user's merges, newest first."""
    with service_context(data_dir, config_file) as ctx:
        _require_user(ctx, user)
        found = merges.merges(ctx, user)
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    for merge in found:
        names = ", ".join(member["fn"] for member in merge["members"])
        click.echo(f"{merge['id']}  {merge['state']:<7} {merge['created_at']}  {names}")


def _contact(value: str) -> tuple[str, str]:
    book, sep, href = value.partition(":")
    if not sep or not book or not href:
        raise click.BadParameter(f"{value!r}: name a contact as BOOK:HREF")
    return book, href


@click.command("merge")
@location_options
@click.argument("contacts", nargs=-1, required=True)
@click.option("--user", required=True)
@click.option("--into", help="The book the merged contact lives in (its id).")
def merge_command(
    data_dir: Path | None,
    config_file: Path | None,
    contacts: tuple[str, ...],
    user: str,
    into: str | None,
) -> None:
    """Merge CONTACTS (each BOOK:HREF) with the default choices: every email, phone,
    address and group; the name, photo and birthday of the contact edited last."""
    with service_context(data_dir, config_file) as ctx:
        _require_user(ctx, user)
        merge_contacts(ctx, user, [_contact(value) for value in contacts], into)


@click.command("undo")
@location_options
@click.argument("merge_id", type=int)
@click.option("--user", required=True)
def undo_command(data_dir: Path | None, config_file: Path | None, merge_id: int, user: str) -> None:
    """Undo merge MERGE_ID: the contacts and the sources' links as they were."""
    with service_context(data_dir, config_file) as ctx:
        _require_user(ctx, user)
        done = merges.undo(ctx, user, merge_id, via=VIA)
    click.echo(f"merge {merge_id} undone: {len(done['members'])} contacts are back")
    for later in done["changed_later"]:
        click.echo(f"  left as it is (changed after the merge): {later['fn']}")


def register(group: click.Group) -> None:
    """Add `merge` and `undo` to `group`."""
    group.add_command(merge_command)
    group.add_command(undo_command)


register(merges_group)
