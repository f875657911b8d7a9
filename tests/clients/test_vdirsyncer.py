"""A real CardDAV client: vdirsyncer (the CLI from PyPI) keeps a local folder of vCards
and the user's default address book in step, in both directions.

The folder starts with 200 realistic cards; after each sync the test compares the UIDs
and the card contents of the folder, of the server (read back over HTTP) and of the
test's own record of what was written where — no duplicates, no losses. It runs
against contacthub on SQLite and on PostgreSQL; ``--e2e-server=radicale`` runs the same
scenario against a plain Radicale on its own storage (to check the test itself).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, urljoin

import pytest

from contacthub.store import Store
from contacthub.vcard.parse import item_data
from tests.clients import cards
from tests.support import dav
from tests.support.commands import vdirsyncer_command
from tests.support.servers import ContacthubServer, DavServer, DavSession

INITIAL = 200
SEED = 2
USER = "alice"
BOOK = f"/{USER}/contacts/"
VDIRSYNCER_TIMEOUT = 600


@pytest.fixture(params=["sqlite", "postgresql"])
def server(
    request: pytest.FixtureRequest, contacthub_factory: Callable[..., DavServer]
) -> DavServer:
    """A fresh server per run, so the default book starts empty."""
    return contacthub_factory(backend=request.param)


class Vdirsyncer:
    """vdirsyncer with its own config, status directory and local folder under *root*."""

    def __init__(self, root: Path, book_url: str, password: str) -> None:
        self.root = root
        self.local = root / "local"
        self.status = root / "status"
        self.local.mkdir(parents=True)
        self.status.mkdir()
        self.config = root / "config"
        self.config.write_text(
            "[general]\n"
            f'status_path = "{self.status}/"\n\n'
            "[pair book]\n"
            'a = "local"\n'
            'b = "remote"\n'
            "collections = null\n\n"
            "[storage local]\n"
            'type = "filesystem"\n'
            f'path = "{self.local}/"\n'
            'fileext = ".vcf"\n\n'
            "[storage remote]\n"
            'type = "carddav"\n'
            f'url = "{book_url}"\n'
            f'username = "{USER}"\n'
            f'password = "{password}"\n'
        )
        self.env = dict(
            os.environ,
            HOME=str(root),
            XDG_CONFIG_HOME=str(root / "xdg-config"),
            XDG_DATA_HOME=str(root / "xdg-data"),
            LC_ALL="C.UTF-8",
        )

    def run(self, *args: str) -> str:
        proc = subprocess.run(
            [*vdirsyncer_command(), "-c", str(self.config), *args],
            env=self.env,
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=VDIRSYNCER_TIMEOUT,
            check=False,
        )
        output = proc.stdout + proc.stderr
        assert proc.returncode == 0, f"vdirsyncer {' '.join(args)} failed:\n{output}"
        for marker in ("error:", "critical:"):
            assert marker not in output.lower(), f"vdirsyncer {' '.join(args)}:\n{output}"
        return output

    def sync(self) -> str:
        return self.run("sync")

    # -- the local folder ------------------------------------------------------------------
    def files(self) -> dict[str, Path]:
        """UID -> file; a UID present twice fails the test (a duplicate)."""
        seen: dict[str, Path] = {}
        for path in sorted(self.local.glob("*.vcf")):
            uid = cards.uid_of(path.read_text(encoding="utf-8"))
            assert uid not in seen, f"duplicate UID {uid} in {seen[uid].name} and {path.name}"
            seen[uid] = path
        return seen

    def write(self, name: str, text: str) -> None:
        """Write a file the way an editor does: a new file renamed over the old one."""
        tmp = self.local / f".{name}.tmp"
        tmp.write_bytes(text.encode("utf-8"))
        os.replace(tmp, self.local / name)


def server_cards(s: DavSession, book: str) -> dict[str, tuple[str, str, str]]:
    """UID -> (href path, etag, text) of the book's cards, read back with PROPFIND and
    GET; a UID present twice fails the test (a duplicate)."""
    out: dict[str, tuple[str, str, str]] = {}
    for member in dav.propfind(s, book, [dav.GETETAG], depth="1"):
        if member.href.rstrip("/") == book.rstrip("/"):
            continue
        r = s.get(member.raw_href)
        assert r.status_code == 200, (member.href, r.status_code, r.text[:300])
        text = r.content.decode("utf-8")
        etag = r.headers.get("ETag")
        assert etag and etag == member.etag, (member.href, etag, member.etag)
        uid = cards.uid_of(text)
        assert uid not in out, f"duplicate UID {uid} on the server: {out[uid][0]}, {member.href}"
        out[uid] = (member.href, etag, text)
    return out


def lf(text: str) -> str:
    return text.replace("\r\n", "\n")


def assert_in_step(
    server: DavServer, vd: Vdirsyncer, expected: dict[str, str], step: str
) -> dict[str, tuple[str, str, str]]:
    """Folder, server and the expected set hold the same UIDs with the same cards."""
    local = vd.files()
    remote = server_cards(server.session(USER), BOOK)
    want = set(expected)
    assert set(local) == want, (
        f"{step}: local folder differs: missing {sorted(want - set(local))[:10]}, "
        f"unexpected {sorted(set(local) - want)[:10]}"
    )
    assert set(remote) == want, (
        f"{step}: server differs: missing {sorted(want - set(remote))[:10]}, "
        f"unexpected {sorted(set(remote) - want)[:10]}"
    )
    for uid, text in expected.items():
        local_text = local[uid].read_text(encoding="utf-8")
        remote_text = remote[uid][2]
        want_card = cards.canonical(text)
        assert cards.canonical(local_text) == want_card, f"{step}: local card {uid} differs"
        assert cards.canonical(remote_text) == want_card, f"{step}: server card {uid} differs"
        if isinstance(server, ContacthubServer):
            # contacthub keeps the bytes a client sent (Radicale's own storage re-serialises
            # them); the XML of a multiget may only turn CRLF into LF on the way to the folder.
            assert remote_text == text, f"{step}: server changed the bytes of {uid}"
            assert lf(local_text) == lf(text), f"{step}: local bytes of {uid} differ"
    return remote


def keep_groups_as_categories(s: DavSession) -> None:
    """A folder of vCards keeps groups as categories, as vdirsyncer's users do: the book's
    group form says so, and the cards' categories make no group cards that would arrive
    in the folder as new contacts (the bridge: tests/e2e/test_groups_both_ways.py)."""
    dav.propfind(s, BOOK)  # the first request makes the book
    body = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:contacthub">'
        "<D:set><D:prop><C:group-form>categories</C:group-form></D:prop></D:set>"
        "</D:propertyupdate>"
    )
    r = s.request(
        "PROPPATCH", BOOK, data=body, headers={"Content-Type": "application/xml; charset=utf-8"}
    )
    assert r.status_code == 207, (r.status_code, r.text[:300])


def test_vdirsyncer_two_way_sync(server: DavServer, tmp_path: Path) -> None:
    s = server.session(USER)
    keep_groups_as_categories(s)
    book = server.url + BOOK
    vd = Vdirsyncer(tmp_path / "vdirsyncer", book, server.users[USER])

    expected: dict[str, str] = {}
    for index in range(INITIAL):
        text = cards.make_card(index, seed=SEED)
        uid = cards.uid_of(text)
        expected[uid] = text
        vd.write(f"card-{index:04d}.vcf", text)
    assert len(expected) == INITIAL

    # 1. Discover the book, then upload the whole folder.
    vd.run("discover")
    out = vd.sync()
    assert out.count("Copying (uploading)") == INITIAL, out[-2000:]
    remote = assert_in_step(server, vd, expected, "initial upload")

    # 2. Changes made on the server: 20 edits, 10 deletions, 5 additions.
    uids = sorted(expected)
    edited_on_server = uids[0:20]
    deleted_on_server = uids[20:30]
    for number, uid in enumerate(edited_on_server):
        path, etag, _ = remote[uid]
        text = cards.make_card(1000 + number, seed=SEED, revision=1, uid=uid)
        r = s.put(
            urljoin(book, path),
            data=text.encode("utf-8"),
            headers={"Content-Type": "text/vcard; charset=utf-8", "If-Match": etag},
        )
        assert r.status_code in (200, 201, 204), (uid, r.status_code, r.text[:300])
        expected[uid] = text
    for uid in deleted_on_server:
        path, etag, _ = remote[uid]
        r = s.delete(urljoin(book, path), headers={"If-Match": etag})
        assert r.status_code in (200, 204), (uid, r.status_code, r.text[:300])
        del expected[uid]
    for number in range(5):
        text = cards.make_card(2000 + number, seed=SEED)
        r = s.put(
            urljoin(book, f"server-added-{number}.vcf"),
            data=text.encode("utf-8"),
            headers={"Content-Type": "text/vcard; charset=utf-8", "If-None-Match": "*"},
        )
        assert r.status_code == 201, (r.status_code, r.text[:300])
        expected[cards.uid_of(text)] = text

    out = vd.sync()
    assert out.count("Copying (updating)") == 20, out[-3000:]
    assert out.count("Deleting item") == 10, out[-3000:]
    assert out.count("Copying (uploading)") == 5, out[-3000:]
    remote = assert_in_step(server, vd, expected, "server changes pulled")

    # 3. Changes made in the folder: 20 edits, 15 additions, 10 deletions.
    local = vd.files()
    uids = sorted(expected)
    edited_locally = uids[40:60]
    deleted_locally = uids[60:70]
    for number, uid in enumerate(edited_locally):
        text = cards.make_card(3000 + number, seed=SEED, revision=2, uid=uid)
        vd.write(local[uid].name, text)
        expected[uid] = text
    for uid in deleted_locally:
        local[uid].unlink()
        del expected[uid]
    for number in range(15):
        text = cards.make_card(4000 + number, seed=SEED)
        vd.write(f"local-added-{number:02d}.vcf", text)
        expected[cards.uid_of(text)] = text

    out = vd.sync()
    assert out.count("Copying (updating)") == 20, out[-3000:]
    assert out.count("Deleting item") == 10, out[-3000:]
    assert out.count("Copying (uploading)") == 15, out[-3000:]
    remote = assert_in_step(server, vd, expected, "local changes pushed")
    assert len(remote) == INITIAL - 10 + 5 - 10 + 15

    # 4. Nothing changed: a sync does nothing, and nothing moves on either side.
    before = {uid: (path, etag) for uid, (path, etag, _) in remote.items()}
    out = vd.sync()
    for verb in ("Copying", "Deleting"):
        assert verb not in out, f"a sync without changes still did work:\n{out[-3000:]}"
    remote = assert_in_step(server, vd, expected, "idle sync")
    assert {uid: (path, etag) for uid, (path, etag, _) in remote.items()} == before


BIG_BOOK = 12_000


def test_vdirsyncer_first_sync_of_a_book_of_12000_cards(
    contacthub_factory: Callable[..., DavServer], tmp_path: Path
) -> None:
    """vdirsyncer asks for every card of a first sync in one multiget; a book past the
    XML body's 10,000 elements must still come down whole."""
    server = contacthub_factory(backend="sqlite")
    assert isinstance(server, ContacthubServer)
    server.session(USER).request("PROPFIND", BOOK, headers={"Depth": "0"})  # makes the book
    texts = {f"big-{index:05d}.vcf": cards.make_card(index, seed=SEED) for index in range(BIG_BOOK)}
    store = Store.open(server.store_url or f"sqlite:///{server.data_dir / 'contacthub.db'}")
    try:
        with store.write() as tx:
            book = tx.require_collection(BOOK.strip("/"))
            tx.add_items(book, [(href, item_data(text)) for href, text in texts.items()])
    finally:
        store.close()
    vd = Vdirsyncer(tmp_path / "vdirsyncer", server.url + BOOK, server.users[USER])
    vd.run("discover")
    out = vd.sync()
    assert out.count("Copying (uploading)") == BIG_BOOK, out[-2000:]
    local = vd.files()
    assert {uid: lf(path.read_text(encoding="utf-8")) for uid, path in local.items()} == {
        cards.uid_of(text): lf(text) for text in texts.values()
    }


