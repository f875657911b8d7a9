"""`serve` ends cleanly on SIGTERM whenever the stop comes once its handler is set, also
before waitress's loop began (a script may send it as soon as it reads "listening on"):
the scheduler and waitress's threads end, the store is closed, and it says "stopped"."""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path

import pytest

from contacthub.cli.common import load_settings, open_store
from contacthub.firstrun import ensure_first_admin, prepare_data_dir
from contacthub.serve import serve
from tests.support.net import free_port


def stop_now(_address: str) -> None:
    # What serve's SIGTERM handler raises, at the moment the signal comes.
    raise KeyboardInterrupt("SIGTERM")


def test_a_stop_before_waitress_loop_began_ends_cleanly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data_dir = tmp_path / "data"
    prepare_data_dir(data_dir, data_dir / "contacthub.conf")
    settings = load_settings(data_dir, None, port=free_port())
    store = open_store(settings)
    ensure_first_admin(settings, store)  # the users file, as a first start makes it
    closed: list[bool] = []
    close = store.close
    store.close = lambda: (closed.append(True), close())[1]  # type: ignore[method-assign]
    before = set(threading.enumerate())
    handler = signal.getsignal(signal.SIGTERM)
    caplog.set_level(logging.INFO, logger="contacthub")
    try:
        serve(settings, store, announce=False, welcome=stop_now)
    except KeyboardInterrupt:
        pytest.fail("the stop went out of serve: the process would end with status 1")
    finally:
        signal.signal(signal.SIGTERM, handler)

    assert closed == [True]
    assert [t.name for t in set(threading.enumerate()) - before if t.is_alive()] == []
    assert "stopped" in [record.getMessage() for record in caplog.records]
