"""`radicale --verify-storage` over contacthub's store (the plugin's `Storage.verify`), the
store a real `contacthub serve` writes, SQLite and PostgreSQL: every card written through
CardDAV (PUT, MOVE, a whole-book PUT) passes; a card whose text no longer matches its
ETag, or no longer parses, fails the check, named with its book in the log.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, update

from contacthub.store import etag_of
from contacthub.store.schema import collections, items
from tests.support import dav
from tests.support.servers import ContacthubServer, DavSession
from tests.support.vcards import apple_person_card, make_card

pytestmark = pytest.mark.contacthub_only


def store_url(server: ContacthubServer) -> str:
    return server.store_url or f"sqlite:///{server.data_dir / 'contacthub.db'}"


def verify(server: ContacthubServer, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """A stock `radicale --verify-storage` with the plugin on the server's store."""
    conf = tmp_path / "radicale.conf"
    conf.write_text(f"[storage]\ntype = contacthub_radicale\nurl = {store_url(server)}\n")
    return subprocess.run(
        [sys.executable, "-m", "radicale", "--config", str(conf), "--verify-storage"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def overwrite(server: ContacthubServer, card: str, text: str, etag: str) -> tuple[str, str]:
    """Change a stored card (its path) behind the server's back, as a disk or a hand gone
    wrong would; the text and ETag it had."""
    book, _, href = card.strip("/").rpartition("/")
    book_id = select(collections.c.id).where(collections.c.path == book).scalar_subquery()
    row = (items.c.collection_id == book_id) & (items.c.href == href)
    engine = create_engine(store_url(server))
    try:
        with engine.begin() as conn:
            before = conn.execute(select(items.c.text, items.c.etag).where(row)).one()
            conn.execute(update(items).where(row).values(text=text, etag=etag))
    finally:
        engine.dispose()
    return before.text, before.etag


def fill(alice: DavSession) -> tuple[str, str]:
    """Cards written every way CardDAV writes them, in two new books; their paths."""
    one, two = (f"/alice/verify-{uuid.uuid4().hex[:12]}/" for _ in range(2))
    dav.mkcol_addressbook(alice, one, "One")
    dav.mkcol_addressbook(alice, two, "Two")
    body = make_card(str(uuid.uuid4()), "Bob") + make_card(str(uuid.uuid4()), "Cid")
    put = alice.put(two, data=body.encode(), headers={"Content-Type": dav.VCARD_TYPE})
    assert put.status_code == 201, put.text
    dav.create_card(alice, f"{one}zoe.vcf", apple_person_card())
    dav.create_card(alice, f"{one}ann.vcf", make_card(str(uuid.uuid4()), "Ann", tels=["+1 555"]))
    moved = alice.request(
        "MOVE", f"{one}ann.vcf", headers={"Destination": alice.base_url + f"{two}ann.vcf"}
    )
    assert moved.status_code == 201, moved.text
    return one, two


def test_the_store_a_server_wrote_verifies(
    contacthub_server: ContacthubServer, alice: DavSession, tmp_path: Path
) -> None:
    fill(alice)
    checked = verify(contacthub_server, tmp_path)
    assert checked.returncode == 0, checked.stderr
    assert "Verifying storage" in checked.stderr and "Invalid item" not in checked.stderr


def test_a_card_that_no_longer_matches_its_etag_or_parses_fails_the_check(
    contacthub_server: ContacthubServer, alice: DavSession, tmp_path: Path
) -> None:
    one, two = fill(alice)
    unparsable = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ann\r\n"  # its END line lost
    ann = overwrite(contacthub_server, f"{two}ann.vcf", unparsable, etag_of(unparsable))
    etag = alice.get(f"{one}zoe.vcf").headers["ETag"].strip('"')
    zoe = overwrite(contacthub_server, f"{one}zoe.vcf", apple_person_card() + "\r\n", etag)
    try:
        checked = verify(contacthub_server, tmp_path)
    finally:  # the module's server goes on with a sound store
        overwrite(contacthub_server, f"{two}ann.vcf", *ann)
        overwrite(contacthub_server, f"{one}zoe.vcf", *zoe)

    assert checked.returncode == 1, checked.stderr
    assert f"Invalid item 'ann.vcf' in '{two.strip('/')}': does not parse" in checked.stderr
    assert (
        f"Invalid item 'zoe.vcf' in '{one.strip('/')}': its ETag does not match its text"
        in checked.stderr
    )
    assert "Storage verification failed" in checked.stderr
    assert verify(contacthub_server, tmp_path).returncode == 0
