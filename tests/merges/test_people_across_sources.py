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
from playwright.sync_api import Page, expect

from contacthub.jobs.runner import run_sync
from contacthub.sources.context import RunContext
from contacthub.sources.csv.remote import create_remote_sync
from contacthub.sources.csv.source import configure
from contacthub.sources.exchange import source as exchange_source
from contacthub.sources.imap import source as imap_source
from contacthub.sources.imap.connection import ImapAccount
from contacthub.store import RunRecord, SourceRecord, Store
from tests.admin.conftest import (  # noqa: F401 - the admin page's fixtures
    SERVER_CONFIG,
    USERS,
    AdminPage,
    admin,
    browser,
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


@pytest.fixture
def admin_server(tmp_path: Path, store_url: str) -> Iterator[ContacthubServer]:
    """`contacthub serve` on the test's store; the sources run only when the test says."""
    config = {**SERVER_CONFIG, "contacthub": {"scheduler": "false"}}
    with ContacthubServer(
        tmp_path / "server", users=USERS, config=config, store_url=store_url
    ) as server:
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

    def write_csv(self, companies: dict[int, str] | None = None) -> None:
        self.csv_modified += 60
        put_csv(self.ftp_root, csv_rows(companies), self.csv_modified)

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


def test_people_from_four_sources_merged_kept_merged_and_undone(
    admin: AdminPage, sources: Sources, store: Store
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
    print(found[:2])
