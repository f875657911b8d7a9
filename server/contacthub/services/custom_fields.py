"""What a person named their custom fields, for the pages that show a contact."""

from __future__ import annotations

from contacthub.sources.context import RunContext
from contacthub.sources.csv import source as csv_source
from contacthub.sources.csv.custom_names import custom_names


def custom_field_names(ctx: RunContext, user: str) -> dict[str, str]:
    """X- property → the name given to it in one of the user's CSV imports."""
    with ctx.store.read() as tx:
        found = tx.list_sources(owner=user, kind=csv_source.KIND)
    return custom_names(csv_source.CsvSettings.of(source).mapping for source in found)
