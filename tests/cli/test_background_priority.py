"""`contacthub import` and `contacthub worker` lower their own CPU priority by
`[contacthub] background_nice` (10 by default), so a big import runs on what `serve`'s
requests leave (benchmarks/load_test.py measures what that does to phones' syncs)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner

from contacthub.cli import main
from tests.support.net import wait_until

CSV = "Name,Email\r\nAnn Example,ann@example.org\r\n"
# The line in [contacthub], and how much it lowers the priority by.
SETTINGS = {
    "default": ("", 10),
    "off": ("background_nice = 0\n", 0),
    "lowest": ("background_nice = 19\n", 19),
}


@pytest.fixture(params=SETTINGS)
def data_dir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    added = CliRunner().invoke(
        main, ["user", "add", "ann", "--data-dir", str(data_dir)], input="secret-long-enough\n"
    )
    assert added.exit_code == 0, added.output
    with open(data_dir / "contacthub.conf", "a", encoding="utf-8") as conf:
        conf.write(f"\n[contacthub]\n{SETTINGS[request.param][0]}")
    return data_dir


@pytest.fixture
def expected_priority(request: pytest.FixtureRequest) -> int:
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    _line, lowered_by = SETTINGS[request.node.callspec.params["data_dir"]]
    return min(ours + lowered_by, 19)


def command(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "contacthub.cli", *args, "--data-dir", str(data_dir)]


def opened_for_writing(fifo: Path, opened: list[int]) -> bool:
    try:
        opened.append(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    except OSError:  # ENXIO: nobody reads it yet
        return False
    return True


def test_an_import_reads_its_file_at_the_lower_priority(
    data_dir: Path, tmp_path: Path, expected_priority: int
) -> None:
    fifo = tmp_path / "people.csv"
    os.mkfifo(fifo)
    argv = command(data_dir, "import", str(fifo), "--format", "csv", "--user", "ann")
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # The pipe opens for writing once the import opens it to read the rows.
        writer: list[int] = []
        wait_until(
            lambda: opened_for_writing(fifo, writer),
            timeout=60,
            what="the import to open its file",
            abort=lambda: "the import exited" if process.poll() is not None else None,
        )
        priority = os.getpriority(os.PRIO_PROCESS, process.pid)
        os.write(writer[0], CSV.encode())
        os.close(writer[0])
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0, err
    assert "1 added" in out
    assert priority == expected_priority


@contextmanager
def running_worker(data_dir: Path, own_session: bool = False) -> Iterator[int]:
    """A `contacthub worker` (in a session of its own, as systemd and cron start one),
    once it has lowered its priority and opened the store: its pid."""
    process = subprocess.Popen(
        command(data_dir, "worker", "--interval", "60"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=own_session,
    )
    try:
        assert process.stderr is not None
        # The line it says once it has lowered it and opened the store.
        started = next(line for line in process.stderr if "running due syncs" in line)
        assert started.startswith("contacthub worker ")
        yield process.pid
    finally:
        process.terminate()
        process.wait(timeout=30)


def session_nice(pid: int | str) -> int:
    """The nice value of the scheduling group of `pid`'s session (sched(7), autogroup:
    these tests need a kernel built with it, as Debian's and this project's CI's are)."""
    return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])


def test_a_worker_runs_at_the_lower_priority(data_dir: Path, expected_priority: int) -> None:
    with running_worker(data_dir) as pid:
        priority = os.getpriority(os.PRIO_PROCESS, pid)

    assert priority == expected_priority


def test_a_worker_leading_its_session_lowers_the_session_too(
    data_dir: Path, expected_priority: int, request: pytest.FixtureRequest
) -> None:
    # Beside `serve` in another session, only the session's own value weighs.
    lowered = SETTINGS[request.node.callspec.params["data_dir"]][1] > 0
    with running_worker(data_dir, own_session=True) as pid:
        nice = session_nice(pid)

    assert nice == (expected_priority if lowered else 0)


def test_a_worker_started_from_a_session_leaves_the_session_as_it_was(data_dir: Path) -> None:
    # The group's name and nice value, or nothing at all where the session is in the root
    # group (the session of init, as a CI runner's may be).
    ours = Path("/proc/self/autogroup").read_text()
    with running_worker(data_dir) as pid:
        assert Path(f"/proc/{pid}/autogroup").read_text() == ours

    assert Path("/proc/self/autogroup").read_text() == ours
