"""ended sessions: admin page sessions signed out before their cookie expired

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ended_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ended_sessions")),
    )
    with op.batch_alter_table("ended_sessions") as batch:
        batch.create_index("ix_ended_sessions_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ended_sessions") as batch:
        batch.drop_index("ix_ended_sessions_expires_at")
    op.drop_table("ended_sessions")
