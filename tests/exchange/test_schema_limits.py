"""Cards with more than an Exchange contact holds, against a double that refuses what Exchange
refuses (tests/support/ews_schema.py): the hub sends what fits instead of being refused."""

from __future__ import annotations

import base64

import requests
import vobject
from exchangelib import Account

from contacthub.sources.exchange.client import pull, push_create
from tests.exchange.conftest import EMAIL, PASSWORD
from tests.support.ews_server import EwsServer

LONG = "x" * 300


def vcard(*lines: str) -> str:
    return "\r\n".join(["BEGIN:VCARD", "VERSION:3.0", "UID:u1", *lines, "END:VCARD", ""])


def test_texts_longer_than_exchange_keeps_are_cut_not_refused(
    account: Account, ews: EwsServer
) -> None:
    item_id, _ = push_create(
        account,
        vcard(f"FN:Ann {LONG}", f"N:{LONG};Ann;;;", f"ORG:{LONG};{LONG}", f"TITLE:{LONG}"),
    )
    for name in ("DisplayName", "Surname", "CompanyName", "Department", "JobTitle"):
        assert len(ews.mailbox.text(item_id, name) or "") == 255, name


def test_more_emails_and_phones_than_slots_send_what_fits(account: Account, ews: EwsServer) -> None:
    emails = [f"EMAIL;TYPE=INTERNET:a{n}@example.org" for n in range(5)]
    phones = [
        f"TEL;TYPE={kind}:+1 555 01{n:02}" for n, kind in enumerate(["CELL"] * 3 + ["FAX"] * 5)
    ]
    push_create(account, vcard("FN:Ann Lee", *emails, *phones))

    [contact], _ = pull(account, None)
    card = vobject.readOne(contact.card)
    assert [e.value for e in card.contents["email"]] == [f"a{n}@example.org" for n in range(3)]
    # Mobile, then Other for the second mobile; OtherFax for the first fax; the rest dropped.
    assert sorted(t.value for t in card.contents["tel"]) == [
        "+1 555 0100",
        "+1 555 0101",
        "+1 555 0103",
    ]


def test_the_double_refuses_a_key_the_schema_does_not_have(ews: EwsServer) -> None:
    # exchangelib refuses such a key itself; what a client that does not would meet.
    envelope = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" '
        'xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Body>'
        '<m:CreateItem><m:SavedItemFolderId><t:DistinguishedFolderId Id="contacts"/>'
        "</m:SavedItemFolderId><m:Items><t:Contact><t:DisplayName>Ann</t:DisplayName>"
        '<t:EmailAddresses><t:Entry Key="EmailAddress4">a@example.org</t:Entry>'
        "</t:EmailAddresses></t:Contact></m:Items></m:CreateItem></s:Body></s:Envelope>"
    )
    login = base64.b64encode(f"{EMAIL}:{PASSWORD}".encode()).decode()
    response = requests.post(
        ews.url,
        data=envelope.encode(),
        headers={"Authorization": f"Basic {login}", "Content-Type": "text/xml"},
        timeout=10,
    )
    assert response.status_code == 500
    assert b"ErrorSchemaValidation" in response.content
    assert b"'EmailAddress4' is invalid" in response.content
    assert ews.mailbox.live() == []
