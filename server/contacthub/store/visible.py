"""Which item rows readers see: those of the collection's published generation.

A run of a source writes its rows ahead, invisible, in small transactions and makes them
visible all at once by moving the collection's `published_gen` (store/staging.py). A row
is visible while born <= published_gen < dies; a row no run touched has born 0 (or the
generation published when a client wrote it) and dies NEVER.
"""

from __future__ import annotations

from sqlalchemy import BindParameter, ColumnElement, select

from contacthub.store.schema import collections, items


def visible(collection_id: ColumnElement[int] | BindParameter[int] | int) -> ColumnElement[bool]:
    """Rows visible in their collection. `collection_id` is the collection's id (a value or
    a parameter: its generation is read once per query) or `items.c.collection_id` (read
    per row, for queries over several collections)."""
    published = (
        select(collections.c.published_gen)
        .where(collections.c.id == collection_id)
        .scalar_subquery()
    )
    # One reference to the generation: SQLite evaluates a correlated subquery per use.
    return published.between(items.c.born, items.c.dies - 1)
