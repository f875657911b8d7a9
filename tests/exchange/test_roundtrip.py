"""vCard → Exchange contact (CreateItem) → pulled back (SyncFolderItems + GetItem) → vCard."""

from __future__ import annotations

from typing import Any

import vobject
from exchangelib import Account

from contacthub.sources.exchange.client import pull, push_create, uid_for
from tests.support.ews_server import EwsServer

CARD = "\r\n".join(
    [
        "BEGIN:VCARD",
        "VERSION:3.0",
        "UID:roundtrip-1",
        "FN:Zoë Marie Lee-Smith",
        "N:Lee-Smith;Zoë;Marie;;",
        "EMAIL;TYPE=INTERNET,WORK,PREF:zoe@work.example",
        "EMAIL;TYPE=INTERNET,HOME:zoe@home.example",
        "EMAIL;TYPE=INTERNET:zoe.lee@other.example",
        "TEL;TYPE=CELL:+1 555 0100",
        "TEL;TYPE=WORK,VOICE:+1 555 0101",
        "TEL;TYPE=WORK,VOICE:+1 555 0106",
        "TEL;TYPE=HOME,VOICE:+1 555 0102",
        "TEL;TYPE=WORK,FAX:+1 555 0103",
        "TEL;TYPE=HOME,FAX:+1 555 0107",
        "TEL;TYPE=PAGER:+1 555 0104",
        "TEL;TYPE=VOICE:+1 555 0105",
        "ADR;TYPE=WORK:;;1 Main Street\\nFloor 3;Springfield;IL;62701;USA",
        "ADR;TYPE=HOME:;;22 Elm Road;Shelbyville;IL;62565;USA",
        "ADR:;;7 Harbour Lane;Capital City;IL;62000;USA",
        "ORG:Acme\\, Inc.;Research",
        "TITLE:Chief Tester",
        "BDAY:1980-05-17",
        "NOTE:Met at the conference.\\nLikes tea\\; not coffee.",
        "CATEGORIES:Friends,Work\\, mostly",
        "END:VCARD",
        "",
    ]
)


def _tels(card: Any) -> list[tuple[str, frozenset[str]]]:
    return sorted(
        (t.value, frozenset(v.upper() for v in t.params.get("TYPE", [])))
        for t in card.contents["tel"]
    )


def _adrs(card: Any) -> list[tuple[str, tuple[str, ...]]]:
    return sorted(
        (
            ",".join(a.params.get("TYPE", [])),
            (a.value.street, a.value.city, a.value.region, a.value.code, a.value.country),
        )
        for a in card.contents["adr"]
    )


def test_every_mapped_field_survives_the_round_trip(account: Account, ews: EwsServer) -> None:
    item_id, changekey = push_create(account, CARD)

    # The contact in Exchange holds the fields under their Exchange names.
    assert ews.mailbox.text(item_id, "GivenName") == "Zoë"
    assert ews.mailbox.text(item_id, "Surname") == "Lee-Smith"
    assert ews.mailbox.text(item_id, "CompanyName") == "Acme, Inc."
    assert ews.mailbox.text(item_id, "Department") == "Research"
    assert ews.mailbox.text(item_id, "FileAs") == "Lee-Smith, Zoë"

    pulled, _ = pull(account, None)
    assert [(p.item_id, p.changekey) for p in pulled] == [(item_id, changekey)]
    before = vobject.readOne(CARD)
    after = vobject.readOne(pulled[0].card)

    assert after.uid.value == uid_for(item_id)
    assert after.fn.value == before.fn.value
    assert (after.n.value.family, after.n.value.given, after.n.value.additional) == (
        "Lee-Smith",
        "Zoë",
        "Marie",
    )
    # Exchange keeps addresses in three slots without HOME/WORK types; the PREF one is first.
    assert [e.value for e in after.contents["email"]] == [e.value for e in before.contents["email"]]
    assert _tels(after) == _tels(before)
    assert _adrs(after) == _adrs(before)
    assert after.adr.value.street == "1 Main Street\nFloor 3"
    assert after.org.value == ["Acme, Inc.", "Research"]
    assert after.title.value == "Chief Tester"
    assert after.bday.value == "1980-05-17"
    assert after.note.value == "Met at the conference.\nLikes tea; not coffee."
    assert after.categories.value == ["Friends", "Work, mostly"]


def test_the_pulled_card_keeps_every_field_through_a_second_round(account: Account) -> None:
    push_create(account, CARD)
    first = pull(account, None)[0][0].card
    push_create(account, first)
    pulled, _ = pull(account, None)
    cards = {p.card.replace(f"UID:{uid_for(p.item_id)}", "UID:x") for p in pulled}
    assert len(cards) == 1  # the card of the copy is the card of the original


def test_a_year_less_birthday_and_an_empty_contact_come_back(account: Account) -> None:
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:b\r\nFN:Bo\r\nBDAY:--02-29\r\nEND:VCARD\r\n"
    push_create(account, card)
    after = vobject.readOne(pull(account, None)[0][0].card)
    assert after.fn.value == "Bo"
    assert after.bday.value == "--02-29"
    assert "email" not in after.contents and "tel" not in after.contents
