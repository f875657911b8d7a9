"""After a merge through `contacthub serve`'s API, a CardDAV client's sync-collection of
each book reports the removed card deleted and the merged card changed (its new ETag and
text); after the undo, the removed card is back. Both stores."""

from __future__ import annotations

import uuid

import pytest

from tests.support import dav
from tests.support.servers import DavSession
from tests.support.vcards import make_card

pytestmark = pytest.mark.contacthub_only


def _book(alice: DavSession, name: str) -> str:
    path = f"/alice/{name}-{uuid.uuid4().hex[:8]}/"
    dav.mkcol_addressbook(alice, path, name)
    return path


def test_sync_collection_after_a_merge_and_its_undo(alice: DavSession) -> None:
    work, home = _book(alice, "work"), _book(alice, "home")
    dav.create_card(alice, work + "jane.vcf", make_card("w-jane", "Jane Doe"))
    dav.create_card(alice, home + "jane.vcf", make_card("h-jane", "Jane D."))
    tokens = {book: dav.sync_collection(alice, book, None).sync_token for book in (work, home)}

    merged = alice.post(
        "/api/v1/merges",
        json={
            "contacts": [
                {"book": work.strip("/").split("/")[1], "href": "jane.vcf"},
                {"book": home.strip("/").split("/")[1], "href": "jane.vcf"},
            ],
            "into": work.strip("/").split("/")[1],
        },
    )
    assert merged.status_code == 201, merged.text

    in_work = dav.sync_collection(alice, work, tokens[work])
    in_home = dav.sync_collection(alice, home, tokens[home])
    assert in_work.hrefs() == [work + "jane.vcf"]
    changed = in_work.by_href()[work + "jane.vcf"]
    assert changed.etag == alice.get(work + "jane.vcf").headers["ETag"]
    assert in_home.hrefs() == [home + "jane.vcf"]
    assert in_home.by_href()[home + "jane.vcf"].status == 404
    assert alice.get(home + "jane.vcf").status_code == 404

    undone = alice.post(f"/api/v1/merges/{merged.json()['id']}/undo")
    assert undone.status_code == 200, undone.text
    back = dav.sync_collection(alice, home, in_home.sync_token)
    assert back.hrefs() == [home + "jane.vcf"] and back.by_href()[home + "jane.vcf"].etag
    assert "FN:Jane D." in alice.get(home + "jane.vcf").text
