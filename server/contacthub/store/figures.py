"""Figures of the whole store for /metrics: contacts per account and the history's size.

Each is one query that reads every row it counts (COUNT has no shortcut on SQLite or
PostgreSQL): milliseconds at 100,000 contacts. The metrics endpoint asks at most once in
a while, whatever the number of scrapers (metrics.py).
"""

from __future__ import annotations

from sqlalchemy import func, select

from contacthub.store.base import TxBase
from contacthub.store.schema import collections, items, versions
from contacthub.store.search import is_person_row

ADDRESS_BOOK = "VADDRESSBOOK"


class FiguresPart(TxBase):
    def contacts_per_account(self) -> dict[str, int]:
        """Visible contacts (group cards left out) in each account's address books, books
        in the trash left out. Accounts without any contact are left out."""
        rows = self.conn.execute(
            select(collections.c.parent_path, func.count())
            .select_from(items.join(collections, items.c.collection_id == collections.c.id))
            .where(
                collections.c.tag == ADDRESS_BOOK,
                collections.c.deleted_at.is_(None),
                collections.c.published_gen.between(items.c.born, items.c.dies - 1),
                is_person_row(),
            )
            .group_by(collections.c.parent_path)
        )
        counts: dict[str, int] = {}
        for parent, count in rows:
            owner = parent.split("/", 1)[0]  # a book's parent is its owner's principal
            counts[owner] = counts.get(owner, 0) + count
        return counts

    def version_count(self) -> int:
        """Rows of the history: versions of cards kept for the retention."""
        return int(self.conn.execute(select(func.count()).select_from(versions)).scalar_one())
