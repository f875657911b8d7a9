"""A contact moved out of a source's book (Thunderbird and macOS MOVE it into "Contacts")
is the person's from then on: the source's next runs neither bring it back into the
source's book nor delete the moved card, whatever its row does (changed, kept, gone).

A CSV import over the API of a real `contacthub serve`, the MOVE over CardDAV, SQLite and
PostgreSQL. Every source goes through the same reconciler (reconcile/plan.py), so this
holds for "From Exchange", "From iOS" and the IMAP books alike.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from tests.api import spec
from tests.support import dav
from tests.support.servers import DavSession

pytestmark = pytest.mark.contacthub_only

HEADER = "Id,Name,Email,Phone\r\n"
ROWS = {
    "1": "1,Ann Archer,ann@example.org,+1 555 0101\r\n",
    "2": "2,Bob Baker,bob@example.org,+1 555 0102\r\n",
    "3": "3,Cid Carter,cid@example.org,+1 555 0103\r\n",
    "4": "4,Dee Dunn,dee@example.org,+1 555 0104\r\n",
    "5": "5,Eve Ernst,eve@example.org,+1 555 0105\r\n",
}
BOB_CHANGED = "2,Bob Baker,bob@new.example,+1 555 0199\r\n"
CONTACTS = "/alice/contacts/"


def call(session: DavSession, method: str, path: str, **kwargs: Any) -> requests.Response:
    response = session.request(method, path, **kwargs)
    spec.check(method, path, response.status_code, response.headers, response.content)
    return response


def csv_file(*rows: str) -> dict[str, Any]:
    return {"file": ("people.csv", (HEADER + "".join(rows)).encode(), "text/csv")}


def run(session: DavSession, import_id: int) -> dict[str, Any]:
    report: dict[str, Any] = call(session, "POST", f"/api/v1/imports/{import_id}/run").json()
    assert report["status"] in ("ok", "no_changes"), report
    counts: dict[str, Any] = report["counts"]
    return counts


def cards_by_name(session: DavSession, book: str) -> dict[str, str]:
    """FN -> href of the book's cards."""
    hrefs = [r.href for r in dav.propfind(session, book, [dav.GETETAG], depth="1")]
    found = {}
    for item in dav.multiget(session, book, [h for h in hrefs if h != book]):
        text = item.address_data or ""
        name = next(line[3:] for line in text.splitlines() if line.startswith("FN:"))
        found[name] = item.href
    return found


def test_a_card_moved_out_of_a_csv_book_is_neither_brought_back_nor_deleted(
    alice: DavSession,
) -> None:
    created = call(alice, "POST", "/api/v1/imports", data={"name": "People"}, files=csv_file())
    assert created.status_code == 201, created.text
    import_id, book = created.json()["id"], f"/alice/{created.json()['book']}/"
    call(alice, "PUT", f"/api/v1/imports/{import_id}/file", files=csv_file(*ROWS.values()))
    settings = {"key_column": "Id", "update_existing": True, "delete_missing": True}
    assert call(alice, "PATCH", f"/api/v1/imports/{import_id}", json=settings).status_code == 200
    assert run(alice, import_id)["added"] == 5

    bob_href = cards_by_name(alice, book)["Bob Baker"]
    bob_text = alice.get(bob_href).text
    moved = f"{CONTACTS}bob.vcf"
    answer = alice.request("MOVE", bob_href, headers={"Destination": alice.base_url + moved})
    assert answer.status_code == 201, answer.text

    # Bob's row changed, Cid's is gone: Cid's card goes, Bob's moved card stays as it is.
    changed = [ROWS["1"], BOB_CHANGED, ROWS["4"], ROWS["5"]]
    call(alice, "PUT", f"/api/v1/imports/{import_id}/file", files=csv_file(*changed))
    preview = call(alice, "POST", f"/api/v1/imports/{import_id}/dry-run").json()
    bob = [change for change in preview["changes"] if change["key"] == "2"]
    assert [(c["action"], c.get("reason")) for c in bob] == [("skip", "deleted on the server")]
    counts = run(alice, import_id)
    assert (counts["added"], counts["updated"], counts["deleted"]) == (0, 0, 1), counts
    assert set(cards_by_name(alice, book)) == {"Ann Archer", "Dee Dunn", "Eve Ernst"}
    assert alice.get(moved).text == bob_text

    # Bob's row gone too: nothing of the moved card is deleted.
    remaining = [ROWS["1"], ROWS["4"], ROWS["5"]]
    call(alice, "PUT", f"/api/v1/imports/{import_id}/file", files=csv_file(*remaining))
    counts = run(alice, import_id)
    assert (counts["added"], counts["deleted"], counts["unchanged"]) == (0, 0, 3), counts
    assert set(cards_by_name(alice, book)) == {"Ann Archer", "Dee Dunn", "Eve Ernst"}
    assert alice.get(moved).text == bob_text

    # Bob's row back as it first was: still not brought back into the import's book.
    back = [ROWS["1"], ROWS["2"], ROWS["4"], ROWS["5"]]
    call(alice, "PUT", f"/api/v1/imports/{import_id}/file", files=csv_file(*back))
    counts = run(alice, import_id)
    assert (counts["added"], counts["skipped"], counts["deleted"]) == (0, 1, 0), counts
    assert set(cards_by_name(alice, book)) == {"Ann Archer", "Dee Dunn", "Eve Ernst"}
    assert cards_by_name(alice, CONTACTS)["Bob Baker"] == moved
    assert alice.get(moved).text == bob_text