SCRIPT_UIDS = ("град", "Ελλάδα", "王小明", "محمد", "😀 smile", "ann smith@example.org")


def test_vdirsyncer_syncs_cards_named_in_any_script(server: DavServer, tmp_path: Path) -> None:
    """Cards another client named after UIDs in several scripts (as Evolution does) come
    down to vdirsyncer, and its edits and deletions go back to those very names."""
    s = server.session(USER)
    keep_groups_as_categories(s)
    expected: dict[str, str] = {}
    for index, uid in enumerate(SCRIPT_UIDS):
        text = cards.make_card(index, seed=SEED, uid=uid)
        dav.create_card(s, BOOK + quote(f"{uid}.vcf"), text)
        expected[uid] = text
    vd = Vdirsyncer(tmp_path / "vdirsyncer", server.url + BOOK, server.users[USER])
    vd.run("discover")
    out = vd.sync()
    assert out.count("Copying (uploading)") == len(SCRIPT_UIDS), out[-2000:]
    assert_in_step(server, vd, expected, "cards named in scripts pulled")

    local = vd.files()
    for number, uid in enumerate(SCRIPT_UIDS[:3]):
        text = cards.make_card(500 + number, seed=SEED, revision=1, uid=uid)
        vd.write(local[uid].name, text)
        expected[uid] = text
    local[SCRIPT_UIDS[3]].unlink()
    del expected[SCRIPT_UIDS[3]]
    out = vd.sync()
    assert out.count("Copying (updating)") == 3, out[-2000:]
    assert out.count("Deleting item") == 1, out[-2000:]
    remote = assert_in_step(server, vd, expected, "local edits pushed")
    assert {path for path, _, _ in remote.values()} == {f"{BOOK}{uid}.vcf" for uid in expected}, (
        "vdirsyncer's writes went to other names"
    )

    uid = SCRIPT_UIDS[4]
    text = cards.make_card(600, seed=SEED, revision=2, uid=uid)
    dav.put_vcard(s, BOOK + quote(f"{uid}.vcf"), text, if_match=remote[uid][1])
    expected[uid] = text
    assert s.delete(BOOK + quote(f"{SCRIPT_UIDS[5]}.vcf")).status_code in (200, 204)
    del expected[SCRIPT_UIDS[5]]
    out = vd.sync()
    assert out.count("Copying (updating)") == 1, out[-2000:]
    assert out.count("Deleting item") == 1, out[-2000:]
    assert_in_step(server, vd, expected, "server edits pulled")
    out = vd.sync()
    assert "Copying" not in out and "Deleting" not in out, out[-2000:]
