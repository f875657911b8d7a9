"""How far the runs started from the web page are, for their progress bars.

A run reports its phase and, while it reads the file, bytes read of the file's size.
The board lives in the process that runs the sync (the web page starts runs in a
thread of the server that serves the page), so it needs no store; when the run
ends, the board keeps its run's id for the page to show the report.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

STARTING, FETCHING, READING, SAVING, FINISHED = (
    "starting",
    "fetching",
    "reading",
    "saving",
    "finished",
)
PHASE_WORDS = {
    STARTING: "Starting",
    FETCHING: "Fetching the file",
    READING: "Reading the file",
    SAVING: "Saving the contacts",
    FINISHED: "Finished",
}


@dataclass(frozen=True)
class Progress:
    phase: str = STARTING
    done: int = 0
    total: int = 0
    run_id: int | None = None

    @property
    def fraction(self) -> float | None:
        """Between 0 and 1 while the file is read; None when there is no measure."""
        if self.phase == FINISHED:
            return 1.0
        if self.phase != READING or self.total <= 0:
            return None
        return min(self.done / self.total, 1.0)

    @property
    def words(self) -> str:
        return PHASE_WORDS.get(self.phase, self.phase)


class ProgressBoard:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs: dict[int, Progress] = {}

    def get(self, source_id: int) -> Progress | None:
        with self._lock:
            return self._runs.get(source_id)

    def start(self, source_id: int) -> None:
        with self._lock:
            self._runs[source_id] = Progress()

    def phase(self, source_id: int, phase: str) -> None:
        self._update(source_id, phase=phase, done=0, total=0)

    def finish(self, source_id: int, run_id: int | None) -> None:
        self._update(source_id, phase=FINISHED, run_id=run_id)

    def reader(self, source_id: int) -> Callable[[int, int], None]:
        """A progress callback for reading a file: bytes read, of the file's size."""

        def report(done: int, total: int) -> None:
            phase = SAVING if total and done >= total else READING
            self._update(source_id, phase=phase, done=done, total=total)

        return report

    def _update(self, source_id: int, **changes: object) -> None:
        with self._lock:
            current = self._runs.get(source_id)
            if current is not None:  # only runs started with start() are followed
                self._runs[source_id] = replace(current, **changes)  # type: ignore[arg-type]
