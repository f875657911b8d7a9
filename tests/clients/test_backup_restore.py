"""Backup while `serve` takes writes, restore into a new data directory and store, and a
real client (vdirsyncer) carries on: nothing lost, nothing twice, and every sync token
issued before the restore refused (403 valid-sync-token), those issued after the backup
was taken too.

The story: a folder of cards synced by vdirsyncer; a writer PUTs cards over HTTP while
`contacthub backup create` runs, and goes on after it; a sync token is taken before the
backup and one after it. The server is lost. While it is down, the person adds cards to
the folder (the phone's new contacts). `contacthub backup restore` into an empty data
directory (with the secret key copied apart), `serve` on it, and vdirsyncer syncs: the
folder and the server then hold the backup's cards and the folder's new ones, once each.
"""

from __future__ import annotations

import json
import shutil
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from contacthub.vcard.parse import item_data
from tests.clients import cards
from tests.clients.test_vdirsyncer import (
    BOOK,
    USER,
    Vdirsyncer,
    assert_in_step,
    keep_groups_as_categories,
)
from tests.support import dav
from tests.support.servers import ContacthubServer, DavServer

SEED = 17
FOLDER_CARDS = 40
PHONE_CARDS = 5


class Writer(threading.Thread):
    """PUTs new cards one after another until stopped; keeps those acknowledged."""

    def __init__(self, server: DavServer, start_at: int) -> None:
        super().__init__(daemon=True)
        self.session = server.session(USER)
        self.url = server.url + BOOK
        self.index = start_at
        self.acknowledged: dict[str, str] = {}
        self.stop = threading.Event()
        self.failures: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            text = cards.make_card(self.index, seed=SEED)
            r = self.session.put(
                f"{self.url}w{self.index}.vcf",
                data=text.encode(),
                headers={"Content-Type": "text/vcard", "If-None-Match": "*"},
            )
            if r.status_code == 201:
                self.acknowledged[cards.uid_of(text)] = text
            else:
                self.failures.append(f"{r.status_code} {r.text[:200]}")
            self.index += 1

    def written(self, at_least: int) -> None:
        for _ in range(600):
            if len(self.acknowledged) >= at_least:
                return
            self.stop.wait(0.05)
        raise AssertionError(f"the writer wrote {len(self.acknowledged)} cards")


def table(archive: zipfile.ZipFile, name: str) -> list[dict[str, Any]]:
    manifest = json.loads(archive.read("manifest.json"))
    columns = next(t["columns"] for t in manifest["store"]["tables"] if t["name"] == name)
    lines = archive.read(f"tables/{name}.jsonl").decode().splitlines()
    return [dict(zip(columns, json.loads(line), strict=True)) for line in lines]


def check_backup(path: Path, written: dict[str, str]) -> dict[str, str]:
    """The backup's cards of the book (UID -> text), each whole and as written, and its
    change log and history never ahead of the book's counter."""
    with zipfile.ZipFile(path) as archive:
        book = next(c for c in table(archive, "collections") if c["path"] == BOOK.strip("/"))
        items = [i for i in table(archive, "items") if i["collection_id"] == book["id"]]
        changes = {
            c["href"]: c for c in table(archive, "changes") if c["collection_id"] == book["id"]
        }
        versions = [v for v in table(archive, "versions") if v["collection_id"] == book["id"]]
        assert "users" in archive.namelist()
        assert not any("secret.key" in name for name in archive.namelist())
    held: dict[str, str] = {}
    for item in items:
        assert item["text"] == written[item["uid"]], f"card {item['uid']} differs from its PUT"
        assert item_data(item["text"]).uid == item["uid"]
        assert item["href"] in changes and not changes[item["href"]]["deleted"], item["href"]
        held[item["uid"]] = item["text"]
    assert len(held) == len(items), "a UID twice in the backup"
    assert all(c["seq"] <= book["sync_seq"] for c in changes.values())
    assert all(v["seq"] is None or v["seq"] <= book["sync_seq"] for v in versions)
    assert {v["href"] for v in versions} <= {i["href"] for i in items}
    return held


