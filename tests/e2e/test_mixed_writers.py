"""Every write path at once on one account: no 5xx, no deadlock, nothing acknowledged lost.

CardDAV PUT, DELETE, MOVE, PROPPATCH, MKCOL and DELETE of books, API contacts and books, a
CSV import run and a phone's push write to the same books concurrently
(tests/support/mixed_writers.py): on PostgreSQL through two `contacthub serve` processes
on one store, on SQLite through one. Before the store had one lock order, a CardDAV PUT
locked the book and then the account, an API write the account and then the book, and
PostgreSQL answered DeadlockDetected: a 500 for most of the requests of such a mix.

And the first requests of a new account, all at once on every process: each finds or
makes the account's home and default book, and one of each exists afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from contacthub.store import Store
from tests.conftest import BACKENDS, USERS, StartContacthub
from tests.support import dav, mixed_writers
from tests.support.servers import ContacthubServer, DavServer
from tests.support.vcards import make_card

SECONDS = 5.0
# Each writes something the check reads back: none may be missing from a run.
OPERATIONS = (
    "CardDAV PUT (new)",
    "CardDAV PUT (replace)",
    "CardDAV DELETE",
    "CardDAV MOVE",
    "CardDAV PROPPATCH",
    "CardDAV MKCOL",
    "CardDAV DELETE book",
    "API POST contact",
    "API PUT contact",
    "API DELETE contact",
    "API POST book",
    "API PATCH book",
    "API DELETE book",
    "CSV run",
    "API device push",
    "API device apply",
)
NEW_ACCOUNTS = {"dora": "dora-Secret-4", "erin": "erin-Secret-5"}
FIRST_REQUESTS = 6  # per new account (two of each kind), spread over the processes


def servers_for(
    backend: str, start: StartContacthub, users: dict[str, str], tmp_path: Path
) -> list[ContacthubServer]:
    """Two processes on one PostgreSQL store, one on SQLite; one users file for all."""
    config = mixed_writers.shared_users(tmp_path / "users", users)
    first = start(backend, config=config, users={})
    assert isinstance(first, ContacthubServer)
    servers = [first]
    if backend == "postgresql":
        assert first.store_url and first.store_url.startswith("postgresql")
        second = start(backend, config=config, users={}, store_url=first.store_url)
        assert isinstance(second, ContacthubServer)
        servers.append(second)
    for server in servers:
        server.users.update(users)
    return servers


@pytest.mark.contacthub_only
@pytest.mark.parametrize("backend", BACKENDS)
def test_every_write_path_at_once_answers_no_5xx_and_loses_nothing(
    contacthub_factory: StartContacthub, backend: str, tmp_path: Path
) -> None:
    servers = servers_for(backend, contacthub_factory, {"alice": USERS["alice"]}, tmp_path)
    mixed_writers.prepare(servers)
    ledger = mixed_writers.run_mix(servers, SECONDS)
    assert ledger.server_errors() == 0, ledger.statuses
    assert not ledger.failures, "\n".join(ledger.failures[:10])
    acknowledged = {operation for operation, status in ledger.by_operation if status < 300}
    assert set(OPERATIONS) <= acknowledged, set(OPERATIONS) - acknowledged
    assert mixed_writers.check(servers[0], ledger) == []


def first_request(server: DavServer, user: str, number: int) -> Callable[[], int]:
    """One of the kinds of first request a new account's clients make."""
    session = server.session(user)
    kind = number % 3
    if kind == 0:
        return lambda: session.request("PROPFIND", f"/{user}/", headers={"Depth": "0"}).status_code
    if kind == 1:
        return lambda: session.get("/api/v1/books").status_code
    card = make_card(f"first-{number}", f"First {number}")
    return lambda: (
        dav.put_vcard(
            session, f"/{user}/contacts/first-{number}.vcf", card, if_none_match="*"
        ).status_code
    )


@pytest.mark.contacthub_only
@pytest.mark.parametrize("backend", BACKENDS)
def test_first_requests_of_a_new_account_at_once_make_one_home(
    contacthub_factory: StartContacthub, backend: str, tmp_path: Path
) -> None:
    servers = servers_for(backend, contacthub_factory, dict(NEW_ACCOUNTS), tmp_path)
    calls = [
        first_request(servers[number % len(servers)], user, number)
        for user in NEW_ACCOUNTS
        for number in range(FIRST_REQUESTS)
    ]
    start = threading.Barrier(len(calls))
    statuses: list[int | str] = []
    lock = threading.Lock()

    def send(call: Callable[[], int]) -> None:
        start.wait(timeout=30)
        try:
            status: int | str = call()
        except requests.RequestException as error:
            status = repr(error)
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=send, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(map(str, statuses)) == sorted(
        str({0: 207, 1: 200, 2: 201}[number % 3])
        for _ in NEW_ACCOUNTS
        for number in range(FIRST_REQUESTS)
    )
    store_url = servers[0].store_url or f"sqlite:///{servers[0].data_dir / 'contacthub.db'}"
    store = Store.open(store_url, upgrade=False)
    try:
        with store.read() as tx:
            homes = [c.path for c in tx.list_children("")]
            for user in NEW_ACCOUNTS:
                assert homes.count(user) == 1
                assert [c.name for c in tx.list_children(user)] == ["contacts"]
                book = tx.require_collection(f"{user}/contacts")
                puts = {f"first-{n}.vcf" for n in range(FIRST_REQUESTS) if n % 3 == 2}
                assert set(tx.iter_hrefs(book.id)) == puts  # none undone by a late first request
    finally:
        store.close()
