"""index columns written again for the cards whose values hold a line break

Revision ID: 0020
Revises: 0019

Since the store keeps a line break within a value as U+001F in the index columns
(store/index_values.py), a text-match no longer takes half of such a value for a whole
one. A row indexed before kept the line break as "\\n", the frame between two values,
until its card was next written. This revision computes the index columns of those rows
again, with the store's own code, and writes those that differ: every row of `items`
(published, written ahead by a run, in a deleted book's trash) and every card a version
keeps (a restore writes its index columns back as they were kept). Texts, ETags and sync
tokens stay: no client downloads anything again. On SQLite the FTS5 triggers of 0019
follow the rows; PostgreSQL's GIN indexes follow any update.

The live code, not a frozen copy as in 0004 and 0014: this revision has no format of
its own, it brings old rows to what the code at head writes and reads.

Which rows: a value holds a line break only through an escape in the card's text, `\\n`
or `\\N` (vCard 3.0 and 4.0) or a quoted-printable `=0A` or `=0D`. The rows whose text
holds one (cards with a multi-line NOTE, mostly) are found by a LIKE in pages by id, no
card parsed; only those are parsed, a few at a time, and written only where the index
differs. A version's card is packed, so every one is read, in pages, and only those whose
bytes hold an escape are parsed. At most a page of ids and _BYTES of cards in memory.
"""

from collections.abc import Callable, Iterator, Sequence
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from alembic import op

from contacthub.store.items import index_columns
from contacthub.store.versions import pack, packed_body, unpacked_image
from contacthub.vcard.parse import item_data

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_PAGE = 1000  # candidate ids looked up at a time
_ROWS = 200  # cards read at a time
_BYTES = 16 * 1024 * 1024  # ... and at most this many characters (or bytes) of them

# The escapes that put a line break in a value, lower-cased (SQLite's LIKE and
# PostgreSQL's ILIKE ignore ASCII case); in a version's packed JSON, a backslash is two.
_ESCAPES = ("\\n", "=0a", "=0d")
_PACKED_ESCAPES = tuple(escape.replace("\\", "\\\\").encode() for escape in _ESCAPES)

_INDEX = ("idx_fn", "idx_email", "idx_tel", "idx_org", "idx_extra")
_items = sa.table(
    "items",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("text", sa.Text),
    *(sa.column(name, sa.Text) for name in _INDEX),
)
_versions = sa.table(
    "versions",
    sa.column("id", sa.Integer),
    sa.column("card", sa.LargeBinary),
)


def _may_break_lines(conn: sa.Connection) -> sa.ColumnElement[bool]:
    """Whether a card's text holds an escape that is a line break in a value."""
    text = _items.c.text
    holds = text.icontains if conn.dialect.name == "postgresql" else text.contains
    return sa.or_(*(holds(escape, autoescape=True) for escape in _ESCAPES))


def _pages(
    conn: sa.Connection, id_: sa.ColumnElement[int], size: Any, where: sa.ColumnElement[bool]
) -> Iterator[list[tuple[int, int]]]:
    """Pages of (id, size of the card) of the rows `where` holds, in the order of id."""
    after = 0
    while True:
        page = conn.execute(
            sa.select(id_, sa.func.length(size))
            .where(id_ > after, where)
            .order_by(id_)
            .limit(_PAGE)
        ).all()
        if not page:
            return
        yield [(row[0], row[1] or 0) for row in page]
        after = page[-1][0]


def _batches(page: Sequence[tuple[int, int]]) -> Iterator[list[int]]:
    """The page's ids in batches of at most _ROWS rows and _BYTES of cards."""
    batch: list[int] = []
    size = 0
    for row_id, length in page:
        if batch and (len(batch) >= _ROWS or size + length > _BYTES):
            yield batch
            batch, size = [], 0
        batch.append(row_id)
        size += length
    if batch:
        yield batch


def _indexed(text: str) -> dict[str, str] | None:
    """The index columns the store writes for the card; None for a card it cannot read
    (stored before its checks were): that row keeps what it has."""
    try:
        return index_columns(item_data(text))
    except Exception:  # noqa: BLE001 - vobject raises many kinds for bad input
        return None


def _reindexed_item(row: Any) -> dict[str, Any] | None:
    fresh = _indexed(row.text)
    if fresh is None or all(getattr(row, name) == value for name, value in fresh.items()):
        return None
    return {"row_id": row.id, **{f"new_{name}": value for name, value in fresh.items()}}


def _reindex_items(conn: sa.Connection) -> None:
    write = (
        _items.update()
        .where(_items.c.id == sa.bindparam("row_id"))
        .values({name: sa.bindparam(f"new_{name}") for name in _INDEX})
    )
    cards = sa.and_(_items.c.name == "VCARD", _may_break_lines(conn))
    read = sa.select(_items.c.id, _items.c.text, *(_items.c[name] for name in _INDEX))
    _rewrite(
        conn,
        _pages(conn, _items.c.id, _items.c.text, cards),
        read,
        _items.c.id,
        _reindexed_item,
        write,
    )


def _reindexed_version(row: Any) -> dict[str, Any] | None:
    body = packed_body(row.card).lower()
    if not any(escape in body for escape in _PACKED_ESCAPES):
        return None
    image = unpacked_image(row.card)
    fresh = _indexed(image.text) if image.name == "VCARD" else None
    if fresh is None or all(getattr(image, name) == value for name, value in fresh.items()):
        return None
    return {"row_id": row.id, "new_card": pack(SimpleNamespace(**{**vars(image), **fresh}))}


def _reindex_versions(conn: sa.Connection) -> None:
    write = (
        _versions.update()
        .where(_versions.c.id == sa.bindparam("row_id"))
        .values(card=sa.bindparam("new_card"))
    )
    kept = _versions.c.card.is_not(None)
    read = sa.select(_versions.c.id, _versions.c.card)
    _rewrite(
        conn,
        _pages(conn, _versions.c.id, _versions.c.card, kept),
        read,
        _versions.c.id,
        _reindexed_version,
        write,
    )


def _rewrite(
    conn: sa.Connection,
    pages: Iterator[list[tuple[int, int]]],
    read: sa.Select[Any],
    id_: sa.ColumnElement[int],
    rewritten: Callable[[Any], dict[str, Any] | None],
    write: sa.Update,
) -> None:
    """Each row of the pages read in batches, and written where `rewritten` says how."""
    for page in pages:
        for ids in _batches(page):
            updates = [
                update
                for row in conn.execute(read.where(id_.in_(ids)))
                if (update := rewritten(row)) is not None
            ]
            if updates:
                conn.execute(write, updates)


def upgrade() -> None:
    conn = op.get_bind()
    _reindex_items(conn)
    _reindex_versions(conn)


def downgrade() -> None:
    """The index stays: the code of 0019 reads a U+001F as part of a value, as it is."""
