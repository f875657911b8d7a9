"""versions: every write of a card keeps the card as it was, for the trash, a contact's
history, a restore to a time and the undo of a run

A run's staging notes when it was published, where and as which run (its versions take
those when settled); a run may belong to no source (a restore, an undo: `owner`, `kind`).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "versions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("collection_id", sa.Integer(), nullable=False),
        sa.Column("href", sa.String(length=1024), nullable=False),
        sa.Column("uid", sa.String(length=1024), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("card", sa.LargeBinary(), nullable=True),
        sa.Column("etag", sa.String(length=80), nullable=True),
        sa.Column("gen", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.Float(), nullable=True),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("account", sa.String(length=255), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("agent", sa.String(length=255), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("link_key", sa.String(length=1024), nullable=True),
        sa.Column("link_hash", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["collections.id"],
            name=op.f("fk_versions_collection_id_collections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_versions")),
    )
    with op.batch_alter_table("versions") as batch:
        batch.create_index(
            "ix_versions_collection_href_seq", ["collection_id", "href", "seq"], unique=False
        )
        batch.create_index(
            "ix_versions_collection_gen_at", ["collection_id", "gen", "at"], unique=False
        )
        batch.create_index("ix_versions_collection_uid", ["collection_id", "uid"], unique=False)
        batch.create_index(
            "ix_versions_run_id",
            ["run_id"],
            unique=False,
            sqlite_where=sa.text("run_id IS NOT NULL"),
            postgresql_where=sa.text("run_id IS NOT NULL"),
        )
    with op.batch_alter_table("stagings") as batch:
        batch.add_column(sa.Column("published_at", sa.Float(), nullable=True))
        batch.add_column(sa.Column("published_seq", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("run_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("runs") as batch:
        batch.alter_column("source_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("owner", sa.String(length=255), nullable=True))
        batch.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="")
        )


def downgrade() -> None:
    op.execute("DELETE FROM runs WHERE source_id IS NULL")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("kind")
        batch.drop_column("owner")
        batch.alter_column("source_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("stagings") as batch:
        batch.drop_column("run_id")
        batch.drop_column("published_seq")
        batch.drop_column("published_at")
    op.drop_table("versions")
