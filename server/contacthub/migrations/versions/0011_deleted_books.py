"""deleted books: a deleted address book is kept in a trash until the retention ends

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_COLUMNS = ("deleted_at", "deleted_path", "deleted_account", "deleted_via", "deleted_agent")


def upgrade() -> None:
    with op.batch_alter_table("collections") as batch:
        batch.add_column(sa.Column("deleted_at", sa.Float(), nullable=True))
        batch.add_column(sa.Column("deleted_path", sa.String(length=1024), nullable=True))
        batch.add_column(sa.Column("deleted_account", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("deleted_via", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("deleted_agent", sa.String(length=255), nullable=True))
        batch.create_index("ix_collections_deleted_at", ["deleted_at"], unique=False)
    with op.batch_alter_table("alerts") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="cards")
        )


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("kind")
    with op.batch_alter_table("collections") as batch:
        batch.drop_index("ix_collections_deleted_at")
        for column in reversed(_COLUMNS):
            batch.drop_column(column)
