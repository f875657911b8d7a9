"""Concurrent writers over every write path of one account, against running servers.

CardDAV (PUT, DELETE, MOVE, PROPPATCH, MKCOL, DELETE of a book), the JSON API (contacts
created, replaced and deleted; books created, renamed and deleted), a CSV import run and
a phone's push, all at once, on the same address book where they can, spread over the
servers given. Each thread writes only what it created itself, so the ledger knows what
every contact must hold afterwards: the ETag of its last acknowledged write, or nothing
after an acknowledged DELETE or MOVE. `check` reads everything back.

Used by tests/e2e/test_mixed_writers.py (a few seconds) and
benchmarks/pg_mixed_writers.py (a minute).
"""

from __future__ import annotations

import collections
import json
import random
import threading
import time
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bcrypt
import requests

from tests.support import dav
from tests.support.servers import DavServer, DavSession
from tests.support.vcards import make_card

USER = "alice"
BOOK_ID = "contacts"
BOOK = f"/{USER}/{BOOK_ID}/"
MOVED = f"/{USER}/moved/"
API = "/api/v1"
DEVICE = "mixed-phone"
VCARD = {"Content-Type": "text/vcard; charset=utf-8"}
CSV_ROWS = 5
DEVICE_CARDS = 3

# The threads of each kind the default mix starts (the 4 + 4, and one of each
# other writer).
DEFAULT_MIX: Mapping[str, int] = {
    "carddav": 4,
    "api": 4,
    "proppatch": 1,
    "books": 1,
    "csv": 1,
    "device": 1,
}

_UNKNOWN = "?"  # a write whose answer never came: its outcome is not known


@dataclass
class Ledger:
    """What the threads asked for and were told; guarded by one lock."""

    run: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    lock: threading.Lock = field(default_factory=threading.Lock)
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    by_operation: collections.Counter[tuple[str, int]] = field(default_factory=collections.Counter)
    latencies: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    failures: list[str] = field(default_factory=list)
    # (started, seconds, operation, url) of every request that took a second or more.
    slow: list[tuple[float, float, str, str]] = field(default_factory=list)
    # Path of each contact written -> ETag of its last acknowledged write (None: gone).
    contacts: dict[str, str | None] = field(default_factory=dict)
    # Book path -> display name last acknowledged by PROPPATCH.
    names: dict[str, str] = field(default_factory=dict)
    # Books created and then deleted (acknowledged): none may be left.
    gone_books: set[str] = field(default_factory=set)
    csv_names: set[str] | None = None  # the contacts of the last acknowledged CSV run
    device_names: set[str] | None = None  # those of the last acknowledged push

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def call(
        self,
        operation: str,
        session: requests.Session,
        method: str,
        url: str,
        ok: Collection[int],
        **kwargs: Any,
    ) -> requests.Response | None:
        """One request, timed and counted; None (and a failure noted) unless its status is
        one of `ok`."""
        started = time.perf_counter()
        try:
            response = session.request(method, url, **kwargs)
        except requests.RequestException as error:
            self.fail(f"{operation}: {method} {url}: {error!r}")
            return None
        elapsed = time.perf_counter() - started
        with self.lock:
            self.statuses[response.status_code] += 1
            self.by_operation[operation, response.status_code] += 1
            self.latencies[operation].append(elapsed)
            if elapsed >= 1.0:
                self.slow.append((started, elapsed, operation, url))
        if response.status_code not in ok:
            self.fail(
                f"{operation}: {method} {url} -> {response.status_code}: {response.text[:300]!r}"
            )
            return None
        return response

    def fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)

    def wrote(self, path: str, etag: str | None) -> None:
        with self.lock:
            self.contacts[path] = etag

    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)


Worker = Callable[[Ledger, DavSession, random.Random, int, Callable[[], bool]], None]


def _card(uid: str, name: str) -> str:
    return make_card(uid, name, emails=[f"{uid.lower()}@example.org"])


