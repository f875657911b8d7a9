"""alerts: a CardDAV client that deleted more than a share of a book within a short
window, told to the book's owner until restored or dismissed

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(length=255), nullable=False),
        sa.Column("agent", sa.String(length=255), nullable=False),
        sa.Column("deleted", sa.Integer(), nullable=False),
        sa.Column("book_size", sa.Integer(), nullable=False),
        sa.Column("first_at", sa.Float(), nullable=False),
        sa.Column("last_at", sa.Float(), nullable=False),
        sa.Column("raised_at", sa.Float(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("resolved_at", sa.Float(), nullable=True),
        sa.Column("restore_run_id", sa.Integer(), nullable=True),
        sa.Column("restored", sa.Integer(), nullable=True),
        sa.Column("email", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_alerts_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts") as batch:
        batch.create_index("ix_alerts_owner_state", ["owner", "state"], unique=False)
        batch.create_index(
            "ix_alerts_collection_client", ["collection_id", "account", "agent"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_index("ix_alerts_collection_client")
        batch.drop_index("ix_alerts_owner_state")
    op.drop_table("alerts")
