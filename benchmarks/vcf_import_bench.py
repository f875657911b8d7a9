"""Time and peak memory of `contacthub import FILE.vcf` of a 10,000-card file (issue 17).

    python benchmarks/vcf_import_bench.py [--cards 10000] [--photo-every 10]

Writes a .vcf the way phones and mail programs export one: a third Apple-like vCard 3.0
(UID, grouped labels), a third Android 2.1 (quoted-printable UTF-8 with a soft line
break and an encoded line break in the note, no UID), a third Google-like 3.0 without
UID or FN; every `--photo-every`th card with a 6 KB JPEG-sized photo, folded. Then runs
`contacthub import` into a new SQLite data directory in a process of its own, and again
with the same file (nothing to change), and prints each one's wall time and peak RSS
(os.wait4's ru_maxrss).
"""

from __future__ import annotations

import argparse
import base64
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

USER = "bench"


def fold(line: str) -> str:
    parts = [line[:75]]
    rest = line[75:]
    while rest:
        parts.append(" " + rest[:74])
        rest = rest[74:]
    return "\r\n".join(parts)


def card(n: int, photo: str | None) -> str:
    kind = n % 3
    photo_line = [fold(f"PHOTO;ENCODING=b;TYPE=JPEG:{photo}")] if photo else []
    if kind == 0:
        lines = [
            "VERSION:3.0",
            f"UID:apple-{n}",
            f"N:Family{n};Chloé;;;",
            f"FN:Chloé Family{n}",
            f"ORG:Company {n % 500};",
            f"item1.EMAIL;type=INTERNET;type=pref:chloe.{n}@example.org",
            "item1.X-ABLabel:_$!<Other>!$_",
            f"TEL;type=CELL;type=VOICE;type=pref:+1 555 {n:07d}",
            "ADR;type=HOME:;;1 Main Street;Springfield;;12345;USA",
        ]
    elif kind == 1:
        lines = [
            "VERSION:2.1",
            f"N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Schr=C3=B6der{n};J=C3=BCrgen;;;",
            f"FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen Schr=C3=B6der{n}",
            f"TEL;CELL:+49 171 {n:07d}",
            f"EMAIL;HOME:juergen{n}@example.de",
            "NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Erste Zeile=0D=0AZweite =",
            "Zeile",
        ]
    else:
        lines = [
            "VERSION:3.0",
            f"N:Ruiz{n};Tomás;;;",
            f"EMAIL;TYPE=INTERNET;TYPE=HOME:tomas{n}@example.es",
            f"TEL;TYPE=CELL:+34 612 {n:06d}",
            "CATEGORIES:myContacts",
        ]
    return "\r\n".join(["BEGIN:VCARD", *lines, *photo_line, "END:VCARD", ""])


def write_file(path: Path, cards: int, photo_every: int) -> None:
    photo = base64.b64encode(os.urandom(6000)).decode()
    with path.open("w", encoding="utf-8", newline="") as out:
        for n in range(cards):
            out.write(card(n, photo if photo_every and n % photo_every == 0 else None))


def measured(command: list[str], stdin: str | None = None) -> tuple[float, float, int, str]:
    """Wall and CPU seconds, peak RSS in bytes and output of the command in a process of
    its own (CPU time, as the machine may be shared)."""
    started = time.perf_counter()
    child = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert child.stdin is not None and child.stdout is not None
    if stdin is not None:
        child.stdin.write(stdin.encode())
    child.stdin.close()
    output = child.stdout.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status):
        sys.exit(f"{' '.join(command)} failed:\n{output}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cards", type=int, default=10_000)
    parser.add_argument("--photo-every", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        data.mkdir()
        vcf = Path(folder) / "people.vcf"
        write_file(vcf, args.cards, args.photo_every)
        contacthub = [sys.executable, "-m", "contacthub.cli"]
        measured([*contacthub, "user", "add", USER, "--data-dir", str(data)], "bench-password\n")
        print(f"{vcf.name}: {args.cards} cards, {vcf.stat().st_size / 1e6:.1f} MB")
        for label in ("first import", "same file again"):
            seconds, cpu, peak, output = measured(
                [*contacthub, "import", str(vcf), "--user", USER, "--data-dir", str(data)]
            )
            summary = next(line for line in output.splitlines() if line.startswith(("ok", "no")))
            print(
                f"{label}: {seconds:.1f} s ({cpu:.1f} s CPU), peak RSS {peak / 2**20:.0f} MiB "
                f"({summary})"
            )


if __name__ == "__main__":
    main()