def _next(number: int, rng: random.Random, weights: Mapping[str, float]) -> str:
    """The operation to do next: each once at first, in order, then at random by weight
    (so that even a short run does every kind)."""
    kinds = list(weights)
    if number <= len(kinds):
        return kinds[number - 1]
    return rng.choices(kinds, weights=list(weights.values()))[0]


CARDDAV_WEIGHTS = {"new": 0.5, "replace": 0.25, "delete": 0.125, "move": 0.125}
API_WEIGHTS = {"new": 0.6, "replace": 0.25, "delete": 0.15}


def carddav_writer(
    ledger: Ledger, session: DavSession, rng: random.Random, index: int, done: Callable[[], bool]
) -> None:
    """PUTs new contacts, replaces, deletes and moves its own (If-Match everywhere)."""
    own: dict[str, str] = {}  # href in BOOK -> ETag
    number = 0
    while not done():
        number += 1
        operation = _next(number, rng, CARDDAV_WEIGHTS)
        if not own or operation == "new":
            uid = f"dav-{ledger.run}-{index}-{number}"
            href = f"{BOOK}{uid}.vcf"
            response = ledger.call(
                "CardDAV PUT (new)",
                session,
                "PUT",
                href,
                {201},
                data=_card(uid, f"Dav {index} {number}").encode(),
                headers={**VCARD, "If-None-Match": "*"},
            )
            _settle(ledger, own, href, response)
            continue
        href = rng.choice(sorted(own))
        etag = own[href]
        if operation == "replace":
            uid = href.rsplit("/", 1)[1].removesuffix(".vcf")
            response = ledger.call(
                "CardDAV PUT (replace)",
                session,
                "PUT",
                href,
                {200, 201, 204},
                data=_card(uid, f"Dav {index} {number} again").encode(),
                headers={**VCARD, "If-Match": etag},
            )
            _settle(ledger, own, href, response)
        elif operation == "delete":
            response = ledger.call(
                "CardDAV DELETE", session, "DELETE", href, {200, 204}, headers={"If-Match": etag}
            )
            _settle(ledger, own, href, response, gone=True)
        else:
            target = MOVED + href.rsplit("/", 1)[1]
            response = ledger.call(
                "CardDAV MOVE",
                session,
                "MOVE",
                href,
                {201, 204},
                headers={"Destination": session.base_url + target, "Overwrite": "F"},
            )
            _settle(ledger, own, href, response, gone=True)
            if response is not None:
                ledger.wrote(target, etag)  # a move keeps the text, hence the ETag


def _settle(
    ledger: Ledger,
    own: dict[str, str],
    path: str,
    response: requests.Response | None,
    *,
    gone: bool = False,
) -> None:
    """Note what the answer says `path` now holds; an unknown outcome leaves the path
    out of later writes (and of the check)."""
    if response is None:
        own.pop(path, None)
        ledger.wrote(path, _UNKNOWN)
    elif gone:
        own.pop(path, None)
        ledger.wrote(path, None)
    else:
        etag = response.headers.get("ETag")
        if not etag:
            ledger.fail(f"{path}: the answer had no ETag")
            own.pop(path, None)
            ledger.wrote(path, _UNKNOWN)
            return
        own[path] = etag
        ledger.wrote(path, etag)


