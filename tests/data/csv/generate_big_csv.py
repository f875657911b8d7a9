"""Write a large, realistic contacts CSV (default 50 MB) for streaming and speed tests.

    python tests/data/csv/generate_big_csv.py OUT.csv [SIZE_IN_MB]

Deterministic: the same size gives the same bytes. Every 1,000th row has a quoted note with
an embedded newline and a comma, so the line numbers of later rows differ from row numbers.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

HEADER = (
    "First Name,Last Name,E-mail Address,Mobile Phone,Company,Job Title,"
    "Business City,Business Postal Code,Birthday,Notes"
)
_GIVEN = ("Anna", "Ben", "Chloé", "Dmitri", "Eva", "François", "Grace", "Hiro", "Ines", "Jürgen")
_FAMILY = ("Smith", "Müller", "García", "Nakamura", "O'Brien", "Kowalski", "Dubois", "Rossi")
_COMPANIES = ("Acme Ltd", "Globex", "Initech", "Umbrella", "Stark Industries", "Wayne Enterprises")
_CITIES = ("London", "München", "Paris", "Osaka", "Kraków", "Roma")


def row(number: int, rng: random.Random) -> str:
    given, family = rng.choice(_GIVEN), rng.choice(_FAMILY)
    notes = f'"Row {number}, with a comma\nand a second line"' if number % 1000 == 0 else ""
    email = f"{given.lower()}.{number}@example.com"
    return (
        f"{given},{family},{email},+44 7700 {number % 1000000:06d},"
        f"{rng.choice(_COMPANIES)},Engineer,{rng.choice(_CITIES)},{10000 + number % 89999},"
        f"19{50 + number % 50}-{1 + number % 12:02d}-{1 + number % 28:02d},{notes}"
    )


def write_big_csv(path: Path, size: int = 50 * 1024 * 1024) -> int:
    """Write rows until the file reaches ``size`` bytes; return the number of data rows."""
    rng = random.Random(size)
    written = 0
    number = 0
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\r\n")
        written += len(HEADER) + 2
        while written < size:
            number += 1
            line = row(number, rng) + "\r\n"
            out.write(line)
            written += len(line.encode())
    return number


if __name__ == "__main__":
    megabytes = float(sys.argv[2]) if len(sys.argv) > 2 else 50.0
    print(write_big_csv(Path(sys.argv[1]), int(megabytes * 1024 * 1024)), "rows")
