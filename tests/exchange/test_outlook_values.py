"""Values as Outlook leaves them in a mailbox, pulled through exchangelib's real transport: notes
kept as HTML, birthdays kept as midnight in the zone of the Outlook that set them (Exchange
answers in UTC, so east of Greenwich the instant falls on the day before)."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import vobject
from exchangelib import Account
from lxml import etree

from contacthub.sources.exchange.client import pull, push_create
from tests.support.ews_mailbox import text_element, tns
from tests.support.ews_server import EwsServer

HTML_NOTE = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
    '<style>p.MsoNormal {margin:0cm}</style></head><body lang="DE">'
    '<div class="WordSection1"><p class="MsoNormal">Met at the <b>fair</b> &amp; '
    'liked&nbsp;it.</p><p class="MsoNormal">Call after 5.</p></div></body></html>'
)


def outlook_contact(ews: EwsServer, *extra: etree._Element) -> str:
    """A contact as Outlook saves it; returns its item id."""
    with ews.mailbox.lock:
        return ews.mailbox.store([text_element("DisplayName", "Ann Lee"), *extra])


def pulled_card(account: Account) -> vobject.base.Component:
    [contact], _ = pull(account, None)
    return vobject.readOne(contact.card)


def test_an_html_note_comes_as_plain_text(account: Account, ews: EwsServer) -> None:
    body = etree.Element(tns("Body"), BodyType="HTML")
    body.text = HTML_NOTE
    outlook_contact(ews, body)

    note = pulled_card(account).note.value

    assert note == "Met at the fair & liked it.\nCall after 5."
    assert "<" not in note and "MsoNormal" not in note


def midnight_in(zone: str, day: datetime.date) -> str:
    """The instant Outlook in ``zone`` stores for a birthday on ``day``, as Exchange says it."""
    local = datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=ZoneInfo(zone))
    return local.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    "zone",
    [
        "Europe/Berlin",  # 1990-05-16T22:00:00Z
        "Asia/Tokyo",
        "Pacific/Auckland",  # +12: 12:00 the day before
        "UTC",
        "America/New_York",
        "Pacific/Honolulu",  # -10
    ],
)
def test_a_birthday_set_in_outlook_keeps_its_day_in_any_zone(
    account: Account, ews: EwsServer, zone: str
) -> None:
    birthday = midnight_in(zone, datetime.date(1990, 5, 17))
    outlook_contact(ews, text_element("Birthday", birthday))

    assert pulled_card(account).bday.value == "1990-05-17"


def test_the_berlin_birthday_of_the_issue(account: Account, ews: EwsServer) -> None:
    assert midnight_in("Europe/Berlin", datetime.date(1990, 5, 17)) == "1990-05-16T22:00:00Z"
    outlook_contact(ews, text_element("Birthday", "1990-05-16T22:00:00Z"))
    assert pulled_card(account).bday.value == "1990-05-17"


def test_a_year_less_birthday_set_in_outlook_stays_year_less(
    account: Account, ews: EwsServer
) -> None:
    outlook_contact(ews, text_element("Birthday", "1604-05-16T22:00:00Z"))
    assert pulled_card(account).bday.value == "--05-17"


def test_a_birthday_the_hub_wrote_comes_back_on_its_day(account: Account) -> None:
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:u1\r\nFN:Ann Lee\r\nBDAY:1990-05-17\r\nEND:VCARD\r\n"
    push_create(account, card)
    assert pulled_card(account).bday.value == "1990-05-17"