def api_writer(
    ledger: Ledger, session: DavSession, rng: random.Random, index: int, done: Callable[[], bool]
) -> None:
    """Creates contacts with POST, replaces and deletes its own (If-Match)."""
    contacts = f"{API}/books/{BOOK_ID}/contacts"
    own: dict[str, str] = {}  # path in BOOK -> ETag
    uids: dict[str, str] = {}  # path in BOOK -> UID
    number = 0
    while not done():
        number += 1
        operation = _next(number, rng, API_WEIGHTS)
        if not own or operation == "new":
            uid = f"api-{ledger.run}-{index}-{number}"
            response = ledger.call(
                "API POST contact",
                session,
                "POST",
                contacts,
                {201},
                data=_card(uid, f"Api {index} {number}").encode(),
                headers=VCARD,
            )
            if response is not None:
                path = BOOK + response.json()["id"]
                uids[path] = uid
                _settle(ledger, own, path, response)
            continue
        path = rng.choice(sorted(own))
        url = f"{contacts}/{path.rsplit('/', 1)[1]}"
        if operation == "replace":
            response = ledger.call(
                "API PUT contact",
                session,
                "PUT",
                url,
                {200},
                data=_card(uids[path], f"Api {index} {number} again").encode(),
                headers={**VCARD, "If-Match": own[path]},
            )
            _settle(ledger, own, path, response)
        else:
            response = ledger.call(
                "API DELETE contact",
                session,
                "DELETE",
                url,
                {204},
                headers={"If-Match": own[path]},
            )
            _settle(ledger, own, path, response, gone=True)


def proppatch_writer(
    ledger: Ledger, session: DavSession, rng: random.Random, index: int, done: Callable[[], bool]
) -> None:
    """Renames the shared book and the move target by PROPPATCH."""
    number = 0
    while not done():
        number += 1
        book = BOOK if number % 2 else MOVED
        name = f"Renamed {index} {number}"
        response = ledger.call(
            "CardDAV PROPPATCH",
            session,
            "PROPPATCH",
            book,
            {207},
            data=_proppatch_body(name),
            headers={"Content-Type": "application/xml; charset=utf-8"},
        )
        if response is None:
            continue
        statuses = {
            status
            for r in dav.parse_multistatus(response.content)
            for status in r.prop_status.values()
        }
        if statuses != {200}:
            ledger.fail(f"PROPPATCH {book}: property statuses {sorted(statuses)}")
            continue
        with ledger.lock:
            ledger.names[book] = name


def _proppatch_body(name: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>'
        f"<D:displayname>{name}</D:displayname>"
        "</D:prop></D:set></D:propertyupdate>"
    ).encode()


def books_writer(
    ledger: Ledger, session: DavSession, rng: random.Random, index: int, done: Callable[[], bool]
) -> None:
    """Creates, renames and deletes books: through the API, and by MKCOL, a PUT into the
    new book and its DELETE."""
    number = 0
    while not done():
        number += 1
        created = ledger.call(
            "API POST book",
            session,
            "POST",
            f"{API}/books",
            {201},
            json={"display_name": f"Mixed {ledger.run} {index} {number}"},
        )
        if created is not None:
            book_id = created.json()["id"]
            ledger.call(
                "API PATCH book",
                session,
                "PATCH",
                f"{API}/books/{book_id}",
                {200},
                json={"display_name": f"Mixed {ledger.run} {index} {number} renamed"},
            )
            if ledger.call("API DELETE book", session, "DELETE", f"{API}/books/{book_id}", {204}):
                with ledger.lock:
                    ledger.gone_books.add(f"/{USER}/{book_id}/")
        path = f"/{USER}/mk-{ledger.run}-{index}-{number}/"
        made = ledger.call(
            "CardDAV MKCOL",
            session,
            "MKCOL",
            path,
            {201},
            data=_mkcol_body(f"Made {number}"),
            headers={"Content-Type": "application/xml; charset=utf-8"},
        )
        if made is None:
            continue
        ledger.call(
            "CardDAV PUT (new)",
            session,
            "PUT",
            f"{path}one.vcf",
            {201},
            data=_card(f"MK-{ledger.run}-{index}-{number}", "In a new book").encode(),
            headers={**VCARD, "If-None-Match": "*"},
        )
        if ledger.call("CardDAV DELETE book", session, "DELETE", path, {200, 204}):
            with ledger.lock:
                ledger.gone_books.add(path)


def _mkcol_body(name: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">'
        "<D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>"
        f"<D:displayname>{name}</D:displayname></D:prop></D:set></D:mkcol>"
    ).encode()


