"""CardDAV PUTs with the history (every write keeps a version) against the code before it.

    python benchmarks/history_put.py [--contacts 10000] [--rounds 2] [--postgres]
                                     [--baseline REF]
    python benchmarks/history_put.py --profile [--contacts 2000] [--postgres]

Side by side in one run: the CardDAV application of this tree and of REF (default: the
commit this branch left `main` at, exported with `git archive` to a temporary directory;
`off`: this tree with what the history adds to a write switched off in the process, no
version written or read for it and no watch on clients that delete too much, which
isolates the history's cost from everything else that changed since a commit before it),
each in a process of its own over a fresh store, in turn (A B A B ...). Each process
drives the whole CardDAV stack in-process (the guard, Radicale, the storage plugin, the
store) through its WSGI interface, so the figures are the server's work without a
network: N new contacts (PUT, If-None-Match: *), the same N updated (PUT: a version with
the card kept), then N deleted (DELETE: a version with the card kept). Prints the median
wall time of each kind of request in ms and the CPU time of the process per request
(which other load on a shared machine inflates far less than wall time; SQLite runs in
the process, PostgreSQL's own work is not in it), each with the ratio this tree / REF.

Target from issue 13: a PUT with the history costs at most 10% more than without.

`--profile` runs this tree's measurement alone, in this process under cProfile, and
prints where the time of each kind of request goes (cumulative, the top 40 functions).
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PASSWORD = "alice-Secret-1"
AGENT = "DAVx5/4.4.2-ose (2024/05/01; dav4jvm; okhttp/4.12.0) Android/14"


def card(n: int, version: int) -> bytes:
    return (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//bench//EN\r\n"
        f"UID:bench-{n}\r\nN:Family{n};Given{n};;;\r\nFN:Given{n} Family{n} v{version}\r\n"
        f"EMAIL;TYPE=INTERNET:given{n}@example.org\r\nTEL;TYPE=CELL:+1 555 {n:07d}\r\n"
        f"ORG:Company {n % 500}\r\nNOTE:version {version}\r\nEND:VCARD\r\n"
    ).encode()


def switch_history_off() -> None:
    """This tree without what the history adds to a client's write (the `off` baseline)."""
    from sqlalchemy import bindparam

    from contacthub.carddav.mass_delete import DeletionWatch
    from contacthub.store import items as items_part
    from contacthub.store.schema import items
    from contacthub.store.versions import VersionsPart

    VersionsPart.record_versions = lambda self, collection_id, written: None  # type: ignore[method-assign]
    VersionsPart.item_image = lambda self, item_id: None  # type: ignore[method-assign]
    items_part.DELETE_RETURNING_IMAGE = (
        items.delete().where(items.c.id == bindparam("item_id")).returning(items.c.id)
    )
    DeletionWatch.deleted = lambda self, deletions: None  # type: ignore[method-assign]


def child(
    store_url: str, contacts: int, profiles: dict[str, cProfile.Profile] | None = None
) -> dict[str, list[float]]:
    """The measurement, with whatever `contacthub` the PYTHONPATH gives."""
    import bcrypt
    from werkzeug.test import Client

    from contacthub import config
    from contacthub.carddav.app import make_carddav_app
    from contacthub.store import Store

    data_dir = Path(tempfile.mkdtemp(prefix="history-put-"))
    settings = config.load(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    settings.users_file.write_text(f"alice:{hashed}\n")
    store = Store.open(store_url)
    client = Client(make_carddav_app(settings, store))
    auth = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    headers = {"Authorization": f"Basic {auth}", "User-Agent": AGENT}
    assert client.open("/alice/", method="PROPFIND", headers=headers).status_code == 207
    took: dict[str, list[float]] = {"create": [], "update": [], "delete": []}
    for kind, version in (("create", 1), ("update", 2), ("delete", 0)):
        profile = profiles.setdefault(kind, cProfile.Profile()) if profiles is not None else None
        if profile is not None:
            profile.enable()
        cpu = time.process_time()
        for n in range(contacts):
            path = f"/alice/contacts/bench-{n}.vcf"
            began = time.perf_counter()
            if kind == "delete":
                answer = client.delete(path, headers=headers)
            else:
                answer = client.put(
                    path,
                    data=card(n, version),
                    headers={
                        **headers,
                        "Content-Type": "text/vcard; charset=utf-8",
                        **({"If-None-Match": "*"} if kind == "create" else {}),
                    },
                )
            took[kind].append(time.perf_counter() - began)
            assert answer.status_code in (200, 201, 204), (kind, answer.status_code)
        took[f"{kind} cpu"] = [(time.process_time() - cpu) / contacts]
        if profile is not None:
            profile.disable()
    store.close()
    return took


def export_tree(ref: str) -> Path:
    target = Path(tempfile.mkdtemp(prefix="history-baseline-"))
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref], capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    return target


