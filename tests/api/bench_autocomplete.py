"""Autocomplete at 10,000 contacts: `python -m tests.api.bench_autocomplete [sqlite|postgresql]`.

Fills one book of alice's with 10,000 cards (8,000 with an email address),
then times GET /api/v1/autocomplete through the Flask app (authentication
cached, as for a client typing) for prefixes of different selectivity.
Not a test: it prints figures for the notes.
"""

from __future__ import annotations

import base64
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from contacthub.config import Settings
from contacthub.store import Store
from contacthub.vcard.parse import item_data
from contacthub.web import create_app
from tests.api.conftest import write_users
from tests.support.postgres import PostgresServer

GIVEN = [
    "Ann",
    "Anna",
    "Andrew",
    "Bob",
    "Carla",
    "Dieter",
    "Eve",
    "Frank",
    "Grace",
    "Hana",
    "Ivan",
    "Jean-Luc",
    "Kim",
    "Lena",
    "Marta",
    "Nils",
    "Olga",
    "Paul",
    "Rosa",
    "Sven",
]
FAMILY = [
    "Smith",
    "Andersen",
    "Brown",
    "Müller",
    "Garcia",
    "Ng",
    "O'Brien",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Novak",
    "Kowalski",
    "Dubois",
    "Silva",
    "Jensen",
    "Ivanova",
]


def fill(store: Store, count: int) -> None:
    rng = random.Random(7)
    cards = []
    for n in range(count):
        name = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)} {n}"
        lines = [
            "BEGIN:VCARD",
            "VERSION:3.0",
            f"UID:bench-{n}",
            f"FN:{name}",
            f"TEL:+44 20 7946 {n:04d}",
            f"ORG:Company {n % 300}",
        ]
        if n % 5:
            lines.append(f"EMAIL:{name.split()[0].lower()}.{n}@example.org")
        text = "\r\n".join([*lines, "END:VCARD", ""])
        cards.append((f"bench-{n}.vcf", item_data(text)))
    with store.write() as tx:
        book = tx.ensure_default_book("alice")
        tx.add_items(book, cards)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="contacthub-bench-"))
    if sys.argv[1:] == ["postgresql"]:
        with PostgresServer() as server:
            run(work, server.create_database())
    else:
        run(work, f"sqlite:///{work / 'store.db'}")


def run(work: Path, url: str) -> None:
    store = Store.open(url)
    write_users(work / "users", {"alice": "pw"})
    settings = Settings(
        data_dir=work,
        config_file=work / "c.conf",
        radicale={"auth": {"htpasswd_filename": str(work / "users")}},
    )
    fill(store, 10_000)
    client = create_app(settings, store).test_client()
    headers = {"Authorization": "Basic " + base64.b64encode(b"alice:pw").decode()}
    print(f"store: {url.split(':')[0]}, 10,000 contacts")
    for query in ("a", "an", "ann", "jean", "sm", "ivan", "zz"):
        times = []
        for _ in range(30):
            started = time.perf_counter()
            response = client.get(f"/api/v1/autocomplete?q={query}", headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        found = len(response.get_json()["suggestions"])
        times.sort()
        print(
            f"q={query!r:7} {found:2} suggestions  median {statistics.median(times):6.1f} ms"
            f"  p95 {times[int(len(times) * 0.95) - 1]:6.1f} ms"
        )
    store.close()


if __name__ == "__main__":
    main()
