"""app passwords: a secret per device of an account, and the account's CardDAV setting

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "app_passwords",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("last_used_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_passwords")),
        sa.UniqueConstraint("owner", "name", name=op.f("uq_app_passwords_owner_name")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_app_passwords_secret_hash")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(
            sa.Column(
                "carddav_requires_app_password",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("carddav_requires_app_password")
    op.drop_table("app_passwords")
