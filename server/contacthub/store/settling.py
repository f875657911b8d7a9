"""Published runs settled by threads of the store, after the caller has its answer.

A run is complete for everyone once it is published: readers see all of it
(store/visible.py). Settling it (store/staging.py) moves its rows into their place and
changes nothing anyone sees, but it writes every card's rows once more: for a restore of
10,000 cards that is half of the apply's time. A restore or an undo hands it to a thread
here, so the person who asked has the answer when the cards are back. The next run of the
book settles what is left if the thread could not finish (its process ended); closing the
store waits for the threads, so a command or a test ends with its runs settled.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Settlers:
    def __init__(self) -> None:
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()

    def start(self, name: str, settle: Callable[[], None]) -> None:
        def run() -> None:
            try:
                settle()
            except Exception:
                # Nothing anyone sees depends on it: the next run of the book settles.
                logger.exception("%s failed", name)

        thread = threading.Thread(target=run, name=name, daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def join(self) -> None:
        """Wait for every thread started so far."""
        with self._lock:
            threads = list(self._threads)
        for thread in threads:
            thread.join()