def csv_writer(
    ledger: Ledger, session: DavSession, rng: random.Random, index: int, done: Callable[[], bool]
) -> None:
    """Runs a CSV import into the shared book again and again, each time with a new file
    (the same keys, new names: every run updates the same contacts)."""
    created = ledger.call(
        "API POST import",
        session,
        "POST",
        f"{API}/imports",
        {201},
        data={"book": BOOK_ID, "name": f"mixed-{ledger.run}-{index}"},
        files={"file": ("people.csv", _csv_file(ledger.run, 0), "text/csv")},
    )
    if created is None:
        return
    import_id = created.json()["id"]
    settings = {"key_column": "Key", "update_existing": True}
    if not ledger.call(
        "API PATCH import", session, "PATCH", f"{API}/imports/{import_id}", {200}, json=settings
    ):
        return
    number = 0
    while not done():
        number += 1
        if not ledger.call(
            "API PUT import file",
            session,
            "PUT",
            f"{API}/imports/{import_id}/file",
            {200},
            files={"file": ("people.csv", _csv_file(ledger.run, number), "text/csv")},
        ):
            continue
        ran = ledger.call("CSV run", session, "POST", f"{API}/imports/{import_id}/run", {200})
        if ran is None:
            continue
        run = ran.json()
        if run["status"] != "ok":
            ledger.fail(f"CSV run {number}: {json.dumps(run)[:300]}")
            continue
        with ledger.lock:
            ledger.csv_names = {_csv_name(ledger.run, row, number) for row in range(CSV_ROWS)}


def _csv_name(run: str, row: int, number: int) -> str:
    return f"Csvrow{run} R{row} N{number}"


