"""covering indexes for text-match on SQLite

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = ("idx_fn", "idx_email", "idx_tel", "idx_org")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for column in COLUMNS:
        op.create_index(f"ix_items_collection_id_{column}", "items", ["collection_id", column])


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for column in COLUMNS:
        op.drop_index(f"ix_items_collection_id_{column}", "items")
