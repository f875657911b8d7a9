"""The issue's end-to-end test: the same 50 people come in through a phone's push, an IMAP
harvest (Dovecot), a CSV sync over FTP and Exchange (the EWS double), each writing their
numbers and emails its own way (tests/merges/fed_people.py); with the region EE every
person is one group of the safe lane across the four books and the two Maria Tamms of Acme
only in the contact lane. Two groups are merged on the admin page (one with a name that is
not the default), the rest through the API. Every source runs again with changes in its own
fields: no copy comes back, the merged cards take the sources' changes and keep the choices.
A merge undone from the admin page gives back the cards byte for byte and the links: each
source's next run updates its own card again. `contacthub serve` on SQLite and on
PostgreSQL; the sources run in the test's process on the same store."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from contacthub.jobs.runner import run_sync
from contacthub.sources.context import RunContext
from contacthub.sources.csv.remote import create_remote_sync
from contacthub.sources.csv.source import configure
from contacthub.sources.exchange import source as exchange_source
from contacthub.sources.imap import source as imap_source
from contacthub.sources.imap.connection import ImapAccount
from contacthub.store import Link, RunRecord, SourceRecord, Store
from tests.admin.conftest import (  # noqa: F401 - the admin page's fixtures
    SERVER_CONFIG,
    USERS,
    AdminPage,
    admin,
    no_csp_violations,
)
from tests.duplicates.people import NAMESAKE, OWNER, PEOPLE, REGION, Person
from tests.exchange.conftest import EMAIL as EWS_EMAIL
from tests.exchange.conftest import PASSWORD as EWS_PASSWORD
from tests.fetch.ftp_server import PASSWORD as FTP_PASSWORD
from tests.fetch.ftp_server import USER as FTP_USER
from tests.fetch.ftp_server import LocalFTPServer
from tests.merges.fed_people import (
    CSV_MODIFIED,
    cards,
    csv_rows,
    fill_exchange,
    links,
    mail_from,
    of_person,
    push,
    push_body,
    put_csv,
)
from tests.merges.people import values
from tests.support.dovecot import DovecotServer
from tests.support.ews_server import EwsServer
from tests.support.servers import ContacthubServer

# The people merged on the admin page (the second with a name that is not the default),
# the one whose merge is undone, and those whose sources change after the merges.
ON_THE_PAGE, CHOSEN_NAME, UNDONE = PEOPLE[0], PEOPLE[1], PEOPLE[17]
PUSHED, MAILED, IN_CSV, IN_EXCHANGE = PEOPLE[2], PEOPLE[3], PEOPLE[4], PEOPLE[5]
OTHERS_IN_CSV = 3  # the Maria Tamms and their colleague
CSV_NAME = "{p.last}, {p.first}"  # how the staff CSV names people
MOVED = "Moved to Tartu"


@pytest.fixture
def admin_server(tmp_path: Path, store_url: str) -> Iterator[ContacthubServer]:
    """`contacthub serve` on the test's store; the sources run only when the test says."""
    config = {**SERVER_CONFIG, "contacthub": {"scheduler": "false"}}
    server = ContacthubServer(tmp_path / "server", USERS, config=config, store_url=store_url)
    with server:
        yield server


@pytest.fixture
def store(admin_server: ContacthubServer, store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url, upgrade=False)  # the server made it
    yield opened
    opened.close()


class Sources:
    """The four sources of the account, and the servers behind them."""

    def __init__(
        self,
        ctx: RunContext,
        server: ContacthubServer,
        dovecot: DovecotServer,
        mailbox: ImapAccount,
        ftp_root: Path,
        ftp: LocalFTPServer,
        ews: EwsServer,
    ) -> None:
        self.ctx, self.server, self.dovecot, self.mailbox = ctx, server, dovecot, mailbox
        self.ftp_root, self.ftp, self.ews = ftp_root, ftp, ews
        self.csv_modified = CSV_MODIFIED
        self.exchange_ids: dict[int, str] = {}
        self.imap: SourceRecord
        self.csv: SourceRecord
        self.exchange: SourceRecord
        self.device: SourceRecord

    @property
    def all(self) -> list[SourceRecord]:
        return [self.device, self.imap, self.csv, self.exchange]

    def mail(self, person: Person, day: int) -> None:
        with self.dovecot.client(self.mailbox.username) as client:
            self.dovecot.append(client, "INBOX", mail_from(person, self.mailbox.username, day))

    def write_csv(self, notes: dict[int, str] | None = None) -> None:
        self.csv_modified += 60
        put_csv(self.ftp_root, csv_rows(notes), self.csv_modified)

    def run(self, source: SourceRecord) -> RunRecord:
        done = run_sync(self.ctx, source)
        assert done.status in ("ok", "no_changes"), (done.counts, done.message, done.problems)
        return done