def _csv_file(run: str, number: int) -> bytes:
    lines = ["Key,Name,Email"]
    lines += [
        f"k{row},{_csv_name(run, row, number)},csv{row}-{number}@example.org"
        for row in range(CSV_ROWS)
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def device_writer(
    ledger: Ledger, session: DavSession, rng: random.Random, index: int, done: Callable[[], bool]
) -> None:
    """Pushes a phone's book and applies it, again and again (new names each time)."""
    push = f"{API}/devices/{DEVICE}-{index}/push"
    number = 0
    while not done():
        number += 1
        names = {f"Phone{ledger.run} C{card} N{number}" for card in range(DEVICE_CARDS)}
        stream = "".join(
            _card(f"PHONE-{ledger.run}-{index}-{card}", f"Phone{ledger.run} C{card} N{number}")
            for card in range(DEVICE_CARDS)
        )
        if not ledger.call(
            "API device push", session, "POST", push, {200}, data=stream.encode(), headers=VCARD
        ):
            continue
        applied = ledger.call("API device apply", session, "POST", f"{push}/apply", {200})
        if applied is None:
            continue
        status = applied.json()["run"]["status"]
        if status not in ("ok", "no_changes"):
            ledger.fail(f"device apply {number}: status {status}")
            continue
        with ledger.lock:
            ledger.device_names = names


WORKERS: Mapping[str, Worker] = {
    "carddav": carddav_writer,
    "api": api_writer,
    "proppatch": proppatch_writer,
    "books": books_writer,
    "csv": csv_writer,
    "device": device_writer,
}


def shared_users(path: Path, users: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Write one users file for every server process, and return the [auth] settings that
    name it. Cheap bcrypt hashes (cost 4), and logins remembered for an hour: the store is
    what the mix exercises, and every process re-checking every client's password with a
    cost-12 hash at once when its cache expires would stall the mix for seconds on a
    small machine."""
    path.write_text(
        "".join(
            f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(4)).decode()}\n"
            for user, password in users.items()
        )
    )
    return {
        "auth": {
            "htpasswd_filename": str(path),
            "cache_logins": "True",
            "cache_successful_logins_expiry": "3600",
        }
    }


def prepare(servers: Sequence[DavServer]) -> None:
    """The books the mix writes to (the default book, made at the first request, and the
    target of MOVEs), and a first request of each kind to every server, so that the mix
    does not start with each process loading what it needs."""
    session = servers[0].session(USER)
    dav.propfind(session, f"/{USER}/", [dav.DISPLAYNAME], depth="0")
    dav.mkcol_addressbook(session, MOVED, "Moved here")
    for server in servers:
        session = server.session(USER)
        dav.propfind(session, BOOK, [dav.GETETAG], depth="1")
        for url in (f"{API}/books", f"{API}/imports", f"{API}/devices"):
            response = session.get(url)
            assert response.status_code == 200, (url, response.status_code, response.text[:300])


def run_mix(
    servers: Sequence[DavServer],
    seconds: float,
    mix: Mapping[str, int] = DEFAULT_MIX,
    *,
    seed: int = 12,
) -> Ledger:
    """Run the writers of `mix` for `seconds`, thread i on servers[i % len(servers)]."""
    ledger = Ledger()
    deadline = time.monotonic() + seconds

    def done() -> bool:
        return time.monotonic() >= deadline

    threads: list[threading.Thread] = []
    for kind, count in mix.items():
        for index in range(count):
            number = len(threads)
            session = servers[number % len(servers)].session(USER)
            rng = random.Random(seed * 1000 + number)

            def work(
                worker: Worker = WORKERS[kind],
                s: DavSession = session,
                r: random.Random = rng,
                i: int = index,
            ) -> None:
                try:
                    worker(ledger, s, r, i, done)
                except Exception as error:  # noqa: BLE001 - reported with the others
                    ledger.fail(f"{worker.__name__} {i}: {error!r}")

            threads.append(threading.Thread(target=work, name=f"{kind}-{index}"))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 300)
    if any(thread.is_alive() for thread in threads):
        ledger.fail("writer threads did not finish in time")
    return ledger


def check(server: DavServer, ledger: Ledger) -> list[str]:
    """What an acknowledged write promised and the store does not hold, in sentences."""
    session = server.session(USER)
    lost: list[str] = []
    held: dict[str, str | None] = {}
    for book in (BOOK, MOVED):
        for response in dav.propfind(session, book, [dav.GETETAG], depth="1"):
            if not response.href.endswith("/"):
                held[response.href] = response.etag
    for path, etag in sorted(ledger.contacts.items()):
        if etag == _UNKNOWN:
            continue
        if etag is None and path in held:
            lost.append(f"{path} was deleted or moved, and is still there")
        elif etag is not None and held.get(path) != etag:
            lost.append(f"{path} should have ETag {etag}, has {held.get(path)}")
    for book, name in sorted(ledger.names.items()):
        shown = dav.propfind_one(session, book, [dav.DISPLAYNAME]).text(dav.DISPLAYNAME)
        if shown != name:
            lost.append(f"{book} should be named {name!r}, is {shown!r}")
    children = {r.href for r in dav.propfind(session, f"/{USER}/", [dav.RESOURCETYPE], depth="1")}
    lost += [
        f"{book} was deleted and is still there" for book in sorted(ledger.gone_books & children)
    ]
    if ledger.csv_names is not None:
        found = _names(session, BOOK_ID, f"Csvrow{ledger.run}")
        if found != ledger.csv_names:
            lost.append(
                f"the CSV import's contacts are {sorted(found)}, not {sorted(ledger.csv_names)}"
            )
    if ledger.device_names is not None:
        found = _names(session, "from-ios", f"Phone{ledger.run}")
        if found != ledger.device_names:
            lost.append(
                f"the phone's contacts are {sorted(found)}, not {sorted(ledger.device_names)}"
            )
    return lost


def _names(session: DavSession, book_id: str, word: str) -> set[str]:
    response = session.get(f"{API}/books/{book_id}/contacts", params={"q": word, "limit": 100})
    assert response.status_code == 200, (response.status_code, response.text[:300])
    return {contact["display_name"] for contact in response.json()["contacts"]}


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
