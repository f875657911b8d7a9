"""Every door of a real `contacthub serve` names who wrote a card and through what: the
versions of CardDAV writes keep the account and the client's User-Agent, those of the
API say so. SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from contacthub.store import Store
from tests.conftest import StartContacthub
from tests.support import dav
from tests.support.servers import ContacthubServer
from tests.support.vcards import make_card

BOOK = "/alice/contacts/"
DAVX5 = "DAVx5/4.4.2-ose (2024/05/01; dav4jvm; okhttp/4.12.0) Android/14"


def _store_of(server: ContacthubServer) -> Store:
    url = server.store_url or f"sqlite:///{Path(server.data_dir) / 'contacthub.db'}"
    return Store.open(url, upgrade=False)


@pytest.mark.contacthub_only
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_each_write_keeps_its_account_and_door(
    contacthub_factory: StartContacthub, backend: str
) -> None:
    server = contacthub_factory(backend)
    assert isinstance(server, ContacthubServer)
    phone = server.session("alice")
    phone.headers["User-Agent"] = DAVX5
    etag = dav.create_card(phone, f"{BOOK}ann.vcf", make_card("ann", "Ann"))
    updated = dav.put_vcard(phone, f"{BOOK}ann.vcf", make_card("ann", "Ann Lee"), if_match=etag)
    assert updated.status_code == 204, updated.text
    assert phone.delete(f"{BOOK}ann.vcf").status_code in (200, 204)

    api = server.session("alice")
    created = api.post(
        "/api/v1/books/contacts/contacts",
        data=make_card("bob", "Bob").encode(),
        headers={"Content-Type": "text/vcard"},
    )
    assert created.status_code == 201, created.text
    href = created.json()["id"]
    replaced = api.put(
        f"/api/v1/books/contacts/contacts/{href}",
        data=make_card("bob", "Bob Lee").encode(),
        headers={"Content-Type": "text/vcard", "If-Match": created.headers["ETag"]},
    )
    assert replaced.status_code == 200, replaced.text
    assert api.delete(f"/api/v1/books/contacts/contacts/{href}").status_code == 204

    store = _store_of(server)
    try:
        with store.read() as tx:
            written = tx.versions_after(tx.require_collection("alice/contacts").id, 0)
    finally:
        store.close()
    assert [(v.uid, v.action, v.account, v.via, v.agent) for v in written] == [
        ("ann", "add", "alice", "carddav", DAVX5),
        ("ann", "update", "alice", "carddav", DAVX5),
        ("ann", "delete", "alice", "carddav", DAVX5),
        ("bob", "add", "alice", "api", ""),
        ("bob", "update", "alice", "api", ""),
        ("bob", "delete", "alice", "api", ""),
    ]
