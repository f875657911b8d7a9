"""How CardDAV shows a device the books, set on its app password through the API: made
with it, changed with PATCH, checked, and only on the caller's own app passwords."""

from __future__ import annotations

from tests.api.conftest import ApiClient
from tests.api.test_app_passwords import LIST, create, wait_for_last_use

MAC = "macOS/14.2 (23C64) AddressBookCore/2487.300.5"


def test_an_app_password_is_as_recognised_until_set_otherwise(api: ApiClient) -> None:
    create(api, "iPhone")
    shown = api.get(f"{LIST}/iPhone").get_json()
    assert shown["books"] == "as-recognised" and shown["last_user_agent"] is None

    made = api.post(LIST, json={"name": "Mac", "books": "one-book"})
    assert made.status_code == 201 and made.get_json()["books"] == "one-book"
    assert api.get(f"{LIST}/Mac").get_json()["books"] == "one-book"

    for value in ("apart", "as-recognised", "one-book"):
        changed = api.patch(f"{LIST}/iPhone", json={"books": value})
        assert changed.status_code == 200 and changed.get_json()["books"] == value
        assert api.get(f"{LIST}/iPhone").get_json()["books"] == value
    unchanged = api.patch(f"{LIST}/iPhone", json={})
    assert unchanged.status_code == 200 and unchanged.get_json()["books"] == "one-book"
    listed = {p["name"]: p["books"] for p in api.get(LIST).get_json()["app_passwords"]}
    assert listed == {"iPhone": "one-book", "Mac": "one-book"}


def test_a_value_that_is_no_choice_is_refused_naming_the_field(api: ApiClient) -> None:
    create(api, "iPhone")
    for request in (
        lambda value: api.patch(f"{LIST}/iPhone", json={"books": value}, bad_request=True),
        lambda value: api.post(LIST, json={"name": "Mac", "books": value}, bad_request=True),
    ):
        for value in ("one", "ONE-BOOK", None, True, ["apart"]):
            refused = request(value)
            assert refused.status_code == 422, value
            error = refused.get_json()["error"]
            assert error["field"] == "books", error
            assert error["message"] == (
                'The books of a device are "as-recognised", "one-book" or "apart".'
            )
    unknown = api.patch(f"{LIST}/iPhone", json={"name": "Other"}, bad_request=True)
    assert unknown.status_code == 422 and unknown.get_json()["error"]["field"] == "name"
    assert api.get(f"{LIST}/iPhone").get_json()["books"] == "as-recognised"
    assert [p["name"] for p in api.get(LIST).get_json()["app_passwords"]] == ["iPhone"]


def test_another_users_app_password_is_not_found(api: ApiClient) -> None:
    create(api, "iPhone")
    refused = api.patch(f"{LIST}/iPhone", user="bob", json={"books": "apart"})
    assert refused.status_code == 404
    forbidden = api.patch(f"{LIST}/iPhone?user=alice", user="bob", json={"books": "apart"})
    assert forbidden.status_code == 403 and forbidden.get_json()["error"]["field"] == "user"
    assert api.get(f"{LIST}/iPhone").get_json()["books"] == "as-recognised"
    # carol, an administrator, may change it for alice.
    changed = api.patch(f"{LIST}/iPhone?user=alice", user="carol", json={"books": "apart"})
    assert changed.status_code == 200
    assert api.get(f"{LIST}/iPhone").get_json()["books"] == "apart"


def test_an_app_password_cannot_change_its_own_books(api: ApiClient) -> None:
    secret = create(api, "iPhone")
    refused = api.patch(f"{LIST}/iPhone", password=secret, json={"books": "one-book"})
    assert refused.status_code == 403
    assert api.get(f"{LIST}/iPhone").get_json()["books"] == "as-recognised"


def test_the_user_agent_of_the_last_use_is_shown(api: ApiClient) -> None:
    secret = create(api, "Mac")
    used = api.get("/api/v1/books", password=secret, headers={"User-Agent": MAC})
    assert used.status_code == 200
    assert wait_for_last_use(api, "Mac") is not None
    assert api.get(f"{LIST}/Mac").get_json()["last_user_agent"] == MAC
