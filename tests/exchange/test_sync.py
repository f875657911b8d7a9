"""Pulling incrementally and pushing with change keys, against the loopback EWS endpoint."""

from __future__ import annotations

import exchangelib
import pytest
import vobject
from exchangelib import Account

from contacthub.sources.exchange.client import (
    ChangeKeyConflict,
    ContactGone,
    ExchangeError,
    SyncStateExpired,
    pull,
    push_create,
    push_update,
)
from tests.support.ews_server import EwsServer


def _card(uid: str, fn: str, *lines: str) -> str:
    given, _, family = fn.partition(" ")
    body = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"UID:{uid}",
        f"FN:{fn}",
        f"N:{family};{given};;;",
        *lines,
        "END:VCARD",
        "",
    ]
    return "\r\n".join(body)


def test_a_second_pull_with_the_stored_state_returns_nothing(account: Account) -> None:
    push_create(account, _card("a", "Ann Lee"))
    push_create(account, _card("b", "Bob Ray"))
    pulled, state = pull(account, None)
    assert len(pulled) == 2

    again, same_state = pull(account, state)
    assert again == []
    assert same_state == state


def test_a_contact_edited_in_exchange_comes_back_as_an_update(
    account: Account, ews: EwsServer
) -> None:
    item_id, changekey = push_create(account, _card("a", "Ann Lee", "TITLE:Clerk"))
    _, state = pull(account, None)

    ews.mailbox.edit(item_id, {"JobTitle": "Manager", "DisplayName": "Ann Lee-Smith"})
    ews.mailbox.set_entry(item_id, "PhoneNumbers", "MobilePhone", "+44 20 7946 0000")

    pulled, new_state = pull(account, state)
    assert [p.item_id for p in pulled] == [item_id]
    assert pulled[0].changekey != changekey
    card = vobject.readOne(pulled[0].card)
    assert card.fn.value == "Ann Lee-Smith"
    assert card.title.value == "Manager"
    assert card.tel.value == "+44 20 7946 0000"
    assert card.tel.params["TYPE"] == ["CELL"]
    assert pull(account, new_state)[0] == []


def test_a_contact_added_in_exchange_comes_back(account: Account, ews: EwsServer) -> None:
    _, state = pull(account, None)
    item_id = ews.mailbox.create(
        {
            "DisplayName": "Cy Young",
            "GivenName": "Cy",
            "Surname": "Young",
            "CompanyName": "Outlook Co",
        }
    )
    pulled, _ = pull(account, state)
    assert [p.item_id for p in pulled] == [item_id]
    card = vobject.readOne(pulled[0].card)
    assert (card.fn.value, card.org.value) == ("Cy Young", ["Outlook Co"])


def test_deletions_in_exchange_are_not_reported_and_none_are_sent(
    account: Account, ews: EwsServer
) -> None:
    item_id, _ = push_create(account, _card("a", "Ann Lee"))
    _, state = pull(account, None)
    ews.mailbox.delete(item_id)

    assert pull(account, state)[0] == []
    assert not {"DeleteItem", "DeleteFolder", "EmptyFolder"} & set(ews.operations())


def test_an_edit_in_the_hub_goes_to_exchange_with_its_change_key(
    account: Account, ews: EwsServer
) -> None:
    card = _card(
        "a",
        "Ann Lee",
        "EMAIL;TYPE=INTERNET:ann@example.org",
        "TITLE:Clerk",
        "TEL;TYPE=CELL:+1 555 0100",
    )
    item_id, changekey = push_create(account, card)
    _, state = pull(account, None)

    edited = _card("a", "Ann Lee", "EMAIL;TYPE=INTERNET:ann@new.example", "NOTE:moved")
    new_key = push_update(account, item_id, changekey, edited)

    assert new_key != changekey
    assert ews.operations()[-1] == "UpdateItem"
    assert ews.mailbox.text(item_id, "JobTitle") is None  # gone from the card, cleared
    pulled, _ = pull(account, state)
    assert [(p.item_id, p.changekey) for p in pulled] == [(item_id, new_key)]
    back = vobject.readOne(pulled[0].card)
    assert back.email.value == "ann@new.example"
    assert back.note.value == "moved"
    assert "title" not in back.contents and "tel" not in back.contents


def test_fields_the_mapping_does_not_cover_stay_as_they_are(
    account: Account, ews: EwsServer
) -> None:
    item_id, changekey = push_create(account, _card("a", "Ann Lee"))
    ews.mailbox.edit(item_id, {"Nickname": "Annie"})
    changekey = pull(account, None)[0][0].changekey

    push_update(account, item_id, changekey, _card("a", "Ann Lee", "TITLE:Boss"))
    assert ews.mailbox.text(item_id, "Nickname") == "Annie"
    assert ews.mailbox.text(item_id, "JobTitle") == "Boss"


def test_a_stale_change_key_raises_a_conflict(account: Account, ews: EwsServer) -> None:
    item_id, changekey = push_create(account, _card("a", "Ann Lee"))
    ews.mailbox.edit(item_id, {"JobTitle": "Edited in Outlook"})

    with pytest.raises(ChangeKeyConflict, match="changed in Exchange since it was last pulled"):
        push_update(account, item_id, changekey, _card("a", "Ann Lee", "TITLE:Hub"))
    assert ews.mailbox.text(item_id, "JobTitle") == "Edited in Outlook"


def test_a_malformed_change_key_raises_a_conflict(account: Account, ews: EwsServer) -> None:
    item_id, _ = push_create(account, _card("a", "Ann Lee"))
    with pytest.raises(ChangeKeyConflict, match="ErrorInvalidChangeKey|change key is invalid"):
        push_update(account, item_id, "bm90IG91cnM=", _card("a", "Ann Lee", "TITLE:Hub"))


def test_updating_a_contact_deleted_in_exchange_says_so(account: Account, ews: EwsServer) -> None:
    item_id, changekey = push_create(account, _card("a", "Ann Lee"))
    ews.mailbox.delete(item_id)
    with pytest.raises(ContactGone, match="no longer in Exchange"):
        push_update(account, item_id, changekey, _card("a", "Ann Lee"))


def test_a_sync_state_exchange_does_not_know_says_to_start_over(account: Account) -> None:
    with pytest.raises(SyncStateExpired, match="pull again without one"):
        pull(account, "bm90IGEgc3luYyBzdGF0ZQ==")


def test_many_changes_are_pulled_page_by_page(account: Account, ews: EwsServer) -> None:
    ids = [ews.mailbox.create({"DisplayName": f"Person {n:03}"}) for n in range(230)]
    pulled, state = pull(account, None)

    assert sorted(p.item_id for p in pulled) == sorted(ids)
    # exchangelib asks for at most 100 changes a time: three SyncFolderItems calls.
    assert ews.operations().count("SyncFolderItems") == 3
    assert pull(account, state)[0] == []


def test_distribution_lists_in_the_folder_are_skipped(account: Account, ews: EwsServer) -> None:
    ews.mailbox.create({"DisplayName": "Team"}, kind="DistributionList")
    item_id = ews.mailbox.create({"DisplayName": "Ann Lee"})
    pulled, _ = pull(account, None)
    assert [p.item_id for p in pulled] == [item_id]


def test_a_pull_when_the_server_is_gone_says_so(account: Account, ews: EwsServer) -> None:
    ews.stop()
    exchangelib.close_connections()  # no kept-alive connection to the stopped server
    with pytest.raises(ExchangeError, match="refused the connection"):
        pull(account, None)
