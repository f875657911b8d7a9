"""Fuzzing the CardDAV request surface of one real `contacthub serve` (SQLite).

Hypothesis sends requests built from methods, headers, paths and bodies
(tests/fuzz/strategies.py), mostly signed in as alice, never as bob. For each:

- no answer is a 5xx (but the 502 RFC 4918 asks for a MOVE to another server);
- every answer comes within TIME_LIMIT seconds (generous: it catches runaway work,
  it is no performance target);
- a request answered with an error changed nothing (every book's sync position,
  properties and ETags are as before);
- nothing of bob's changes, whatever the answer.

CI runs a bounded, derandomized number of examples. For more:

    CONTACTHUB_FUZZ_EXAMPLES=5000 [CONTACTHUB_FUZZ_SEED=N] pytest tests/fuzz
    python benchmarks/fuzz_carddav.py --examples 5000
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, event, given, seed, settings

from contacthub.store import Store
from tests.fuzz import harness
from tests.fuzz.strategies import ALICE_PASSWORD, BOB_PASSWORD, Request, requests
from tests.support.servers import ContacthubServer

TIME_LIMIT = 10.0
EXAMPLES = int(os.environ.get("CONTACTHUB_FUZZ_EXAMPLES", "250"))
SEED = os.environ.get("CONTACTHUB_FUZZ_SEED")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ContacthubServer]:
    base = tmp_path_factory.mktemp("fuzz")
    started = ContacthubServer(
        base / "data",
        {"alice": ALICE_PASSWORD, "bob": BOB_PASSWORD},
        # Radicale waits about a second before each 401/403; the fuzzer sends many.
        config={"auth": {"delay": "0.01"}, "logging": {"level": "warning"}},
    )
    started.start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def store(server: ContacthubServer) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{Path(server.data_dir) / 'contacthub.db'}")
    harness.put_back(opened)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def bobs_books(store: Store) -> harness.Snapshot:
    return harness.owned_by(harness.snapshot(store), "bob")


def check(server: ContacthubServer, store: Store, bobs: harness.Snapshot, request: Request) -> None:
    harness.put_back(store)
    before = harness.snapshot(store)
    answer = harness.send(server.host, server.port, request, timeout=TIME_LIMIT)
    after = harness.snapshot(store)
    event(f"{request.method} -> {answer.status}")
    assert answer.status < 500 or elsewhere(server, request, answer.status), (
        f"{answer.status} for {request}:\n{answer.body[:2000]!r}\n{server.log_tail(40)}"
    )
    assert answer.seconds < TIME_LIMIT, f"{answer.seconds:.1f} s for {request}"
    if answer.status >= 400:
        changed = {p for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
        assert not changed, f"{answer.status} for {request} changed {sorted(changed)}"
    assert harness.owned_by(after, "bob") == bobs, f"{request} changed bob's books"


def elsewhere(server: ContacthubServer, request: Request, status: int) -> bool:
    """RFC 4918 9.9.4: a MOVE to another server is answered 502 (Bad Gateway)."""
    destination = urlsplit(request.headers.get("Destination", ""))
    own = destination.netloc in ("", f"{server.host}:{server.port}") or "{" in destination.netloc
    return status == 502 and request.method == "MOVE" and not own


def _fuzz(server: ContacthubServer, store: Store, bobs_books: harness.Snapshot) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=SEED is None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request=requests())
    def one(request: Request) -> None:
        check(server, store, bobs_books, request)

    (seed(int(SEED))(one) if SEED is not None else one)()


def test_no_request_fails_the_server_or_changes_what_it_refused(
    server: ContacthubServer, store: Store, bobs_books: harness.Snapshot
) -> None:
    _fuzz(server, store, bobs_books)
