"""`contacthub duplicates list|merge|dismiss`: a user's groups of possible duplicates across
their books, lane by lane with the reasons; merging one with the default choices (as
`contacthub merges merge` merges its contacts); dismissing one (its contacts are never
offered as one person again).

GROUP_ID is the id `duplicates list` shows: it stays the same while the group's contacts
are the same.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from contacthub.cli.common import location_options, service_context
from contacthub.cli.merges import merge_contacts
from contacthub.duplicates.find import DuplicateGroup
from contacthub.duplicates.lanes import LANES
from contacthub.errors import quoted
from contacthub.services import duplicates as service
from contacthub.sources.context import RunContext
from contacthub.users import UsersFile


def _require_user(ctx: RunContext, user: str) -> None:
    if not UsersFile(ctx.settings.users_file).exists(user):
        raise click.ClickException(f"There is no user {quoted(user)}.")


@click.group()
def duplicates() -> None:
    """Contacts across a user's address books that may be one person."""


@duplicates.command("list")
@location_options
@click.option("--user", required=True, help="Whose address books.")
@click.option("--lane", type=click.Choice(LANES), help="Only the groups of this lane.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array of the groups.")
def list_groups(
    data_dir: Path | None, config_file: Path | None, user: str, lane: str | None, as_json: bool
) -> None:
    """List the groups, safest lane first: safe (a shared email or phone, names that
    agree), contact (a shared email or phone, different names), name (the name only; when
    the account opts in)."""
    with service_context(data_dir, config_file) as ctx:
        _require_user(ctx, user)
        groups = service.groups_of(ctx, user, lane)
    if as_json:
        click.echo(json.dumps([service.group_json(group) for group in groups], indent=2))
        return
    if not groups:
        click.echo(f"no possible duplicates among the contacts of {user}")
        return
    for group in groups:
        _show(group)


def _show(group: DuplicateGroup) -> None:
    click.echo(f"{group.id}  {group.lane}: {service.LANE_WORDS[group.lane]}")
    for contact in group.contacts:
        where = f"{service.book_id(contact.ref)}/{contact.ref.href}"
        click.echo(f"  {contact.fn}  ({contact.book_name}, {where})")
    for reason in group.reasons:
        holders = len(reason.contacts)
        click.echo(f"    same {reason.kind.replace('_', ' ')}: {reason.value} ({holders} contacts)")
    click.echo()


@duplicates.command("dismiss")
@location_options
@click.argument("group_id")
@click.option("--user", required=True, help="Whose address books.")
def dismiss(data_dir: Path | None, config_file: Path | None, group_id: str, user: str) -> None:
    """Say the contacts of GROUP_ID are not one person: none of its pairs is offered again."""
    with service_context(data_dir, config_file) as ctx:
        _require_user(ctx, user)
        group = service.dismiss(ctx, user, group_id)
    names = ", ".join(contact.fn for contact in group.contacts)
    click.echo(f"dismissed {group.id}: {names} are not offered as one person again")


@duplicates.command("merge")
@location_options
@click.argument("group_id")
@click.option("--user", required=True, help="Whose address books.")
@click.option("--into", help="The id of the book the merged contact lives in.")
def merge(
    data_dir: Path | None, config_file: Path | None, group_id: str, user: str, into: str | None
) -> None:
    """Merge the contacts of GROUP_ID with the default choices: every email, phone, address
    and group; the name, photo and birthday of the contact edited last."""
    with service_context(data_dir, config_file) as ctx:
        _require_user(ctx, user)
        group = service.group_of(ctx, user, group_id)
        contacts = [(service.book_id(c.ref), c.ref.href) for c in group.contacts]
        merge_contacts(ctx, user, contacts, into)