def refused_token(server: DavServer, token: str) -> None:
    r = dav.sync_collection_raw(server.session(USER), server.url + BOOK, token)
    assert r.status_code == 403, (r.status_code, r.text[:300])
    assert dav.error_conditions(r.content) == {dav.q(dav.DAV, "valid-sync-token")}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_backup_while_writing_restore_then_vdirsyncer(
    backend: str,
    contacthub_factory: Callable[..., DavServer],
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    server = contacthub_factory(backend=backend)
    assert isinstance(server, ContacthubServer)
    s = server.session(USER)
    keep_groups_as_categories(s)
    vd = Vdirsyncer(tmp_path / "vdirsyncer", server.url + BOOK, server.users[USER])
    written: dict[str, str] = {}
    for index in range(FOLDER_CARDS):
        text = cards.make_card(index, seed=SEED)
        written[cards.uid_of(text)] = text
        vd.write(f"card-{index:04d}.vcf", text)
    vd.run("discover")
    vd.sync()
    assert_in_step(server, vd, dict(written), "before the backup")
    token_before = dav.sync_collection(s, server.url + BOOK, None).sync_token

    writer = Writer(server, start_at=10_000)
    writer.start()
    backup = tmp_path / "nightly.zip"
    try:
        writer.written(20)
        store = ["--store", server.store_url] if server.store_url else []  # as serve has it
        made = server.cli("backup", "create", str(backup), *store)
        assert "keep" in made.stdout.lower() and "secret.key" in made.stdout
        writer.written(len(writer.acknowledged) + 10)  # writes after the backup was taken
    finally:
        writer.stop.set()
        writer.join()
    assert not writer.failures, writer.failures[:3]
    token_after = dav.sync_collection(s, server.url + BOOK, None).sync_token
    written.update(writer.acknowledged)
    in_backup = check_backup(backup, written)
    assert set(written) - set(writer.acknowledged) <= set(in_backup)  # the folder's cards
    assert 20 <= len(set(in_backup) & set(writer.acknowledged)) < len(writer.acknowledged)
    assert backup.stat().st_mode & 0o077 == 0
    server.stop()

    # While the server is down, the phone (the folder) gains contacts of its own.
    for index in range(PHONE_CARDS):
        text = cards.make_card(50_000 + index, seed=SEED)
        in_backup[cards.uid_of(text)] = text
        vd.write(f"phone-{index}.vcf", text)

    target = tmp_path / "restored" / "data"
    target.mkdir(parents=True)
    shutil.copy2(server.data_dir / "secret.key", target / "secret.key")
    store_url = (
        f"sqlite:///{target / 'contacthub.db'}"
        if backend == "sqlite"
        else str(request.getfixturevalue("postgres_server").create_database())
    )
    # The same address: the restored server takes the lost one's place.
    restored = ContacthubServer(target, {}, store_url=store_url, port=server.port)
    done = restored.cli("backup", "restore", str(backup), "--store", store_url)
    assert "403 valid-sync-token" in done.stdout
    assert "typed again" not in done.stdout  # the same key: every password opens
    restored.users[USER] = server.users[USER]  # restored with the users file, not added
    restored._users_created = True
    restored.start()
    try:
        assert restored.admin_password is None  # the backup's accounts, no new admin
        refused_token(restored, token_before)
        refused_token(restored, token_after)
        out = vd.sync()
        assert out.count("to remote") == PHONE_CARDS, out[-2000:]  # the phone's new cards
        downloaded = set(in_backup) & set(writer.acknowledged)  # written during the backup
        assert out.count("to local") == len(downloaded), out[-2000:]
        assert "Deleting" not in out, out[-2000:]
        assert_in_step(restored, vd, in_backup, "after the restore")
        fresh = dav.sync_collection(restored.session(USER), restored.url + BOOK, None)
        again = dav.sync_collection(restored.session(USER), restored.url + BOOK, fresh.sync_token)
        assert again.responses == []  # a token of the restored server works as before
    finally:
        restored.stop()