@pytest.fixture
def sources(
    ctx: RunContext,
    admin_server: ContacthubServer,
    dovecot: DovecotServer,
    account: ImapAccount,
    ftp_root: Path,
    ftp: LocalFTPServer,
    ews: EwsServer,
) -> Sources:
    return Sources(ctx, admin_server, dovecot, account, ftp_root, ftp, ews)


def feed_everyone(fed: Sources) -> None:
    """Each source's first run, through its real server."""
    counts = push(fed.server, OWNER, push_body())
    assert (counts["added"], counts.get("updated", 0)) == (len(PEOPLE), 0)
    with fed.ctx.store.read() as tx:
        (fed.device,) = tx.list_sources(OWNER, "device")

    for day, person in enumerate(PEOPLE):
        fed.mail(person, 1 + day % 28)
    fed.imap = imap_source.connect_account(
        fed.ctx,
        OWNER,
        {
            "username": fed.mailbox.username,
            "password": fed.mailbox.password,
            "host": fed.mailbox.host,
            "port": fed.mailbox.port,
            "ssl": fed.mailbox.ssl,
        },
    )
    assert fed.run(fed.imap).counts["added"] == len(PEOPLE)

    fed.write_csv()
    fed.csv = create_remote_sync(
        fed.ctx,
        OWNER,
        {"url": fed.ftp.url("/staff.csv"), "username": FTP_USER, "password": FTP_PASSWORD},
    )
    fed.csv = configure(fed.ctx.store, fed.csv, key_column="Id", update_existing=True).source
    assert fed.run(fed.csv).counts["added"] == len(PEOPLE) + OTHERS_IN_CSV

    fed.exchange_ids = fill_exchange(fed.ews)
    fed.exchange = exchange_source.connect_account(
        fed.ctx, OWNER, {"email": EWS_EMAIL, "password": EWS_PASSWORD, "server": fed.ews.url}
    )
    assert fed.run(fed.exchange).counts["added"] == len(PEOPLE)


def groups(server: ContacthubServer) -> list[dict[str, Any]]:
    listed = server.session(OWNER).get("/api/v1/duplicates")
    assert listed.status_code == 200, listed.text
    return list(listed.json()["groups"])


def api(server: ContacthubServer, method: str, path: str, **body: Any) -> Any:
    answer = server.session(OWNER).request(method, path, json=body or None)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


def lane_of(page: Page, lane: str) -> Locator:
    return page.locator("section.lane").filter(has=page.locator(f"#lane-{lane}"))


def merge_on_the_page(hub: AdminPage, person: Person, name: str | None = None) -> None:
    """Review the person's group from the safe lane and merge it; with `name`, that name
    instead of the default one."""
    page = hub.go("/admin/duplicates/")
    group = lane_of(page, "safe").locator("li.group").filter(has_text=person.name).first
    group.get_by_role("link", name="Review and merge").click()
    expect(page.get_by_role("heading", name="Merge 4 contacts")).to_be_visible()
    if name is not None:
        choice = page.get_by_role("radio", name=name, exact=True)
        expect(choice).not_to_be_checked()
        choice.check()
    hub.shot(f"{person.name} side by side")
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("4 contacts are now one")


def only_card(store: Store, person: Person) -> str:
    """The text of the one card left of the person."""
    (card,) = of_person(cards(store), person).values()
    return card.text


def links_to(found: dict[str, Link], uids: set[str]) -> dict[str, Link]:
    return {key: link for key, link in found.items() if link.uid in uids}


def books_count(store: Store) -> Counter[str]:
    return Counter(book for book, _ in cards(store))


