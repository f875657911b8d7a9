"""Concurrent writers and readers against a real server: no lost update, no torn read.

20 writer threads increment counters kept in the same few cards, each with the
read-modify-write a CardDAV client does (GET the ETag, PUT with If-Match, retry
on 412). Every successful PUT must be reflected in the end. Meanwhile reader
threads GET and multiget the cards and must only ever see whole, parsable cards
whose ETag belongs to exactly the text they got.
"""

from __future__ import annotations

import collections
import random
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
import vobject

from tests.conftest import BACKENDS, StartContacthub
from tests.support import dav
from tests.support.servers import DavServer
from tests.support.vcards import make_card

WRITERS = 20
INCREMENTS_PER_WRITER = 3
READERS = 3
CARDS = 4
PADDING = 4000  # bytes of NOTE, so a torn write would be visible
DEADLINE = 300.0
# Checking a bcrypt hash on every request costs ~0.2 s of CPU; these tests are about
# the store, so let Radicale remember good logins (a documented [auth] option).
FAST_AUTH = {"auth": {"cache_logins": "True"}}


def counter_card(uid: str, value: int) -> str:
    # The counter appears at the start and at the end of the card, around a long NOTE.
    return make_card(
        uid,
        f"Counter {uid}",
        extra=[
            f"X-COUNTER:{value}",
            "NOTE:" + (f"{value:08d}" * (PADDING // 8)),
            f"X-COUNTER-CHECK:{value}",
        ],
    )


def parse_counter(text: str, uid: str) -> int:
    """The counter of a whole card; AssertionError for anything torn or foreign."""
    card = vobject.readOne(text)
    assert card.uid.value == uid
    value = int(card.contents["x-counter"][0].value)
    assert int(card.contents["x-counter-check"][0].value) == value
    assert card.note.value == f"{value:08d}" * (PADDING // 8)
    return value


@dataclass
class Ledger:
    """What the threads saw and did; guarded by one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    written: dict[str, list[int]] = field(default_factory=lambda: collections.defaultdict(list))
    etag_value: dict[str, int] = field(default_factory=dict)  # ETag -> counter it names
    observed: list[tuple[str, str, int]] = field(default_factory=list)  # (href, etag, value)
    conflicts: int = 0
    reads: int = 0
    errors: list[str] = field(default_factory=list)


def run_contention(servers: Sequence[DavServer], book: str) -> None:
    hrefs = {
        f"{book}counter-{i}.vcf": f"COUNTER-{i}-{book.strip('/').replace('/', '-')}"
        for i in range(CARDS)
    }
    setup = servers[0].session("alice")
    ledger = Ledger()
    for href, uid in hrefs.items():
        etag = dav.create_card(setup, href, counter_card(uid, 0))
        ledger.etag_value[etag] = 0
    stop_reading = threading.Event()
    deadline = time.monotonic() + DEADLINE

    def writer(index: int) -> None:
        session = servers[index % len(servers)].session("alice")
        rng = random.Random(index)
        try:
            for _ in range(INCREMENTS_PER_WRITER):
                href = rng.choice(list(hrefs))
                while True:
                    assert time.monotonic() < deadline, "writers did not finish in time"
                    got = session.get(href)
                    assert got.status_code == 200, (got.status_code, got.text[:200])
                    value = parse_counter(got.content.decode("utf-8"), hrefs[href])
                    put = dav.put_vcard(
                        session,
                        href,
                        counter_card(hrefs[href], value + 1),
                        if_match=got.headers["ETag"],
                    )
                    if put.status_code == 412:
                        with ledger.lock:
                            ledger.conflicts += 1
                        continue
                    assert put.status_code in (200, 201, 204), (put.status_code, put.text[:300])
                    with ledger.lock:
                        ledger.written[href].append(value + 1)
                        if put.headers.get("ETag"):
                            ledger.etag_value[put.headers["ETag"]] = value + 1
                    break
        except BaseException as exc:  # reported by the main thread
            with ledger.lock:
                ledger.errors.append(f"writer {index}: {exc!r}")

    def reader(index: int) -> None:
        session = servers[index % len(servers)].session("alice")
        try:
            while not stop_reading.is_set():
                for href, uid in hrefs.items():
                    got = session.get(href)
                    assert got.status_code == 200, (got.status_code, got.text[:200])
                    value = parse_counter(got.content.decode("utf-8"), uid)
                    with ledger.lock:
                        ledger.observed.append((href, got.headers["ETag"], value))
                        ledger.reads += 1
                ms = dav.multiget(session, book, list(hrefs))
                for resp in ms:
                    assert resp.etag and resp.address_data, (resp.href, resp.prop_status)
                    value = parse_counter(resp.address_data, hrefs[resp.href])
                    with ledger.lock:
                        ledger.observed.append((resp.href, resp.etag, value))
                        ledger.reads += 1
        except BaseException as exc:
            with ledger.lock:
                ledger.errors.append(f"reader {index}: {exc!r}")

    writers = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
    readers = [threading.Thread(target=reader, args=(i,)) for i in range(READERS)]
    for thread in readers + writers:
        thread.start()
    for thread in writers:
        thread.join(timeout=DEADLINE + 30)
    stop_reading.set()
    for thread in readers:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in writers + readers), "threads still running"
    assert not ledger.errors, "\n".join(ledger.errors[:10])

    # No lost update: each card's counter counts its successful PUTs, and every
    # successful PUT wrote a different value (two winners from one read = lost update).
    total = 0
    for href, uid in hrefs.items():
        final = parse_counter(setup.get(href).content.decode("utf-8"), uid)
        values = sorted(ledger.written[href])
        assert values == list(range(1, len(values) + 1)), (href, values)
        assert final == len(values), (href, final, values)
        total += final
    assert total == WRITERS * INCREMENTS_PER_WRITER
    # No torn read: an ETag always names the same text.
    for href, etag, value in ledger.observed:
        if etag in ledger.etag_value:
            assert ledger.etag_value[etag] == value, (href, etag, value)
    assert ledger.reads > 0
    assert ledger.conflicts > 0, "no 412 at all: the test did not create contention"
    # The change log agrees: one sync from scratch lists every card once.
    full = dav.sync_collection(setup, book, None)
    listed = collections.Counter(r.href for r in full if r.status != 404)
    assert all(listed[href] == 1 for href in hrefs), listed


@pytest.mark.parametrize("backend", BACKENDS)
def test_concurrent_if_match_writers_lose_no_update(
    contacthub_factory: StartContacthub, backend: str
) -> None:
    server = contacthub_factory(backend, config=FAST_AUTH)
    book = "/alice/counters/"
    dav.mkcol_addressbook(server.session("alice"), book, "Counters")
    run_contention([server], book)


@pytest.mark.contacthub_only
def test_two_server_processes_share_one_postgresql_store(
    contacthub_factory: StartContacthub,
) -> None:
    first = contacthub_factory("postgresql", config=FAST_AUTH)
    store_url = getattr(first, "store_url", None)
    assert store_url and store_url.startswith("postgresql")
    second = contacthub_factory("postgresql", config=FAST_AUTH, store_url=store_url)
    alice1, alice2 = first.session("alice"), second.session("alice")
    book = "/alice/shared/"
    dav.mkcol_addressbook(alice1, book, "Shared")
    # What one process writes, the other serves at once.
    etag = dav.create_card(alice2, book + "probe.vcf", make_card("PROBE-1", "Probe"))
    assert alice1.get(book + "probe.vcf").headers["ETag"] == etag
    token = dav.sync_collection(alice1, book, None).sync_token
    assert dav.sync_collection(alice2, book, None).sync_token == token
    assert re.match(r"^urn:contacthub:sync:", token or "")
    run_contention([first, second], book)
