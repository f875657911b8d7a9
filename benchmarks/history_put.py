"""CardDAV PUTs with the history (every write keeps a version) against the code before it.

    python benchmarks/history_put.py [--contacts 10000] [--rounds 2] [--postgres]
                                     [--baseline REF]

Side by side in one run: the CardDAV application of this tree and of REF (default: the
commit this branch left `main` at, exported with `git archive` to a temporary directory),
each in a process of its own over a fresh store, in turn (A B A B ...). Each process
drives the whole CardDAV stack in-process (the guard, Radicale, the storage plugin, the
store) through its WSGI interface, so the figures are the server's work without a
network: N new contacts (PUT, If-None-Match: *), the same N updated (PUT: a version with
the card kept), then N deleted (DELETE: a version with the card kept). Prints the median
wall time of each kind of request in ms and the CPU time of the process per request
(which other load on a shared machine inflates far less than wall time; SQLite runs in
the process, PostgreSQL's own work is not in it), each with the ratio this tree / REF.

Target from issue 13: a PUT with the history costs at most 10% more than without.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
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


def child(store_url: str, contacts: int) -> dict[str, list[float]]:
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


def run_child(tree: Path, store_url: str, contacts: int) -> dict[str, list[float]]:
    env = {
        **os.environ,
        "PYTHONPATH": f"{tree / 'server'}:{tree / 'plugins'}:{ROOT}",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    out = subprocess.run(
        [sys.executable, __file__, "--child", store_url, "--contacts", str(contacts)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found: dict[str, list[float]] = json.loads(out.strip().splitlines()[-1])
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--postgres", action="store_true", help="a private PostgreSQL")
    parser.add_argument("--baseline", default=None, help="git ref (default: merge-base with main)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.contacts)))
        return
    from tests.support.postgres import PostgresServer

    ref = args.baseline or merge_base()
    trees = {"history": ROOT, "before": export_tree(ref)}
    postgres = PostgresServer().start() if args.postgres else None
    samples: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
    try:
        for _ in range(args.rounds):
            for name, tree in trees.items():
                if postgres is not None:
                    url = postgres.create_database()
                else:
                    url = f"sqlite:///{tempfile.mkdtemp(prefix='history-put-db-')}/store.db"
                for kind, seconds in run_child(tree, url, args.contacts).items():
                    samples[name].setdefault(kind, []).extend(seconds)
    finally:
        if postgres is not None:
            postgres.stop()
    store = "PostgreSQL" if postgres is not None else "SQLite"
    print(f"{store}, {args.contacts} contacts, {args.rounds} rounds; before = {ref[:12]}\n")
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