def test_people_from_four_sources_merged_kept_merged_and_undone(
    admin: AdminPage,  # noqa: F811
    sources: Sources,
    store: Store,
) -> None:
    admin.sign_in(OWNER)
    feed_everyone(sources)
    region = admin.server.session(OWNER).patch(
        "/api/v1/account/settings", json={"phone_region": REGION}
    )
    assert region.status_code == 200, region.text

    found = groups(admin.server)
    lanes = Counter(group["lane"] for group in found)
    books = {source.book_path.rsplit("/", 1)[1] for source in sources.all}
    safe = [group for group in found if group["lane"] == "safe"]
    assert lanes["safe"] == len(PEOPLE), lanes
    for group in safe:
        assert sorted(c["book"] for c in group["contacts"]) == sorted(books), group
    assert not any(NAMESAKE in c["fn"] for group in safe for c in group["contacts"])
    (contact_lane,) = [group for group in found if group["lane"] == "contact"]
    assert [c["fn"] for c in contact_lane["contacts"]].count(NAMESAKE) == 2
    before = cards(store)
    links_before = links(store, sources.all)
    assert len(before) == 4 * len(PEOPLE) + OTHERS_IN_CSV

    # Two groups reviewed on the admin page, the others merged through the API.
    merge_on_the_page(admin, ON_THE_PAGE)
    merge_on_the_page(admin, CHOSEN_NAME, name=CSV_NAME.format(p=CHOSEN_NAME))
    left = [group for group in groups(admin.server) if group["lane"] == "safe"]
    assert len(left) == len(PEOPLE) - 2
    for group in left:
        api(admin.server, "POST", f"/api/v1/duplicates/{group['id']}/merge", choices={})
    assert [group["lane"] for group in groups(admin.server)] == ["contact"]
    merged = {person.number: only_card(store, person) for person in PEOPLE}
    after_merges = books_count(store)
    assert sum(after_merges.values()) == len(PEOPLE) + OTHERS_IN_CSV
    chosen_fn = CSV_NAME.format(p=CHOSEN_NAME).replace(",", "\\,")  # as vCard writes it
    assert values(merged[CHOSEN_NAME.number], "FN") == [chosen_fn]

    # Every source again, with changes in its own fields.
    counts = push(admin.server, OWNER, push_body({PUSHED.number: "+372 5555 9999"}))
    assert (counts["added"], counts["updated"]) == (0, 1)
    sources.mail(MAILED, 20)
    assert sources.run(sources.imap).counts["added"] == 0
    sources.write_csv({IN_CSV.number: MOVED, CHOSEN_NAME.number: MOVED})
    assert sources.run(sources.csv).counts["added"] == 0
    first = sources.run(sources.exchange)  # sends the merged cards' Exchange fields
    assert first.counts["added"] == 0, first.counts
    for person in (IN_EXCHANGE, CHOSEN_NAME):
        sources.ews.mailbox.edit(sources.exchange_ids[person.number], {"JobTitle": "Manager"})
    assert sources.run(sources.exchange).counts["added"] == 0
    for source in sources.all[1:]:  # and once more, nothing new
        assert sources.run(source).counts.get("added", 0) == 0
    assert books_count(store) == after_merges
    now = {person.number: only_card(store, person) for person in PEOPLE}
    # Each source's own field changed on the merged card, and only there.
    assert "+372 5555 9999" in values(now[PUSHED.number], "TEL")
    assert values(now[MAILED.number], "X-CONTACTHUB-MESSAGES") == ["2"]
    assert values(now[MAILED.number], "X-CONTACTHUB-LAST-CONTACT") == ["2024-03-20"]
    assert values(now[IN_CSV.number], "NOTE") == [MOVED]
    assert values(now[IN_EXCHANGE.number], "TITLE") == ["Manager"]
    changed = {PUSHED.number, MAILED.number, IN_CSV.number, IN_EXCHANGE.number, CHOSEN_NAME.number}
    for number, text in now.items():
        if number not in changed:
            assert text == merged[number], PEOPLE[number]
    # The name chosen on the page stays through the changes of every source.
    chosen = now[CHOSEN_NAME.number]
    assert values(chosen, "FN") == [chosen_fn]
    assert (values(chosen, "NOTE"), values(chosen, "TITLE")) == ([MOVED], ["Manager"])

    # A merge undone on the page: the four cards byte for byte, the links as they were.
    ((merged_into, _),) = of_person(cards(store), UNDONE)
    page = admin.go("/admin/duplicates/merges")
    page.get_by_role("button", name=f"Undo the merge into {UNDONE.name}").click()
    expect(page.get_by_role("status").first).to_contain_text("Merge undone")
    admin.shot("a merge undone")
    undone = of_person(cards(store), UNDONE)
    assert {key: item.text for key, item in undone.items()} == {
        key: item.text for key, item in of_person(before, UNDONE).items()
    }
    uids = {item.uid for item in undone.values()}
    after_undo = links(store, sources.all)
    for source in sources.all:
        assert links_to(after_undo[source.id], uids) == links_to(links_before[source.id], uids)
    unmerged = after_merges + Counter(book for book, _ in undone) - Counter([merged_into])
    assert books_count(store) == unmerged

    # Each source's next run updates its own card again, not the card the merge had made.
    counts = push(
        admin.server,
        OWNER,
        push_body({PUSHED.number: "+372 5555 9999", UNDONE.number: "+372 5555 8888"}),
    )
    assert (counts["added"], counts["updated"]) == (0, 1)
    sources.mail(UNDONE, 21)
    sources.write_csv({IN_CSV.number: MOVED, CHOSEN_NAME.number: MOVED, UNDONE.number: MOVED})
    sources.ews.mailbox.edit(sources.exchange_ids[UNDONE.number], {"JobTitle": "Director"})
    for source in sources.all[1:]:
        assert sources.run(source).counts["added"] == 0
    again = of_person(cards(store), UNDONE)
    assert again.keys() == undone.keys()
    by_book = {book: item.text for (book, _), item in again.items()}
    assert "+372 5555 8888" in values(by_book[sources.device.book_path], "TEL")
    assert values(by_book[sources.imap.book_path], "X-CONTACTHUB-MESSAGES") == ["2"]
    assert values(by_book[sources.csv.book_path], "NOTE") == [MOVED]
    assert values(by_book[sources.exchange.book_path], "TITLE") == ["Director"]
    assert books_count(store) == unmerged
