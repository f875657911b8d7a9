"""/api/v1/duplicates and /api/v1/account/settings over SQLite and PostgreSQL: the groups
lane by lane with their reasons, one group, dismissing, the settings; another user's
group is 404."""

from __future__ import annotations

from contacthub.store import Store
from tests.api.conftest import ApiClient
from tests.duplicates.people import NAMESAKE, PEOPLE, write_people


def _set_region(api: ApiClient) -> None:
    answer = api.patch("/api/v1/account/settings", json={"phone_region": "ee"})
    assert answer.status_code == 200
    assert answer.get_json() == {
        "phone_region": "EE",
        "match_similar_names": False,
        "auto_merge": False,
    }


def test_the_groups_lane_by_lane_with_reasons(api: ApiClient, store: Store) -> None:
    write_people(store)
    _set_region(api)
    groups = api.get("/api/v1/duplicates").get_json()["groups"]
    assert [g["lane"] for g in groups] == ["safe"] * len(PEOPLE) + ["contact"]
    jane = next(g for g in groups if any(c["fn"] == "Jane Doe" for c in g["contacts"]))
    assert sorted(c["book"] for c in jane["contacts"]) == [
        "from-csv",
        "from-exchange",
        "from-imap",
        "from-ios",
    ]
    assert {"kind": "phone", "value": "+37255551234"} in [
        {"kind": r["kind"], "value": r["value"]} for r in jane["reasons"]
    ]
    safe = api.get("/api/v1/duplicates?lane=safe").get_json()["groups"]
    assert all(NAMESAKE not in {c["fn"] for c in g["contacts"]} for g in safe)
    assert api.get(f"/api/v1/duplicates/{jane['id']}").get_json() == jane


def test_a_dismissed_group_is_gone(api: ApiClient, store: Store) -> None:
    write_people(store)
    _set_region(api)
    (acme,) = api.get("/api/v1/duplicates?lane=contact").get_json()["groups"]
    answer = api.post(f"/api/v1/duplicates/{acme['id']}/dismiss")
    assert answer.status_code == 200 and answer.get_json()["id"] == acme["id"]
    assert api.get("/api/v1/duplicates?lane=contact").get_json()["groups"] == []
    assert api.get(f"/api/v1/duplicates/{acme['id']}").status_code == 404


def test_another_users_group_is_not_found(api: ApiClient, store: Store) -> None:
    write_people(store)
    _set_region(api)
    group = api.get("/api/v1/duplicates").get_json()["groups"][0]
    assert api.get(f"/api/v1/duplicates/{group['id']}", user="bob").status_code == 404
    dismissed = api.post(f"/api/v1/duplicates/{group['id']}/dismiss", user="bob")
    assert dismissed.status_code == 404
    assert api.get("/api/v1/duplicates", user="bob").get_json() == {"groups": []}
    assert api.get(f"/api/v1/duplicates/{group['id']}").status_code == 200


def test_the_settings_refuse_an_unknown_region_and_keep_what_is_left_out(
    api: ApiClient,
) -> None:
    refused = api.patch("/api/v1/account/settings", json={"phone_region": "XX"})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["field"] == "phone_region"
    api.patch("/api/v1/account/settings", json={"match_similar_names": True})
    api.patch("/api/v1/account/settings", json={"auto_merge": True})
    assert api.get("/api/v1/account/settings").get_json() == {
        "phone_region": None,
        "match_similar_names": True,
        "auto_merge": True,
    }
    wrong = api.patch("/api/v1/account/settings", json={"auto_merge": "yes"}, bad_request=True)
    assert wrong.status_code == 422


def test_an_unknown_lane_is_refused(api: ApiClient) -> None:
    answer = api.get("/api/v1/duplicates?lane=maybe", bad_request=True)
    assert answer.status_code == 422
    assert answer.get_json()["error"]["field"] == "lane"


def test_a_group_merged_by_its_id_becomes_one_contact(api: ApiClient, store: Store) -> None:
    write_people(store)
    _set_region(api)
    groups = api.get("/api/v1/duplicates?lane=safe").get_json()["groups"]
    jane = next(g for g in groups if any(c["fn"] == "Jane Doe" for c in g["contacts"]))
    refused = api.post(f"/api/v1/duplicates/{jane['id']}/merge", json={"into": "nowhere"})
    assert refused.status_code == 404
    assert api.post(f"/api/v1/duplicates/{jane['id']}/merge", json={}, user="bob").status_code == (
        404
    )
    answer = api.post(f"/api/v1/duplicates/{jane['id']}/merge", json={})
    assert answer.status_code == 201
    merged = answer.get_json()
    assert merged["state"] == "merged" and merged["merged"]["fn"] == "Jane Doe"
    assert sorted(m["book"] for m in merged["members"]) == sorted(
        c["book"] for c in jane["contacts"]
    )
    # The group is gone, and so are the other lanes' offers of Jane: she is one card now.
    after = api.get("/api/v1/duplicates").get_json()["groups"]
    assert all("Jane Doe" not in {c["fn"] for c in g["contacts"]} for g in after)
    assert api.get(f"/api/v1/duplicates/{jane['id']}").status_code == 404
    undone = api.post(f"/api/v1/merges/{merged['id']}/undo")
    assert undone.status_code == 200
    again = api.get("/api/v1/duplicates?lane=safe").get_json()["groups"]
    assert jane["id"] in [g["id"] for g in again]


def test_a_page_of_the_groups_in_the_listing_order(api: ApiClient, store: Store) -> None:
    write_people(store)
    _set_region(api)
    groups = api.get("/api/v1/duplicates").get_json()["groups"]
    page = api.get("/api/v1/duplicates?limit=3&offset=2").get_json()
    assert page == {"groups": groups[2:5], "total": len(groups), "limit": 3, "offset": 2}
    last = api.get("/api/v1/duplicates?lane=contact&offset=0").get_json()
    assert last == {"groups": groups[-1:], "total": 1, "limit": None, "offset": 0}
    assert api.get("/api/v1/duplicates?limit=0").status_code == 400
