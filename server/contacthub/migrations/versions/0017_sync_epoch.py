"""collections.sync_epoch: set by a restore from a backup, so that every sync token issued
before it is refused (store/dump.py)

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("collections") as batch:
        batch.add_column(
            sa.Column("sync_epoch", sa.String(length=32), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("collections") as batch:
        batch.drop_column("sync_epoch")
