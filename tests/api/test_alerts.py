"""Alerts through the API: a CardDAV client deleted much of a book; listed, restored
(exactly the contacts of the episode come back), dismissed, and nobody else's."""

from __future__ import annotations

from contacthub.carddav.mass_delete import check_deletions
from contacthub.config import MassDeletePolicy
from contacthub.store import Actor, Store
from contacthub.vcard.parse import item_data
from contacthub_radicale.context import Deletion
from tests.api.conftest import ApiClient, vcard

LIST = "/api/v1/alerts"
BOOK = "alice/contacts"
PHONE = Actor("alice", "carddav", "DAVx5/4.4.2-ose (2024/05/01; dav4jvm; okhttp/4.12.0)")


def phone_deletes_the_book(store: Store, count: int = 24) -> dict[str, str]:
    """alice's default book gets `count` cards, which her phone then deletes; the cards."""
    cards = {f"p{index}.vcf": vcard(f"p{index}", f"Person {index}") for index in range(count)}
    with store.write(actor=Actor("alice", "api")) as tx:
        book = tx.ensure_default_book("alice")
    for href, text in cards.items():
        with store.write([BOOK], actor=PHONE) as tx:
            tx.put_item(book, href, item_data(text))
    for href in cards:
        with store.write([BOOK], actor=PHONE) as tx:
            tx.delete_item(book, href)
        check_deletions(store, MassDeletePolicy(), Deletion("alice", BOOK, PHONE.agent))
    return cards


def alert_ids(api: ApiClient, query: str = "", **kwargs: object) -> list[int]:
    answer = api.get(LIST + query, **kwargs)  # type: ignore[arg-type]
    assert answer.status_code == 200, answer.get_json()
    return [alert["id"] for alert in answer.get_json()["alerts"]]


def test_an_alert_is_listed_and_restoring_it_brings_the_contacts_back(
    api: ApiClient, store: Store
) -> None:
    cards = phone_deletes_the_book(store)
    [listed] = api.get(LIST).get_json()["alerts"]
    assert {
        key: listed[key] for key in ("state", "book", "book_name", "account", "client", "deleted")
    } == {
        "state": "open",
        "book": "contacts",
        "book_name": "Contacts",
        "account": "alice",
        "client": PHONE.agent,
        "deleted": 24,
    }
    assert listed["book_size"] == 24 and listed["restore_run_id"] is None
    assert api.get(f"{LIST}/{listed['id']}").get_json() == listed
    assert api.get("/api/v1/books/contacts/contacts").get_json()["total"] == 0

    restored = api.post(f"{LIST}/{listed['id']}/restore")

    assert restored.status_code == 200, restored.get_json()
    shown = restored.get_json()
    assert (shown["state"], shown["restored"]) == ("restored", 24)
    assert isinstance(shown["restore_run_id"], int) and shown["resolved_at"]
    for href, text in cards.items():
        got = api.get(f"/api/v1/books/contacts/contacts/{href}").get_json()
        assert got["vcard"] == text
    again = api.post(f"{LIST}/{listed['id']}/restore")
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_restored"
    assert api.post(f"{LIST}/{listed['id']}/dismiss").status_code == 409
    assert alert_ids(api, "?state=open") == []
    assert alert_ids(api, "?state=restored") == [listed["id"]]


def test_an_alert_is_dismissed_and_only_its_owner_sees_it(api: ApiClient, store: Store) -> None:
    phone_deletes_the_book(store)
    [alert_id] = alert_ids(api, "?state=open")
    assert alert_ids(api, user="bob") == []
    for path in (f"{LIST}/{alert_id}", f"{LIST}/{alert_id}/dismiss", f"{LIST}/{alert_id}/restore"):
        method = api.get if path.endswith(str(alert_id)) else api.post
        assert method(path, user="bob").status_code == 404
    assert api.get(f"{LIST}/99999999999").status_code == 404
    # An administrator acts for alice.
    assert alert_ids(api, "?user=alice", user="carol") == [alert_id]

    dismissed = api.post(f"{LIST}/{alert_id}/dismiss")

    assert dismissed.status_code == 200 and dismissed.get_json()["state"] == "dismissed"
    assert alert_ids(api, "?state=open") == [] and alert_ids(api) == [alert_id]
    assert api.get("/api/v1/books/contacts/contacts").get_json()["total"] == 0
    refused = api.get(LIST + "?state=closed", bad_request=True)
    assert refused.status_code == 400 and refused.get_json()["error"]["field"] == "state"
