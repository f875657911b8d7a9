"""Guessing passwords against a real `contacthub serve`: every door (CardDAV, the API, the
admin page's sign-in) refuses with 429 and Retry-After once an address or an account has
had its wrong passwords, at once and without holding anybody else up.

The server trusts 127.0.0.1 as a proxy, so each request says which client address it
stands for in X-Forwarded-For (waitress makes that its REMOTE_ADDR).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import requests

from tests.conftest import USERS, StartContacthub
from tests.support.servers import DavServer, wait_for_log

pytestmark = pytest.mark.contacthub_only

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
LONG = "30"  # seconds: a delay no test waits out
Door = Callable[[DavServer, str, str, str], requests.Response]


def start(contacthub_factory: StartContacthub, **throttle: str) -> DavServer:
    settings = {
        "address_failures": "100",
        "account_failures": "100",
        "first_delay": LONG,
        "address_max_delay": LONG,
        "account_max_delay": LONG,
        **throttle,
    }
    return contacthub_factory(
        config={"contacthub": {"trusted_proxy": "127.0.0.1"}, "throttle": settings}
    )


def carddav(server: DavServer, address: str, user: str, password: str) -> requests.Response:
    return requests.request(
        "PROPFIND",
        f"{server.url}/{user}/",
        headers={"Depth": "0", "X-Forwarded-For": address},
        auth=(user, password),
        timeout=60,
    )


def api(server: DavServer, address: str, user: str, password: str) -> requests.Response:
    return requests.get(
        f"{server.url}/api/v1/books",
        headers={"X-Forwarded-For": address},
        auth=(user, password),
        timeout=60,
    )


def admin(server: DavServer, address: str, user: str, password: str) -> requests.Response:
    client = requests.Session()
    headers = {"X-Forwarded-For": address}
    form = client.get(f"{server.url}/admin/sign-in", headers=headers, timeout=60)
    token = TOKEN.search(form.text)
    assert token is not None, form.text
    return client.post(
        f"{server.url}/admin/sign-in",
        headers=headers,
        data={"username": user, "password": password, "csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=60,
    )


DOORS: dict[str, Door] = {"carddav": carddav, "api": api, "admin": admin}
WRONG = {"carddav": 401, "api": 401, "admin": 422}
RIGHT = {"carddav": 207, "api": 200, "admin": 302}


def assert_throttled(door: str, answer: requests.Response) -> None:
    assert answer.status_code == 429, (door, answer.status_code, answer.text[:300])
    seconds = int(answer.headers["Retry-After"])
    assert 0 < seconds <= int(LONG), door
    sentence = f"Too many wrong passwords: try again in {seconds} seconds."
    if door == "api":
        assert answer.json()["error"] == {"code": "too_many_requests", "message": sentence}
    elif door == "admin":
        assert "text/html" in answer.headers["Content-Type"]
        assert sentence in answer.text
        assert 'name="password"' in answer.text  # the sign-in page, with its form
    else:
        assert answer.headers["Content-Type"].startswith("text/plain")
        assert answer.text.strip() == sentence


@pytest.mark.parametrize("door", DOORS)
def test_an_address_that_guesses_gets_429_on_every_door_but_another_address_does_not(
    contacthub_factory: StartContacthub, door: str
) -> None:
    server = start(contacthub_factory, address_failures="3")
    guess = DOORS[door]
    for number in range(3):
        assert guess(server, "192.0.2.1", f"user{number}", "guess").status_code == WRONG[door]
    for name, other_door in DOORS.items():  # the right password too, through any door
        assert_throttled(name, other_door(server, "192.0.2.1", "alice", USERS["alice"]))
    assert guess(server, "192.0.2.2", "alice", USERS["alice"]).status_code == RIGHT[door]
    assert guess(server, "192.0.2.2", "bob", "guess").status_code == WRONG[door]


def test_the_account_throttle_holds_across_addresses_but_spares_its_own(
    contacthub_factory: StartContacthub,
) -> None:
    server = start(contacthub_factory, account_failures="3")
    assert carddav(server, "198.51.100.7", "alice", USERS["alice"]).status_code == 207
    for door, address in (("carddav", "192.0.2.1"), ("api", "192.0.2.2"), ("admin", "192.0.2.3")):
        assert DOORS[door](server, address, "alice", "guess").status_code == WRONG[door]
    for door, check in DOORS.items():
        assert_throttled(door, check(server, "192.0.2.4", "alice", USERS["alice"]))
        assert check(server, "192.0.2.4", "bob", USERS["bob"]).status_code == RIGHT[door]
    # Where alice signed in before, her phone keeps syncing.
    assert carddav(server, "198.51.100.7", "alice", USERS["alice"]).status_code == 207


def test_after_the_delay_the_right_password_works_and_the_count_starts_over(
    contacthub_factory: StartContacthub,
) -> None:
    server = start(contacthub_factory, address_failures="2", first_delay="1")
    for _ in range(2):
        assert carddav(server, "192.0.2.1", "alice", "guess").status_code == 401
    refused = carddav(server, "192.0.2.1", "alice", USERS["alice"])
    assert refused.status_code == 429
    time.sleep(int(refused.headers["Retry-After"]) + 0.2)
    assert carddav(server, "192.0.2.1", "alice", USERS["alice"]).status_code == 207
    assert carddav(server, "192.0.2.1", "alice", "guess").status_code == 401
    assert api(server, "192.0.2.1", "alice", USERS["alice"]).status_code == 200


def test_the_start_of_each_delay_is_logged_at_warning_without_the_password(
    contacthub_factory: StartContacthub,
) -> None:
    server = start(contacthub_factory, address_failures="2", account_failures="2")
    secret_guess = "Guess-Nobody-Logs-4711"
    for _ in range(2):
        assert carddav(server, "192.0.2.1", "alice", secret_guess).status_code == 401
    for who in ("account 'alice'", "address '192.0.2.1'"):
        wait_for_log(
            server,
            rf"WARNING.*sign-in throttled: {who} after 2 wrong passwords; next attempt in {LONG} s",
        )
    assert secret_guess not in server.log_tail(5000)


def test_signed_in_requests_are_not_held_while_32_connections_guess(
    contacthub_factory: StartContacthub,
) -> None:
    server = start(contacthub_factory, address_failures="5")
    stop = threading.Event()
    answers: list[list[int]] = [[] for _ in range(32)]

    def guess(number: int) -> None:
        with requests.Session() as connection:  # one kept-alive connection per guesser
            while not stop.is_set():
                answer = connection.request(
                    "PROPFIND",
                    f"{server.url}/bob/",
                    headers={"Depth": "0", "X-Forwarded-For": "203.0.113.9"},
                    auth=("bob", f"guess-{number}"),
                    timeout=60,
                )
                answers[number].append(answer.status_code)

    guessers = [threading.Thread(target=guess, args=(n,), daemon=True) for n in range(32)]
    for thread in guessers:
        thread.start()
    try:
        # Guesses that got past the count before it reached its limit are checked (at most
        # one per worker thread); once each guesser has had a 429, none is left.
        _wait_for(lambda: all(429 in mine for mine in answers), "every guesser to get a 429")
        user = requests.Session()
        user.auth = ("alice", USERS["alice"])
        before = sum(map(len, answers))
        took = []
        for _ in range(10):
            started = time.monotonic()
            answer = user.request(
                "PROPFIND", f"{server.url}/alice/", headers={"Depth": "0"}, timeout=60
            )
            took.append(time.monotonic() - started)
            assert answer.status_code == 207
            assert user.get(f"{server.url}/api/v1/books", timeout=60).status_code == 200
        guessed_meanwhile = sum(map(len, answers)) - before
        assert all(thread.is_alive() for thread in guessers)
    finally:
        stop.set()
        for thread in guessers:
            thread.join(timeout=60)
    assert guessed_meanwhile >= 32  # they kept guessing while alice was served
    statuses = [status for mine in answers for status in mine]
    assert set(statuses) == {401, 429}
    assert statuses.count(401) <= 5 + 8  # the free guesses, and one per worker thread racing
    # Generous sanity only: before, each request waited 6-11 s behind the sleeping guesses.
    assert max(took) < 5, took


def _wait_for(condition: Callable[[], Any], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
