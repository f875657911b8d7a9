"""staged runs: a source's run written ahead in small transactions, published at once

Items get the generations that make them visible (born <= published_gen < dies), so an
item's old and new versions may both be kept while a run waits for publishing; the
change log entries and links of a run wait beside until it is settled.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NEVER = 2**62


def upgrade() -> None:
    with op.batch_alter_table("collections") as batch:
        batch.add_column(
            sa.Column("published_gen", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("published_seq", sa.BigInteger(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("born", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("dies", sa.BigInteger(), nullable=False, server_default=str(NEVER))
        )
        batch.drop_constraint("uq_items_collection_id_href", type_="unique")
        batch.drop_constraint("uq_items_collection_id_uid", type_="unique")
        batch.create_unique_constraint(
            "uq_items_collection_id_href_born", ["collection_id", "href", "born"]
        )
        batch.create_unique_constraint(
            "uq_items_collection_id_uid_born", ["collection_id", "uid", "born"]
        )
    op.create_table(
        "pending_changes",
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("gen", sa.BigInteger(), nullable=False),
        sa.Column("href", sa.String(length=1024), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_pending_changes_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("collection_id", "gen", "href", name=op.f("pk_pending_changes")),
    )
    op.create_table(
        "stagings",
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("gen", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(length=255), nullable=False),
        sa.Column("until", sa.Float(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_stagings_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("collection_id", name=op.f("pk_stagings")),
    )
    op.create_table(
        "pending_links",
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("gen", sa.BigInteger(), nullable=False),
        sa.Column("external_key", sa.String(length=1024), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(length=16), nullable=False),
        sa.Column("uid", sa.String(length=1024), nullable=False),
        sa.Column("href", sa.String(length=1024), nullable=False),
        sa.Column("record_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_pending_links_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_pending_links_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("source_id", "gen", "external_key", name=op.f("pk_pending_links")),
    )
    with op.batch_alter_table("pending_links") as batch:
        batch.create_index(
            "ix_pending_links_collection_gen_href", ["collection_id", "gen", "href"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("pending_links") as batch:
        batch.drop_index("ix_pending_links_collection_gen_href")
    op.drop_table("pending_links")
    op.drop_table("stagings")
    op.drop_table("pending_changes")
    with op.batch_alter_table("items") as batch:
        batch.drop_constraint("uq_items_collection_id_uid_born", type_="unique")
        batch.drop_constraint("uq_items_collection_id_href_born", type_="unique")
        batch.create_unique_constraint("uq_items_collection_id_uid", ["collection_id", "uid"])
        batch.create_unique_constraint("uq_items_collection_id_href", ["collection_id", "href"])
        batch.drop_column("dies")
        batch.drop_column("born")
    with op.batch_alter_table("collections") as batch:
        batch.drop_column("published_seq")
        batch.drop_column("published_gen")
