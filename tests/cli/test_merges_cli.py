"""`contacthub merges merge|list|undo` from a shell, as a person runs them."""

from __future__ import annotations

import json
from pathlib import Path

from contacthub.services import books, contacts
from contacthub.sources.context import RunContext
from tests.cli.test_history_cli import add, contacthub, ctx, data_dir, names, ok  # noqa: F401


def test_merge_list_and_undo_from_a_shell(data_dir: Path, ctx: RunContext) -> None:  # noqa: F811
    work = books.create_book(ctx, "ann", "Work").id
    first = add(ctx, "c1", "Ann Archer")
    second = contacts.create_contact(
        ctx,
        "ann",
        work,
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:w1\r\nFN:Ann A.\r\nEND:VCARD\r\n",
        via="api",
    ).href

    said = ok(data_dir, "merges", "merge", f"contacts:{first}", f"{work}:{second}", "--user", "ann")
    assert "2 contacts merged" in said
    assert (names(ctx, "contacts"), names(ctx, work)) == ([], ["Ann A."])  # the last edited

    listed = json.loads(ok(data_dir, "merges", "list", "--user", "ann", "--json"))
    assert [m["state"] for m in listed] == ["merged"]
    ok(data_dir, "merges", "undo", str(listed[0]["id"]), "--user", "ann")
    assert (names(ctx, "contacts"), names(ctx, work)) == (["Ann Archer"], ["Ann A."])

    again = contacthub(data_dir, "merges", "undo", str(listed[0]["id"]), "--user", "ann")
    assert again.returncode == 1 and "undone already" in again.stderr
    nobody = contacthub(data_dir, "merges", "list", "--user", "zed")
    assert nobody.returncode == 1
