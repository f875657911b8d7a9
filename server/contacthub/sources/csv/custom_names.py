"""The names people gave their custom fields: a CSV mapping's ``custom:Shoe size`` is stored
as X-SHOE-SIZE, and the page shows "Shoe size" again."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from contacthub.sources.csv.fields import CUSTOM_PREFIX, InvalidField, custom_property_name


def custom_names(mappings: Iterable[Any]) -> dict[str, str]:
    """Property → the name a person typed, from mappings in their JSON form; the first
    mapping that names a property wins."""
    names: dict[str, str] = {}
    for mapping in mappings:
        columns = mapping.get("columns") if isinstance(mapping, dict) else None
        for entry in columns if isinstance(columns, list) else []:
            field = entry.get("field") if isinstance(entry, dict) else None
            if not isinstance(field, str) or not field.startswith(CUSTOM_PREFIX):
                continue
            name = field.removeprefix(CUSTOM_PREFIX).strip()
            try:
                names.setdefault(custom_property_name(name), name)
            except InvalidField:  # saved before the rule refused it: nothing to name
                continue
    return names
