"""`contacthub serve` leaves what its start built out of Python's garbage collections
(gc.freeze): a full collection walked those ~180,000 objects, pausing every request of
the process for 90-160 ms (benchmarks/README.md, load_test.py)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from tests.conftest import USERS
from tests.support import dav
from tests.support.servers import ContacthubServer

# Imported by `serve` at its start (Python imports `sitecustomize` from its path): it
# writes the count of frozen objects to a file, over and over.
PROBE = """
import gc, os, threading, time

def _write_frozen_count():
    path = os.environ["FROZEN_COUNT_FILE"]
    while True:
        with open(path + ".new", "w") as out:
            out.write(str(gc.get_freeze_count()))
        os.replace(path + ".new", path)
        time.sleep(0.05)

threading.Thread(target=_write_frozen_count, daemon=True).start()
"""


def test_serve_freezes_what_its_start_built(tmp_path: Path) -> None:
    probe = tmp_path / "probe"
    probe.mkdir()
    (probe / "sitecustomize.py").write_text(PROBE)
    count_file = tmp_path / "frozen"
    path = os.pathsep.join(p for p in (str(probe), os.environ.get("PYTHONPATH", "")) if p)
    env = {"PYTHONPATH": path, "FROZEN_COUNT_FILE": str(count_file)}
    with ContacthubServer(tmp_path / "data", {"alice": USERS["alice"]}, env=env) as server:
        session = server.session("alice", USERS["alice"])
        assert dav.propfind_raw(session, "/alice/", [dav.DISPLAYNAME], depth="1").status_code == 207
        frozen = frozen_count_once_written(count_file)
    assert frozen > 20_000, frozen  # 0 when nothing is frozen


def frozen_count_once_written(count_file: Path) -> int:
    """The probe's count, once it is not 0 (its last write may be from before the start's
    freeze: it writes every 50 ms), or after 10 s what it last wrote."""
    deadline = time.monotonic() + 10
    while True:
        frozen = int(count_file.read_text()) if count_file.exists() else 0
        if frozen or time.monotonic() > deadline:
            return frozen
        time.sleep(0.05)
