"""Password guessing against a real `contacthub serve` (issue 12, item 6).

    python benchmarks/password_guessing.py [--guess-window 60] [--window 20] [--guessers 32]
                                           [--door carddav|api] [--label NAME]

Starts `contacthub serve` on 127.0.0.1 (SQLite, its default [throttle] settings) trusting
127.0.0.1 as a proxy, so each request names the client address it stands for in
X-Forwarded-For. Then:

1. For `--guess-window` seconds each, guesses accepted, i.e. answered 401 (the password
   was checked), as opposed to 429 (refused unchecked while the throttle makes the client
   wait), with 8 connections guessing as fast as answers come: from one address at one
   account; from one address at many accounts (another account each guess); from many
   addresses at one account (a new address each guess). Reported: 401s, 401s per second
   over the window, 429s, and when the first 429 came.
2. For `--window` seconds each, a signed-in user's latency (alice from her own address,
   signed in first, PROPFIND Depth 0 of her home one after another; `--door api`: GET
   /api/v1/books) with nobody guessing, and while `--guessers` connections guess her
   password from another address: p50, p99 and max, and how many requests the user and
   the guessers made.

Run it against another tree (e.g. the code before the throttle) with that tree's
PYTHONPATH: the server is the `contacthub` command, which runs what PYTHONPATH names.
Results go to stdout and benchmarks/results/password_guessing[-LABEL].{md,json}.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.servers import ContacthubServer  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
ACCOUNTS = 8  # guessed at in turn by the "many accounts" run
USERS = {"alice": "alice-Secret-1", **{f"user{n}": f"user{n}-Secret" for n in range(ACCOUNTS)}}


@dataclass
class Guessing:
    scenario: str
    window: float
    checked: int  # answered 401
    refused: int  # answered 429
    first_refusal: float | None  # seconds into the window

    @property
    def per_second(self) -> float:
        return self.checked / self.window


@dataclass
class Latency:
    scenario: str
    requests: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    guesses: int


Target = Callable[[int], tuple[str, str]]  # guess number -> (address, account)


def guess_once(
    connection: requests.Session, url: str, door: str, address: str, account: str, number: int
) -> int:
    headers = {"X-Forwarded-For": address}
    auth = (account, f"wrong-{number}")
    if door == "api":
        answer = connection.get(f"{url}/api/v1/books", headers=headers, auth=auth, timeout=120)
    else:
        headers["Depth"] = "0"
        answer = connection.request(
            "PROPFIND", f"{url}/{account}/", headers=headers, auth=auth, timeout=120
        )
    return answer.status_code


def guess(
    server: ContacthubServer, door: str, target: Target, connections: int, stop: threading.Event
) -> tuple[list[tuple[float, int]], threading.Thread]:
    """Start `connections` guessing threads until `stop`; their (moment, status) answers."""
    answers: list[tuple[float, int]] = []
    numbers = itertools.count()
    lock = threading.Lock()

    def run() -> None:
        with requests.Session() as connection:
            while not stop.is_set():
                with lock:
                    number = next(numbers)
                address, account = target(number)
                status = guess_once(connection, server.url, door, address, account, number)
                answers.append((time.monotonic(), status))

    threads = [threading.Thread(target=run, daemon=True) for _ in range(connections)]
    for thread in threads:
        thread.start()

    def join() -> None:
        for thread in threads:
            thread.join()

    joiner = threading.Thread(target=join, daemon=True)
    joiner.start()
    return answers, joiner


def guessing(
    server: ContacthubServer, door: str, scenario: str, target: Target, window: float
) -> Guessing:
    stop = threading.Event()
    started = time.monotonic()
    answers, joiner = guess(server, door, target, 8, stop)
    time.sleep(window)
    stop.set()
    joiner.join()
    inside = [
        (moment - started, status) for moment, status in answers if moment - started <= window
    ]
    refusals = [moment for moment, status in inside if status == 429]
    unexpected = {status for _, status in inside} - {401, 429}
    if unexpected:
        raise RuntimeError(f"{scenario}: unexpected answers {unexpected}")
    return Guessing(
        scenario=scenario,
        window=window,
        checked=sum(status == 401 for _, status in inside),
        refused=len(refusals),
        first_refusal=round(min(refusals), 2) if refusals else None,
    )


def user_latency(
    server: ContacthubServer, door: str, scenario: str, guessers: int, window: float
) -> Latency:
    user = requests.Session()
    user.auth = ("alice", USERS["alice"])

    def ask() -> float:
        started = time.monotonic()
        if door == "api":
            answer = user.get(f"{server.url}/api/v1/books", timeout=300)
            expected = 200
        else:
            answer = user.request(
                "PROPFIND", f"{server.url}/alice/", headers={"Depth": "0"}, timeout=300
            )
            expected = 207
        if answer.status_code != expected:
            raise RuntimeError(f"{scenario}: the user got {answer.status_code}")
        return time.monotonic() - started

    ask()  # signed in before anybody guesses (and her login is cached)
    stop = threading.Event()
    answers: list[tuple[float, int]] = []
    joiner = None
    if guessers:
        # At her own account, from elsewhere: the account's delay must spare her.
        answers, joiner = guess(server, door, lambda _: ("203.0.113.1", "alice"), guessers, stop)
        time.sleep(1)  # the guessers are at it before the user starts
    took = []
    deadline = time.monotonic() + window
    while time.monotonic() < deadline or len(took) < 3:
        took.append(ask())
    stop.set()
    if joiner is not None:
        joiner.join()
    ms = sorted(seconds * 1000 for seconds in took)
    return Latency(
        scenario=scenario,
        requests=len(ms),
        p50_ms=round(statistics.median(ms), 1),
        p99_ms=round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1),
        max_ms=round(ms[-1], 1),
        guesses=len(answers),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guess-window", type=float, default=60.0, help="seconds per guessing run")
    parser.add_argument("--window", type=float, default=20.0, help="seconds per latency run")
    parser.add_argument("--guessers", type=int, default=32)
    parser.add_argument("--door", choices=("carddav", "api"), default="carddav")
    parser.add_argument("--label", default="", help="a name for this run in the results")
    args = parser.parse_args()
    results: dict[str, object] = {
        "label": args.label,
        "door": args.door,
        "load": os.getloadavg()[0],
    }
    guesses: list[Guessing] = []
    latencies: list[Latency] = []
    targets: dict[str, Target] = {
        "one address, one account": lambda _: ("198.51.100.1", "alice"),
        "one address, many accounts": lambda n: ("198.51.100.2", f"user{n % ACCOUNTS}"),
        "many addresses, one account": lambda n: (
            f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}",
            "alice",
        ),
    }
    # A fresh server for each run: the counts of one do not carry into the next.
    for scenario, target in targets.items():
        with running() as server:
            guesses.append(guessing(server, args.door, scenario, target, args.guess_window))
            print(guesses[-1], flush=True)
    with running() as server:
        latencies.append(user_latency(server, args.door, "nobody guessing", 0, args.window))
        print(latencies[-1], flush=True)
    with running() as server:
        scenario = f"{args.guessers} connections guessing from one address"
        latencies.append(user_latency(server, args.door, scenario, args.guessers, args.window))
        print(latencies[-1], flush=True)
    results["guessing"] = [{**asdict(g), "per_second": round(g.per_second, 2)} for g in guesses]
    results["latency"] = [asdict(latency) for latency in latencies]
    report(results, guesses, latencies, args)


def running() -> ContacthubServer:
    data = Path(tempfile.mkdtemp(prefix="guessing-"))
    return ContacthubServer(
        data / "data", USERS, config={"contacthub": {"trusted_proxy": "127.0.0.1"}}
    )


def report(
    results: dict[str, object],
    guesses: list[Guessing],
    latencies: list[Latency],
    args: argparse.Namespace,
) -> None:
    lines = [
        f"# Password guessing ({args.label or 'this tree'}, door {args.door}, "
        f"load {os.getloadavg()[0]:.1f} at the end)",
        "",
        f"| guessing (8 connections, {args.guess_window:g} s) | 401 (checked) | 401/s | 429 "
        "| first 429 at |",
        "| --- | --- | --- | --- | --- |",
        *(
            f"| {g.scenario} | {g.checked} | {g.per_second:.2f} | {g.refused} | "
            f"{'-' if g.first_refusal is None else f'{g.first_refusal} s'} |"
            for g in guesses
        ),
        "",
        f"| signed-in user (alice, {args.window:g} s) | requests | p50 ms | p99 ms | max ms "
        "| guesses meanwhile |",
        "| --- | --- | --- | --- | --- | --- |",
        *(
            f"| {lat.scenario} | {lat.requests} | {lat.p50_ms} | {lat.p99_ms} | "
            f"{lat.max_ms} | {lat.guesses} |"
            for lat in latencies
        ),
    ]
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    name = "password_guessing" + (f"-{args.label}" if args.label else "")
    (RESULTS / f"{name}.md").write_text(text + "\n")
    (RESULTS / f"{name}.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
