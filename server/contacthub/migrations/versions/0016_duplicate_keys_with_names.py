"""duplicate_keys: the card's normalised name on each email and phone key (no name rows);
on SQLite, duplicate_keys, duplicate_groups and duplicate_members WITHOUT ROWID (their rows
in the primary key's tree)

Revision ID: 0016
Revises: 0015

The keys and groups are what a find computes, not a person's data: they are dropped here
and the next find reads every book again (the dismissed pairs and the settings stay).
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_COMPUTED = (
    "duplicate_books",
    "duplicate_reasons",
    "duplicate_dirty",
    "duplicate_state",
)


def _keys_table(with_names: bool) -> None:
    op.drop_index("ix_duplicate_keys_owner_kind_key", table_name="duplicate_keys")
    op.drop_table("duplicate_keys")
    names = (
        [sa.Column("name", sa.String(length=1024), nullable=False, server_default="")]
        if with_names
        else []
    )
    op.create_table(
        "duplicate_keys",
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("href", sa.String(length=1024), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        *names,
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name="fk_duplicate_keys_collection_id_collections",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("collection_id", "href", "kind", "key", name="pk_duplicate_keys"),
        sqlite_with_rowid=not with_names,
    )
    op.create_index("ix_duplicate_keys_owner_kind_key", "duplicate_keys", ["owner", "kind", "key"])


def _groups_tables(with_rowid: bool) -> None:
    op.drop_index("ix_duplicate_members_owner_group_id", table_name="duplicate_members")
    op.drop_table("duplicate_members")
    op.drop_table("duplicate_groups")
    op.create_table(
        "duplicate_groups",
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("lane", sa.String(length=8), nullable=False),
        sa.Column("sort_name", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("owner", "id", name="pk_duplicate_groups"),
        sqlite_with_rowid=with_rowid,
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
        sqlite_with_rowid=with_rowid,
    )
    op.create_index(
        "ix_duplicate_members_owner_group_id", "duplicate_members", ["owner", "group_id"]
    )


def _forget_computed() -> None:
    for table in _COMPUTED:
        op.execute(sa.table(table).delete())


def upgrade() -> None:
    _keys_table(with_names=True)
    _groups_tables(with_rowid=False)
    _forget_computed()


def downgrade() -> None:
    _keys_table(with_names=False)
    _groups_tables(with_rowid=True)
    _forget_computed()
