"""scheduling: due times and leases of sources, the report email of runs

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("next_run_at", sa.Float(), nullable=True))
        batch.add_column(sa.Column("leased_by", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("lease_trigger", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("leased_at", sa.Float(), nullable=True))
        batch.add_column(sa.Column("lease_until", sa.Float(), nullable=True))
        batch.create_index("ix_sources_next_run_at", ["next_run_at"], unique=False)
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("email", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("email")
    with op.batch_alter_table("sources") as batch:
        batch.drop_index("ix_sources_next_run_at")
        batch.drop_column("lease_until")
        batch.drop_column("leased_at")
        batch.drop_column("lease_trigger")
        batch.drop_column("leased_by")
        batch.drop_column("next_run_at")