def merge_base() -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), "merge-base", "HEAD", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def run_child(
    tree: Path, store_url: str, contacts: int, *, history_off: bool = False
) -> dict[str, list[float]]:
    env = {
        **os.environ,
        "PYTHONPATH": f"{tree / 'server'}:{tree / 'plugins'}:{ROOT}",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    off = ["--history-off"] if history_off else []
    out = subprocess.run(
        [sys.executable, __file__, "--child", store_url, "--contacts", str(contacts), *off],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found: dict[str, list[float]] = json.loads(out.strip().splitlines()[-1])
    return found


def profile_this_tree(store_url: str, contacts: int) -> None:
    profiles: dict[str, cProfile.Profile] = {}
    took = child(store_url, contacts, profiles)
    for kind, profile in profiles.items():
        print(f"\n## {kind}: {took[f'{kind} cpu'][0] * 1000:.3f} ms CPU a request\n")
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--postgres", action="store_true", help="a private PostgreSQL")
    parser.add_argument(
        "--baseline",
        default=None,
        help="git ref (default: merge-base with main), or off: this tree, the history off",
    )
    parser.add_argument("--profile", action="store_true", help="this tree alone, profiled")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--history-off", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        if args.history_off:
            switch_history_off()
        print(json.dumps(child(args.child, args.contacts)))
        return
    from tests.support.postgres import PostgresServer

    if args.profile:
        postgres = PostgresServer().start() if args.postgres else None
        try:
            url = (
                postgres.create_database()
                if postgres is not None
                else f"sqlite:///{tempfile.mkdtemp(prefix='history-put-db-')}/store.db"
            )
            profile_this_tree(url, args.contacts)
        finally:
            if postgres is not None:
                postgres.stop()
        return
    ref = args.baseline or merge_base()
    trees = {"history": ROOT, "before": ROOT if ref == "off" else export_tree(ref)}
    postgres = PostgresServer().start() if args.postgres else None
    samples: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
    load_before = os.getloadavg()
    try:
        for _ in range(args.rounds):
            for name, tree in trees.items():
                if postgres is not None:
                    url = postgres.create_database()
                else:
                    url = f"sqlite:///{tempfile.mkdtemp(prefix='history-put-db-')}/store.db"
                off = name == "before" and ref == "off"
                for kind, seconds in run_child(tree, url, args.contacts, history_off=off).items():
                    samples[name].setdefault(kind, []).extend(seconds)
    finally:
        if postgres is not None:
            postgres.stop()
    store = "PostgreSQL" if postgres is not None else "SQLite"
    loads = ", ".join(f"{load:.1f}" for load in (*load_before[:1], *os.getloadavg()))
    print(f"{store}, {args.contacts} contacts, {args.rounds} rounds; before = {ref[:12]}")
    print(f"load average at the start, then 1, 5 and 15 min at the end: {loads}\n")
    print(
        "| request | history median ms | before median ms | ratio | history CPU ms "
        "| before CPU ms | CPU ratio |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for kind in ("create", "update", "delete"):
        a, b = samples["history"][kind], samples["before"][kind]
        ma, mb = statistics.median(a), statistics.median(b)
        ca = statistics.median(samples["history"][f"{kind} cpu"])
        cb = statistics.median(samples["before"][f"{kind} cpu"])
        print(
            f"| {kind} | {ma * 1000:.3f} | {mb * 1000:.3f} | {ma / mb:.3f} "
            f"| {ca * 1000:.3f} | {cb * 1000:.3f} | {ca / cb:.3f} |"
        )


if __name__ == "__main__":
    main()
