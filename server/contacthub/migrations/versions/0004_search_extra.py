"""idx_extra: nicknames, categories and custom fields become searchable

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
import vobject
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("idx_extra", sa.Text(), nullable=False, server_default=""))
    _backfill()


# Frozen copies of what the live code did when this revision was written
# (contacthub.vcard.parse's extra values, contacthub.store.items' framing): a later
# change there must not change what this old revision writes.


def _values(card: Any, name: str) -> list[str]:
    values: list[str] = []
    for prop in card.contents.get(name, []):
        value = prop.value
        parts = value if isinstance(value, list) else [value]
        values.extend(str(part) for part in parts)
    return values


def _extra_values(card: Any) -> tuple[str, ...]:
    """Nicknames, categories and the values of X- properties (custom fields), sorted."""
    names = [
        name
        for name in card.contents
        if name in ("nickname", "categories") or name.startswith("x-")
    ]
    return tuple(sorted(value for name in names for value in _values(card, name) if value))


def _frame(values: Iterable[str]) -> str:
    """ "\\nann@x.org\\nann@y.org\\n": one LIKE then matches whole values or parts."""
    lowered = [value.lower() for value in values]
    return "\n" + "\n".join(lowered) + "\n" if lowered else ""


def _backfill() -> None:
    """Index the cards already stored (once, at the upgrade)."""
    conn = op.get_bind()
    items = sa.table("items", sa.column("id"), sa.column("name"), sa.column("text"),
                     sa.column("idx_extra"))
    rows = conn.execute(sa.select(items.c.id, items.c.text).where(items.c.name == "VCARD"))
    updates = []
    for row in rows.all():
        try:
            extra = _extra_values(vobject.readOne(row.text))
        except Exception:  # an unreadable card stays unindexed, as before
            continue
        if extra:
            updates.append({"item_id": row.id, "value": _frame(extra)})
    if updates:
        conn.execute(items.update().where(items.c.id == sa.bindparam("item_id"))
                     .values(idx_extra=sa.bindparam("value")), updates)


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_column("idx_extra")
