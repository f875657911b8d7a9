"""duplicates: the matching keys kept per book, dismissed pairs, an account's settings

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts") as batch:
        batch.add_column(sa.Column("phone_region", sa.String(length=2), nullable=True))
        batch.add_column(
            sa.Column("match_similar_names", sa.Boolean(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("auto_merge", sa.Boolean(), nullable=False, server_default="0"))
    op.create_table(
        "duplicate_keys",
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("href", sa.String(length=1024), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name="fk_duplicate_keys_collection_id_collections",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("collection_id", "href", "kind", "key", name="pk_duplicate_keys"),
    )
    op.create_index("ix_duplicate_keys_owner_kind_key", "duplicate_keys", ["owner", "kind", "key"])
    op.create_table(
        "duplicate_books",
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("region", sa.String(length=2), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name="fk_duplicate_books_collection_id_collections",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("collection_id", name="pk_duplicate_books"),
    )
    op.create_index("ix_duplicate_books_owner", "duplicate_books", ["owner"])
    op.create_table(
        "duplicate_groups",
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("lane", sa.String(length=8), nullable=False),
        sa.Column("sort_name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("owner", "id", name="pk_duplicate_groups"),
    )
    op.create_table(
        "duplicate_members",
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("href", sa.String(length=1024), nullable=False),
        sa.Column("group_id", sa.String(length=16), nullable=False),
        sa.Column("uid", sa.Text(), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "owner", "collection_id", "href", "group_id", name="pk_duplicate_members"
        ),
    )
    op.create_index(
        "ix_duplicate_members_owner_group_id", "duplicate_members", ["owner", "group_id"]
    )
    op.create_table(
        "duplicate_reasons",
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("group_id", sa.String(length=16), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("holders", sa.Text(), nullable=False),
    )
    op.create_index(
        "ix_duplicate_reasons_owner_group_id", "duplicate_reasons", ["owner", "group_id"]
    )
    op.create_table(
        "duplicate_dirty",
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("href", sa.String(length=1024), nullable=False),
        sa.PrimaryKeyConstraint("owner", "collection_id", "href", name="pk_duplicate_dirty"),
    )
    op.create_table(
        "duplicate_state",
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("name_lane", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("owner", name="pk_duplicate_state"),
    )
    op.create_table(
        "duplicate_dismissals",
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("first", sa.String(length=1100), nullable=False),
        sa.Column("second", sa.String(length=1100), nullable=False),
        sa.Column("dismissed_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("owner", "first", "second", name="pk_duplicate_dismissals"),
    )


def downgrade() -> None:
    op.drop_table("duplicate_state")
    op.drop_table("duplicate_dirty")
    op.drop_index("ix_duplicate_members_owner_group_id", table_name="duplicate_members")
    op.drop_table("duplicate_members")
    op.drop_index("ix_duplicate_reasons_owner_group_id", table_name="duplicate_reasons")
    op.drop_table("duplicate_reasons")
    op.drop_table("duplicate_groups")
    op.drop_table("duplicate_dismissals")
    op.drop_index("ix_duplicate_books_owner", table_name="duplicate_books")
    op.drop_table("duplicate_books")
    op.drop_index("ix_duplicate_keys_owner_kind_key", table_name="duplicate_keys")
    op.drop_table("duplicate_keys")
    with op.batch_alter_table("accounts") as batch:
        batch.drop_column("auto_merge")
        batch.drop_column("match_similar_names")
        batch.drop_column("phone_region")
