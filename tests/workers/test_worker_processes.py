"""`contacthub worker` as processes: racing for the same runs, and dying in the middle of one."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time

from contacthub.config import DEFAULT_RUN_LEASE
from contacthub.jobs.runner import INTERRUPTED
from contacthub.jobs.scheduler import Scheduler
from contacthub.jobs.status import status_of
from contacthub.store import Store
from tests.conftest import StartContacthub
from tests.support.net import wait_until
from tests.workers.conftest import Hub, SlowSite, due_sync

SYNCS = 20


def runs_per_sync(hub: Hub) -> dict[int, list[str]]:
    store = Store.open(hub.store_url)
    with store.read() as tx:
        found = {
            source.id: [run.trigger for run in tx.runs_of(source.id)]
            for source in tx.list_sources()
        }
    store.close()
    return found


def test_two_workers_run_each_due_occurrence_exactly_once(
    hub: Hub, slow_site: tuple[SlowSite, str]
) -> None:
    site, base = slow_site
    for number in range(SYNCS):
        due_sync(hub, f"{base}/{number}.csv", f"sync {number}")
    site.requests.clear()
    site.delay = 0.2  # 4 s of fetching alone: both workers are up long before the end

    workers = [
        subprocess.Popen(
            hub.command("worker", "--once"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [worker.communicate(timeout=120) for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    runs = runs_per_sync(hub)
    assert len(runs) == SYNCS
    assert all(triggers == ["schedule"] for triggers in runs.values()), runs
    assert sorted(site.requests.values()) == [1] * SYNCS  # no file fetched twice
    ran = [out.count(": ok:") for out, _ in outputs]
    assert sum(ran) == SYNCS
    assert all(ran), f"one worker ran everything ({ran}): the two did not race"


def test_a_killed_worker_leaves_no_sync_running_for_ever(
    hub: Hub, slow_site: tuple[SlowSite, str]
) -> None:
    site, base = slow_site
    source = due_sync(hub, f"{base}/hangs.csv", "hanging")
    site.requests.clear()
    site.hold = threading.Event()  # the server does not answer
    worker = subprocess.Popen(
        hub.command("worker", "--interval", "1"), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        wait_until(
            lambda: site.requests["/hangs.csv"] == 1,
            timeout=60,
            what="the worker to start fetching",
            abort=lambda: "the worker exited" if worker.poll() is not None else None,
        )
        ctx = hub.context()
        with ctx.store.read() as tx:
            running = tx.require_source(source.id)
            assert status_of(tx, running, time.time()).status == "running"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        next_run_at = running.next_run_at
    finally:
        if worker.poll() is None:
            worker.kill()

    # Until the lease runs out it still looks running; then the next scheduler
    # (here with its clock past the lease) records the run as interrupted.
    later = hub.context(clock=time.time() + DEFAULT_RUN_LEASE + 1)
    Scheduler(later).recover()
    with later.store.read() as tx:
        after = tx.require_source(source.id)
        status = status_of(tx, after, later.now())
        runs = tx.runs_of(source.id)
    assert status.status == "failed" and status.text == f"failed: {INTERRUPTED}"
    assert [(run.status, run.trigger) for run in runs] == [("failed", "schedule")]
    assert after.next_run_at == next_run_at and after.next_run_at is not None
    later.store.close()
    ctx.store.close()


def test_serve_runs_due_syncs_itself(
    hub: Hub, slow_site: tuple[SlowSite, str], contacthub_factory: StartContacthub
) -> None:
    site, base = slow_site
    source = due_sync(hub, f"{base}/7.csv", "served")
    site.requests.clear()

    contacthub_factory(
        store_url=hub.store_url, config={"fetch": {"allowed_networks": "127.0.0.0/8"}}
    )

    wait_until(
        lambda: runs_per_sync(hub)[source.id] == ["schedule"],
        timeout=60,
        what="serve's scheduler to run the due sync",
    )
    store = Store.open(hub.store_url)
    with store.read() as tx:
        book = tx.require_collection(source.book_path)
        assert ["Person 7" in item.text for item in tx.iter_items(book.id)] == [True]
    store.close()
    assert site.requests["/7.csv"] == 1
