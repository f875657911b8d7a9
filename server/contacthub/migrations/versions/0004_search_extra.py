"""idx_extra: nicknames, categories and custom fields become searchable

Revision ID: 0004
Revises: 0003
"""

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


def _backfill() -> None:
    """Index the cards already stored (once, at the upgrade)."""
    from contacthub.store.items import _frame
    from contacthub.vcard.parse import index_of

    conn = op.get_bind()
    items = sa.table("items", sa.column("id"), sa.column("name"), sa.column("text"),
                     sa.column("idx_extra"))
    rows = conn.execute(sa.select(items.c.id, items.c.text).where(items.c.name == "VCARD"))
    updates = []
    for row in rows.all():
        try:
            extra = index_of(vobject.readOne(row.text)).extra
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
