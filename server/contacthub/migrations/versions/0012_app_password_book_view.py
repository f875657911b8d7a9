"""app passwords: how CardDAV shows the device the account's books, and its last User-Agent

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_passwords") as batch:
        batch.add_column(sa.Column("book_view", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("last_user_agent", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("app_passwords") as batch:
        batch.drop_column("last_user_agent")
        batch.drop_column("book_view")
