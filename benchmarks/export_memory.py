"""Peak memory and time of `contacthub export` of a 100,000-contact book (issue 17).

    python benchmarks/export_memory.py [--contacts 100000] [--formats vcf google-csv]

Makes a data directory with one user and one book of realistic vCard 3.0 contacts (name,
two emails, two phones, an address, organisation, birthday, a note, categories: about
600 bytes each), written straight into the store. Then runs `contacthub export` of the
book once per format, each in a process of its own writing to a file, and prints its
wall time, the file's size and the process's peak RSS (os.wait4's ru_maxrss), to set
against the target: under 200 MB. The store is filled by a child process too: a child
forked from a process that holds much counts those pages in its peak until it execs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

USER = "bench"
BATCH = 5000


def card(n: int) -> Any:
    from contacthub.store import ContactIndex, ItemData

    name = f"Chloé Family{n}"
    emails = (f"chloe.{n}@example.org", f"c{n}@work.example")
    phones = (f"+1 555 {n:07d}", f"+1 555 9{n:06d}")
    org = f"Company {n % 500}"
    text = "\r\n".join(
        [
            "BEGIN:VCARD",
            "VERSION:3.0",
            f"UID:bench-{n}",
            f"FN:{name}",
            f"N:Family{n};Chloé;;;",
            f"EMAIL;TYPE=INTERNET,HOME,PREF:{emails[0]}",
            f"EMAIL;TYPE=INTERNET,WORK:{emails[1]}",
            f"TEL;TYPE=CELL:{phones[0]}",
            f"TEL;TYPE=WORK,VOICE:{phones[1]}",
            f"ORG:{org};Sales",
            "TITLE:Engineer",
            f"ADR;TYPE=HOME:;;{n} Main Street;Springfield;IL;62701;USA",
            f"BDAY:1980-0{n % 9 + 1}-1{n % 9}",
            f"NOTE:Met at event {n % 97}\\, talked about the project.\\nCall back in spring.",
            "CATEGORIES:Customers,Newsletter",
            "URL:https://example.org/people/" + str(n),
            "END:VCARD",
            "",
        ]
    )
    index = ContactIndex(
        display_name=name,
        fn=(name,),
        emails=emails,
        phones=phones,
        orgs=(org, "Sales"),
        extra=("Customers", "Newsletter"),
    )
    return ItemData(text, f"bench-{n}", "VCARD", "", index=index)


def fill(data_dir: Path, contacts: int) -> None:
    from contacthub.store import Actor, Store

    store = Store.open(f"sqlite:///{data_dir / 'contacthub.db'}")
    with store.write(actor=Actor(USER, "cli")) as tx:
        if tx.get_collection(USER) is None:
            tx.create_collection(USER, {})
        tx.create_collection(f"{USER}/big", {"tag": "VADDRESSBOOK", "D:displayname": "Big book"})
    for start in range(0, contacts, BATCH):
        with store.write(actor=Actor(USER, "cli")) as tx:
            book = tx.require_collection(f"{USER}/big")
            hrefs = range(start, min(start + BATCH, contacts))
            tx.add_items(book, [(f"{n:07d}.vcf", card(n)) for n in hrefs])
    store.close()


def contacthub(*args: str) -> list[str]:
    return [sys.executable, "-m", "contacthub.cli", *args]


def export(data_dir: Path, file_format: str, out: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one `contacthub export` process."""
    started = time.perf_counter()
    process = subprocess.Popen(
        contacthub(
            "export",
            "--user",
            USER,
            "--book",
            "big",
            "--format",
            file_format,
            "--output",
            str(out),
            "--data-dir",
            str(data_dir),
        ),  # fmt: skip
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"export {file_format} failed ({process.returncode})")
    return time.perf_counter() - started, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--formats", nargs="+", default=["vcf", "google-csv"])
    parser.add_argument("--fill", type=Path, help=argparse.SUPPRESS)  # the child's work
    args = parser.parse_args()
    if args.fill:
        fill(args.fill, args.contacts)
        return
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        subprocess.run(
            contacthub("user", "add", USER, "--data-dir", str(data_dir)),
            input=b"bench-password-long\n",
            check=True,
            capture_output=True,
        )
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--fill", str(data_dir), "--contacts", str(args.contacts)],
            check=True,
        )
        print(f"{args.contacts:,} contacts stored in {time.perf_counter() - started:.0f} s")
        for file_format in args.formats:
            out = data_dir / f"export.{file_format}"
            seconds, peak = export(data_dir, file_format, out)
            size = out.stat().st_size / 1024 / 1024
            print(f"{file_format}: {size:.0f} MB in {seconds:.1f} s, peak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
