"""`contacthub export`: a book, or all of a user's books, as one .vcf or CSV file."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import click

from contacthub.cli.common import location_options, service_context
from contacthub.services import exports
from contacthub.users import UsersFile


@click.command("export")
@location_options
@click.option("--user", "owner", required=True, help="Whose contacts to export.")
@click.option("--book", help="One book, by its id or name [default: all of the user's books].")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(exports.FORMATS),
    default=exports.VCF,
    show_default=True,
    help="vCards, or CSV as Google's or Outlook's export writes it.",
)
@click.option(
    "--vcard-version",
    type=click.Choice(exports.VCARD_VERSIONS),
    default=exports.AS_STORED,
    show_default=True,
    help="For vcf: each card as stored, or all in vCard 3.0 or 4.0.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write [default: standard output].",
)
def export(
    data_dir: Path | None,
    config_file: Path | None,
    owner: str,
    book: str | None,
    file_format: str,
    vcard_version: str,
    output: Path | None,
) -> None:
    """Export USER's contacts (group cards left out); `contacthub import` reads the CSV
    formats back, and a phone or CardDAV client the .vcf."""
    with service_context(data_dir, config_file) as ctx:
        if not UsersFile(ctx.settings.users_file).exists(owner):
            raise click.ClickException(f"no user {owner!r}")
        books = exports.books_to_export(ctx, owner, book, by_name=True)
        made = exports.export(
            ctx.store, owner, books, file_format, vcard_version, one_book=book is not None
        )
        if output is None:
            try:
                _write(made.chunks, sys.stdout.buffer)
            except BrokenPipeError:  # `| head`: the reader has what it wanted
                # Python's advice: point stdout at devnull, so the flush at exit is quiet.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return
        partial = output.with_name(output.name + ".part")
        with partial.open("wb") as file:
            _write(made.chunks, file)
        partial.replace(output)
        click.echo(f"contacthub: wrote {output}", err=True)


def _write(chunks: Iterator[bytes], file: BinaryIO) -> None:
    for chunk in chunks:
        file.write(chunk)
    file.flush()
