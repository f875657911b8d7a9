"""`contacthub trash list|restore`, `history show`, `restore` and `run undo`: the real
command, in a process of its own, against a data directory (SQLite) that the test fills
through the services and `contacthub import`."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from contacthub import config
from contacthub.cli import main
from contacthub.services import books, contacts
from contacthub.sources.context import RunContext
from contacthub.store import Store
from tests.api.conftest import vcard

CSV_BOOK = "from-csv-people"
PEOPLE = "ID,Name,E-mail\r\n1,Ann Archer,ann@example.org\r\n2,Bob Baker,bob@example.org\r\n"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    home = tmp_path / "data"
    home.mkdir()
    added = CliRunner().invoke(
        main, ["user", "add", "ann", "--data-dir", str(home)], input="pw-long-enough\n"
    )
    assert added.exit_code == 0, added.output
    return home


@pytest.fixture
def ctx(data_dir: Path) -> Iterator[RunContext]:
    settings = config.load(data_dir)
    context = RunContext(Store.open(settings.store_url), settings)
    with context.store.write() as tx:
        tx.ensure_default_book("ann")
        tx.ensure_default_book("bob")
    yield context
    context.store.close()


def contacthub(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "contacthub.cli", *args, "--data-dir", str(data_dir)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def ok(data_dir: Path, *args: str) -> str:
    done = contacthub(data_dir, *args)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def names(ctx: RunContext, book: str, user: str = "ann") -> list[str]:
    with ctx.store.read() as tx:
        found = tx.iter_items(tx.require_collection(f"{user}/{book}").id)
        return sorted(item.display_name for item in found)


def texts(ctx: RunContext, book: str) -> dict[str, str]:
    with ctx.store.read() as tx:
        return {i.href: i.text for i in tx.iter_items(tx.require_collection(f"ann/{book}").id)}


def add(ctx: RunContext, uid: str, name: str, user: str = "ann") -> str:
    return contacts.create_contact(ctx, user, "contacts", vcard(uid, name), via="api").href


def delete(ctx: RunContext, href: str, user: str = "ann") -> None:
    contacts.remove_contact(ctx, user, "contacts", href, None, via="api")


def a_moment_passes() -> None:
    time.sleep(0.01)  # versions are stamped with the real clock: keep writes apart


def test_trash_list_and_restore_by_uid_or_all(data_dir: Path, ctx: RunContext) -> None:
    ann, bob = add(ctx, "ann-1", "Ann"), add(ctx, "bob-1", "Bob")
    add(ctx, "bobs-own", "Bob's Own", user="bob")
    delete(ctx, ann)
    a_moment_passes()
    delete(ctx, bob)
    delete(ctx, add(ctx, "bobs-own-2", "Not Ann's", user="bob"), user="bob")

    listed = ok(data_dir, "trash", "list", "--user", "ann").splitlines()
    assert listed[0].split() == ["BOOK", "UID", "NAME", "DELETED", "BY"]
    assert [line.split()[:3] for line in listed[1:]] == [
        ["contacts", "bob-1", "Bob"],
        ["contacts", "ann-1", "Ann"],
    ]
    assert listed[1].endswith("UTC  ann via api")

    brought = ok(data_dir, "trash", "restore", "--user", "ann", "--book", "Contacts", "ann-1")
    assert "ok: 1 contact brought back from the trash of 'contacts'" in brought
    assert "Ann (UID ann-1, in contacts)" in brought
    assert "`contacthub run undo " in brought
    assert names(ctx, "contacts") == ["Ann"]

    neither = contacthub(data_dir, "trash", "restore", "--user", "ann", "--book", "contacts")
    assert neither.returncode == 2 and "or give --all" in neither.stderr
    unknown = contacthub(data_dir, "trash", "restore", "--user", "ann", "--book", "Work", "--all")
    assert unknown.returncode == 1
    assert unknown.stderr.splitlines()[-1] == "Error: There is no address book 'Work'."

    ok(data_dir, "trash", "restore", "--user", "ann", "--book", "contacts", "--all")
    assert names(ctx, "contacts") == ["Ann", "Bob"]
    assert names(ctx, "contacts", user="bob") == ["Bob's Own"]  # bob's trash is his
    empty = ok(data_dir, "trash", "list", "--user", "ann", "--book", "contacts")
    assert empty.strip() == "the trash of 'contacts' is empty"


def test_history_show_names_the_book_and_each_version(data_dir: Path, ctx: RunContext) -> None:
    href = add(ctx, "ann-1", "Ann")
    a_moment_passes()
    contacts.replace_contact(
        ctx,
        "ann",
        "contacts",
        href,
        vcard("ann-1", "Ann Edited"),
        contacts.IfMatch(any=True),
        via="api",
    )

    shown = ok(data_dir, "history", "show", "--user", "ann", "ann-1").splitlines()
    assert shown[0] == "'Ann Edited' (UID ann-1) in 'Contacts' (contacts)"
    assert shown[1].split() == ["VERSION", "MADE", "AT", "BY", "ACTION", "CHANGED"]
    assert shown[2].split()[0] == "current" and shown[2].split()[-4:] == [
        "via",
        "api",
        "update",
        "FN",
    ]
    assert shown[3].split()[0].isdigit() and " add" in shown[3]
    missing = contacthub(data_dir, "history", "show", "--user", "ann", "nobody")
    assert missing.returncode == 1
    assert "There is no contact with UID 'nobody' in the address books of ann." in missing.stderr


def test_restore_dry_run_changes_nothing_then_restore_applies(
    data_dir: Path, ctx: RunContext
) -> None:
    ann, bob = add(ctx, "ann-1", "Ann"), add(ctx, "bob-1", "Bob")
    a_moment_passes()
    at = time.time()
    as_it_was = texts(ctx, "contacts")
    a_moment_passes()
    delete(ctx, ann)
    delete(ctx, bob)
    add(ctx, "cy-1", "Cy")
    to = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at)) + f".{int(at % 1 * 1e6):06d}Z"

    dry = ok(data_dir, "restore", "Contacts", "--user", "ann", "--to", to, "--dry-run")
    assert "2 brought back, 0 reverted, 1 removed, 0 left as they are" in dry
    assert "Ann (UID ann-1, in contacts)" in dry and "Cy (UID cy-1, in contacts)" in dry
    assert dry.strip().endswith("dry run: nothing changed")
    assert names(ctx, "contacts") == ["Cy"]

    done = ok(data_dir, "restore", "contacts", "--user", "ann", "--to", to)
    assert "ok: 'Contacts' restored to" in done and "2 brought back, 1 removed" in done
    assert texts(ctx, "contacts") == as_it_was

    bad = contacthub(data_dir, "restore", "contacts", "--user", "ann", "--to", "last tuesday")
    assert bad.returncode == 1
    assert "The time 'last tuesday' is not an ISO 8601 date and time" in bad.stderr


def test_run_undo_of_a_csv_import_with_update_and_delete_not_found(
    data_dir: Path, ctx: RunContext, tmp_path: Path
) -> None:
    people = tmp_path / "people.csv"
    people.write_text(PEOPLE, encoding="utf-8")
    ok(data_dir, "import", str(people), "--user", "ann", "--key", "ID")
    as_it_was = texts(ctx, CSV_BOOK)
    a_moment_passes()
    people.write_text(
        PEOPLE.replace("Bob Baker", "Robert Baker").replace(
            "1,Ann Archer,ann@example.org\r\n", "3,Cy Carter,cy@example.org\r\n"
        ),
        encoding="utf-8",
    )
    ok(
        data_dir,
        "import",
        str(people),
        "--user",
        "ann",
        "--key",
        "ID",
        "--update",
        "--delete-missing",
    )
    with ctx.store.read() as tx:
        source = tx.find_source("ann", "csv", "people")
        assert source is not None
        latest = tx.runs_of(source.id, limit=1)[0]

    dry = ok(data_dir, "run", "undo", str(latest.id), "--dry-run")
    assert dry.startswith(f"undo run {latest.id} of ann:\n")
    assert "1 brought back, 1 reverted, 1 removed, 0 left as they are" in dry
    assert "Ann Archer (UID" in dry and "Cy Carter (UID" in dry
    assert dry.strip().endswith("dry run: nothing changed")
    assert names(ctx, CSV_BOOK) == ["Cy Carter", "Robert Baker"]

    done = ok(data_dir, "run", "undo", str(latest.id))
    assert f"ok: undo of run {latest.id}: 1 removed, 1 reverted, 1 brought back" in done
    assert texts(ctx, CSV_BOOK) == as_it_was
    assert "recorded as run " in done
    missing = contacthub(data_dir, "run", "undo", "999999")
    assert missing.returncode == 1 and "There is no run 999999." in missing.stderr


def test_trash_list_shows_deleted_books_and_restore_book_brings_one_back(
    data_dir: Path, ctx: RunContext
) -> None:
    work = books.create_book(ctx, "ann", "Work").id
    contacts.create_contact(ctx, "ann", work, vcard("w-1", "Wendy"), via="api")
    before = texts(ctx, work)
    books.delete_book(ctx, "ann", work, via="api")

    listed = ok(data_dir, "trash", "list", "--user", "ann").splitlines()
    assert listed[0] == "the trash of every book of ann is empty"
    assert listed[2].startswith("deleted address books")
    assert listed[3].split() == ["ID", "NAME", "WAS", "CONTACTS", "DELETED", "BY", "PURGED"]
    assert listed[4].split()[1:4] == ["Work", "work", "1"]
    assert "ann via api" in listed[4]
    only_book = ok(data_dir, "trash", "list", "--user", "ann", "--book", "contacts")
    assert "deleted address books" not in only_book

    unknown = contacthub(data_dir, "trash", "restore-book", "--user", "ann", "Play")
    assert unknown.returncode == 1
    assert unknown.stderr.splitlines()[-1] == "Error: There is no deleted address book 'Play'."
    assert contacthub(data_dir, "trash", "restore-book", "--user", "bob", "Work").returncode == 1

    done = ok(data_dir, "trash", "restore-book", "--user", "ann", "work")
    assert done.strip() == "ok: 'Work' is back with 1 contact."
    assert texts(ctx, work) == before
    assert "deleted address books" not in ok(data_dir, "trash", "list", "--user", "ann")
