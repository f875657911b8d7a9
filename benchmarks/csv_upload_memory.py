"""Peak memory and time of reading an ordinary 100 MB CSV upload (issue 12, item 11).

    python benchmarks/csv_upload_memory.py [--megabytes 100]

Builds a 10-column UTF-8 file of about the given size in memory (as an upload arrives),
then does what an upload and a run do with it: detect encoding and delimiter, read the
header and the preview (services.imports.opened_csv, sources.csv.source.view), and stream
every row through the mapping. Prints wall time and the process's peak RSS
(resource.getrusage), which includes the upload's bytes themselves.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from contacthub.sources.csv import CsvFile, contact_rows, suggest_mapping

HEADER = (
    b"ID,First Name,Last Name,E-mail Address,Mobile Phone,Company,Job Title,City,Birthday,Notes\n"
)


def build(megabytes: int) -> bytes:
    """The file's bytes, written to disk row by row and read back whole, as an upload is
    held: building it does not raise the peak above the upload's own size."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.csv"
        with path.open("wb") as handle:
            handle.write(HEADER)
            n = 0
            while handle.tell() < megabytes * 1024 * 1024:
                handle.write(
                    f"{n},Chloé,Family{n},chloe.{n}@example.org,+1 555 {n:07d},"
                    f"Company {n % 500},Engineer,Springfield,1980-0{n % 9 + 1}-1{n % 9},"
                    f"Met at event {n % 97}\n".encode()
                )
                n += 1
        return path.read_bytes()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--megabytes", type=int, default=100)
    args = parser.parse_args()
    baseline = peak_rss_mb()
    content = build(args.megabytes)
    with_file = peak_rss_mb()
    started = time.perf_counter()
    csv_file = CsvFile(content)
    preview = csv_file.preview(10)
    rows = sum(1 for _ in contact_rows(csv_file, suggest_mapping(csv_file.header)))
    elapsed = time.perf_counter() - started
    print(
        f"{len(content) / 1024 / 1024:.0f} MB, {rows:,} rows ({len(preview)} in the preview), "
        f"{csv_file.encoding}: read in {elapsed:.1f} s; peak RSS {peak_rss_mb():.0f} MB "
        f"(interpreter {baseline:.0f} MB, with the upload's bytes {with_file:.0f} MB)"
    )


if __name__ == "__main__":
    main()
