"""Alembic migrations: a store made by an older version upgrades in place, with its data."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from contacthub.store import Store
from contacthub.store.engine import make_engine
from contacthub.store.migrate import alembic_config, current_revision, schema_filter, upgrade
from contacthub.store.schema import metadata
from contacthub.vcard import item_data

CARD = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:keep\r\nFN:Kept Across Upgrades\r\nEND:VCARD\r\n"


def test_migrations_build_exactly_the_schema_the_code_uses(store_url: str) -> None:
    engine = make_engine(store_url)
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": schema_filter(conn.dialect.name)}
        )
        differences = compare_metadata(context, metadata)
    engine.dispose()
    assert differences == []


def test_every_revision_upgrades_in_place_keeping_the_data(store_url: str) -> None:
    engine = make_engine(store_url)
    revisions = [r.revision for r in ScriptDirectory.from_config(
        alembic_config(engine)).walk_revisions()]
    first = revisions[-1]
    upgrade(engine, first)
    store = Store(engine, history_retention=60)
    with store.write() as tx:
        tx.put_item(tx.ensure_default_book("alice"), "keep.vcf", item_data(CARD))
    upgrade(engine)  # what `contacthub serve` does on start
    assert current_revision(engine) == revisions[0]
    with store.read() as tx:
        book = tx.require_collection("alice/contacts")
        kept = tx.get_item(book.id, "keep.vcf")
    assert kept is not None and kept.text == CARD
    engine.dispose()
