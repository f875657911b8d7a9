"""duplicate_keys without the foreign key to collections: a purged book's keys go in its
purge (store/book_trash.py), not by a cascade

Revision ID: 0018
Revises: 0017

On PostgreSQL the foreign key took a row lock on the book's row for every key row a find
wrote: of a book's 40,000 keys COPY'd into the table, a third of the time. The keys are
what a find computes, not a person's data: the table is made again empty, and the next
find reads every book again (the dismissed pairs and the settings stay).
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_COMPUTED = (
    "duplicate_books",
    "duplicate_groups",
    "duplicate_members",
    "duplicate_reasons",
    "duplicate_dirty",
    "duplicate_state",
)


def _keys_table(with_foreign_key: bool) -> None:
    op.drop_index("ix_duplicate_keys_owner_kind_key", table_name="duplicate_keys")
    op.drop_table("duplicate_keys")
    foreign_key = (
        [
            sa.ForeignKeyConstraint(
                ["collection_id"],
                ["collections.id"],
                name="fk_duplicate_keys_collection_id_collections",
                ondelete="CASCADE",
            )
        ]
        if with_foreign_key
        else []
    )
    op.create_table(
        "duplicate_keys",
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("href", sa.String(length=1024), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=1024), nullable=False),
        sa.Column("owner", sa.String(length=255), nullable=False),
        sa.Column("name", sa.String(length=1024), nullable=False, server_default=""),
        *foreign_key,
        sa.PrimaryKeyConstraint("collection_id", "href", "kind", "key", name="pk_duplicate_keys"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_duplicate_keys_owner_kind_key", "duplicate_keys", ["owner", "kind", "key"])


def _forget_computed() -> None:
    for table in _COMPUTED:
        op.execute(sa.table(table).delete())


def upgrade() -> None:
    _keys_table(with_foreign_key=False)
    _forget_computed()


def downgrade() -> None:
    _keys_table(with_foreign_key=True)
    _forget_computed()
