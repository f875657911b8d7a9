"""Alembic migrations: a store made by an older version upgrades in place, with its data."""

from __future__ import annotations

import json
import subprocess
import sys

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from contacthub.store import Store, TextMatch, etag_of
from contacthub.store.engine import make_engine
from contacthub.store.migrate import alembic_config, current_revision, schema_filter, upgrade
from contacthub.store.revision import VERSIONS, newest_revision
from contacthub.store.schema import metadata

CARD = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:keep\r\nFN:Kept Across Upgrades\r\n"
    "NICKNAME:Kay\r\nEND:VCARD\r\n"
)


def test_migrations_build_exactly_the_schema_the_code_uses(empty_store_url: str) -> None:
    engine = make_engine(empty_store_url)
    upgrade(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": schema_filter(conn.dialect.name)}
        )
        differences = compare_metadata(context, metadata)
    engine.dispose()
    assert differences == []


def test_every_revision_upgrades_in_place_keeping_the_data(empty_store_url: str) -> None:
    engine = make_engine(empty_store_url)
    revisions = [
        r.revision for r in ScriptDirectory.from_config(alembic_config(engine)).walk_revisions()
    ]
    upgrade(engine, revisions[-1])
    _store_a_card_as_the_first_release_did(engine)
    Store.open(empty_store_url).close()  # what `contacthub serve` does on start
    assert current_revision(engine) == revisions[0]
    store = Store(engine, history_retention=60)
    with store.read() as tx:
        book = tx.require_collection("alice/contacts")
        kept = tx.get_item(book.id, "keep.vcf")
        found = list(tx.match_items(book.id, TextMatch("FN", "kept", "contains")))
    assert kept is not None and kept.text == CARD and [i.href for i in found] == ["keep.vcf"]
    with store.read() as tx:
        nicknamed = tx.search_contacts([book.id], ["kay"], limit=10, offset=0)[0]
    assert [i.href for i in nicknamed] == ["keep.vcf"]  # backfilled by revision 0004
    engine.dispose()


def _store_a_card_as_the_first_release_did(engine: Engine) -> None:
    """Rows written with revision 0001's columns only, as that release wrote them."""
    collections = sa.table(
        "collections",
        *(
            sa.column(c)
            for c in (
                "id",
                "path",
                "parent_path",
                "uuid",
                "tag",
                "props",
                "sync_seq",
                "history_floor",
                "created_at",
                "modified_at",
            )
        ),
    )
    items = sa.table(
        "items",
        *(
            sa.column(c)
            for c in (
                "collection_id",
                "href",
                "uid",
                "etag",
                "text",
                "name",
                "component_name",
                "time_start",
                "time_end",
                "modified_at",
                "display_name",
                "idx_fn",
                "idx_email",
                "idx_tel",
                "idx_org",
            )
        ),
    )
    with engine.begin() as conn:
        for number, path in enumerate(["alice", "alice/contacts"], start=1):
            conn.execute(
                collections.insert().values(
                    id=number,
                    path=path,
                    parent_path=path.rpartition("/")[0],
                    uuid=f"u{number}",
                    tag="VADDRESSBOOK" if "/" in path else "",
                    props=json.dumps({"tag": "VADDRESSBOOK"} if "/" in path else {}),
                    sync_seq=1,
                    history_floor=0,
                    created_at=0.0,
                    modified_at=0.0,
                )
            )
        conn.execute(
            items.insert().values(
                collection_id=2,
                href="keep.vcf",
                uid="keep",
                etag=etag_of(CARD),
                text=CARD,
                name="VCARD",
                component_name="",
                time_start=0,
                time_end=0,
                modified_at=0.0,
                display_name="Kept Across Upgrades",
                idx_fn="\nkept across upgrades\n",
                idx_email="",
                idx_tel="",
                idx_org="",
            )
        )


def test_each_migration_revises_the_one_numbered_before_it() -> None:
    """What lets a start tell a current store by the newest file name, without Alembic."""
    scripts = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://")))
    previous = None
    for path in sorted(VERSIONS.glob("*.py")):
        number = path.name[:4]
        script = next(s for s in scripts.walk_revisions() if s.path == str(path))
        assert (script.revision, script.down_revision) == (number, previous), path.name
        previous = number
    assert newest_revision() == previous == scripts.get_current_head()


def test_a_current_store_opens_without_loading_the_migrations(store_url: str) -> None:
    opened = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from contacthub.store import Store; "
            f"Store.open({store_url!r}).close(); print(sorted(sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "'contacthub.store.migrate'" not in opened.stdout
    assert "'alembic'" not in opened.stdout


def test_a_store_one_revision_behind_is_brought_to_the_newest_on_open(
    empty_store_url: str,
) -> None:
    engine = make_engine(empty_store_url)
    upgrade(engine, f"{int(newest_revision()) - 1:04d}")
    Store.open(empty_store_url).close()
    assert current_revision(engine) == newest_revision()
    engine.dispose()
