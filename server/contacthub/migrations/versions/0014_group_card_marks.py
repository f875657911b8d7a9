"""group cards marked: cards stored before the groups bridge are told from contacts

Revision ID: 0014
Revises: 0013

Since the groups bridge, a group card's extra search values start with a mark, and
lists, counts, search and autocomplete of people leave marked rows out. A group card
stored before then had no mark and counted as a contact until it was next written; this
revision marks every stored one (every row of `items`: published, written ahead by a
run, in a deleted book's trash). It only marks: the bridge itself (categories for a
group card's members, group cards for categories) is carried over by the next change of
each group, as any write's is; doing it here would rewrite cards every client then
downloads again, at the upgrade, with no one's write behind it.

Bounded: the rows that may be group cards are found by id in pages, their texts read a
few at a time (at most _ROWS rows or _BYTES characters), so a store of 100,000 cards
with photos never has more than a page in memory.
"""

import re
from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

# Frozen copies of what the live code does when this revision is written
# (contacthub.store.group_cards' GROUP_MARK and its test of a group card's kind line): a
# later change there must not change what this old revision writes.
_GROUP_MARK = "\x01group"
_GROUP_KIND = re.compile(
    r"^(?:[^:\r\n]*\.)?(?:X-ADDRESSBOOKSERVER-)?KIND(?:;[^:\r\n]*)?:[ \t]*group[ \t]*\r?$",
    re.IGNORECASE | re.MULTILINE,
)
_PAGE = 1000  # candidate ids looked up at a time
_ROWS = 200  # texts read at a time
_BYTES = 16 * 1024 * 1024  # ... and at most this many characters of them

_items = sa.table(
    "items",
    sa.column("id", sa.Integer),
    sa.column("text", sa.Text),
    sa.column("idx_extra", sa.Text),
)
_MARKED = _items.c.idx_extra.like(f"\n{_GROUP_MARK}\n%")
# Every group card's text has a KIND line whose value is "group"; this finds those and
# (rarely) other cards, which the regular expression then tells apart.
_MAY_BE_GROUP = sa.and_(_items.c.text.ilike("%kind%"), _items.c.text.ilike("%group%"))


def marked(idx_extra: str) -> str:
    """A row's extra values with the mark first (the column frames values in newlines)."""
    return f"\n{_GROUP_MARK}" + (idx_extra or "\n")


def _candidates(conn: sa.Connection) -> Iterator[list[tuple[int, int]]]:
    """Pages of (id, length of text) of the unmarked rows that may be group cards."""
    after = 0
    while True:
        page = conn.execute(
            sa.select(_items.c.id, sa.func.length(_items.c.text))
            .where(_items.c.id > after, sa.not_(_MARKED), _MAY_BE_GROUP)
            .order_by(_items.c.id)
            .limit(_PAGE)
        ).all()
        if not page:
            return
        yield [(row[0], row[1] or 0) for row in page]
        after = page[-1][0]


def _batches(page: Sequence[tuple[int, int]]) -> Iterator[list[int]]:
    """The page's ids in batches of at most _ROWS rows and _BYTES characters of text."""
    batch: list[int] = []
    size = 0
    for item_id, length in page:
        if batch and (len(batch) >= _ROWS or size + length > _BYTES):
            yield batch
            batch, size = [], 0
        batch.append(item_id)
        size += length
    if batch:
        yield batch


def upgrade() -> None:
    conn = op.get_bind()
    mark = (
        _items.update()
        .where(_items.c.id == sa.bindparam("item_id"))
        .values(idx_extra=sa.bindparam("value"))
    )
    for page in _candidates(conn):
        for ids in _batches(page):
            rows = conn.execute(
                sa.select(_items.c.id, _items.c.text, _items.c.idx_extra).where(
                    _items.c.id.in_(ids)
                )
            )
            updates = [
                {"item_id": row.id, "value": marked(row.idx_extra)}
                for row in rows
                if _GROUP_KIND.search(row.text or "")
            ]
            if updates:
                conn.execute(mark, updates)


def downgrade() -> None:
    """The marks stay: the code of 0011 reads them as one more extra value, and searches
    nothing a person could type."""
