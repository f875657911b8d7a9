"""A CSV sync of a file on a real FTP server (pyftpdlib) feeds a person who is then merged
with the phone's card; the sync run again updates the merged card in its own fields only
and brings no copy back. Both stores."""

from __future__ import annotations

import os
from pathlib import Path

from contacthub.duplicates.merge import merge_cards
from contacthub.duplicates.refs import CardRef
from contacthub.jobs.runner import run_sync
from contacthub.sources.context import RunContext
from contacthub.sources.csv.remote import create_remote_sync
from contacthub.sources.csv.source import configure
from contacthub.store import Store
from tests.fetch.ftp_server import PASSWORD, USER, LocalFTPServer
from tests.merges.people import CONTACTS, OWNER, items, phone_puts, values

HEADER = "Id,Name,Email,Company"
MODIFIED = 1_700_000_000


def put(root: Path, *rows: str, modified: float = MODIFIED) -> None:
    path = root / "staff.csv"
    path.write_text("\r\n".join([HEADER, *rows, ""]))
    os.utime(path, (modified, modified))


def test_a_csv_sync_run_again_updates_the_merged_card_in_its_own_fields(
    ctx: RunContext, store: Store, ftp: LocalFTPServer, ftp_root: Path
) -> None:
    put(ftp_root, "1,Jane Doe,jane@example.org,ACME", "2,Bob Stone,bob@example.org,ACME")
    source = create_remote_sync(
        ctx, OWNER, {"url": ftp.url("/staff.csv"), "username": USER, "password": PASSWORD}
    )
    # The staff's own ids, and changed rows update their contacts.
    source = configure(store, source, key_column="Id", update_existing=True).source
    assert run_sync(ctx, source).counts["added"] == 2
    (jane,) = [item for item in items(store, source.book_path) if item.display_name == "Jane Doe"]
    phone_puts(store)  # "Jane Doe (phone)", 55551234 and a birthday, in Contacts
    done = merge_cards(
        store,
        OWNER,
        [CardRef(source.book_path, jane.href), CardRef(CONTACTS, "phone-jane.vcf")],
        via="admin",
    )
    assert done.merged == CardRef(CONTACTS, "phone-jane.vcf")

    put(
        ftp_root,
        "1,Jane Q. Doe,jane@example.org,Umbrella",
        "2,Bob Stone,bob@example.org,ACME",
        modified=MODIFIED + 60,
    )
    changed = run_sync(ctx, source)
    unchanged_file = run_sync(ctx, source)

    assert changed.status == "ok", (changed.counts, changed.message, changed.problems)
    assert (changed.counts["added"], changed.counts["updated"]) == (0, 1)
    assert unchanged_file.status == "no_changes"
    assert [item.display_name for item in items(store, source.book_path)] == ["Bob Stone"]
    (merged,) = items(store, CONTACTS)
    assert values(merged.text, "ORG") == ["Umbrella"]  # the CSV's own field, updated
    assert values(merged.text, "FN") == ["Jane Doe (phone)"]  # the name chosen stays
    assert values(merged.text, "BDAY") == ["1990-04-01"]
    assert sorted(values(merged.text, "TEL")) == ["55551234"]
    assert [email.lower() for email in values(merged.text, "EMAIL")] == ["jane@example.org"]

    # The same file once more, touched: still one Jane, still the choices.
    put(
        ftp_root,
        "1,Jane Q. Doe,jane@example.org,Umbrella",
        "2,Bob Stone,bob@example.org,ACME",
        modified=MODIFIED + 120,
    )
    again = run_sync(ctx, source)
    assert again.counts.get("added", 0) == 0 and again.counts.get("updated", 0) == 0
    assert [item.text for item in items(store, CONTACTS)] == [merged.text]
