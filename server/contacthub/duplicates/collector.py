"""Python's cycle collector paused while a find builds its hundreds of thousands of
tuples: each allocation burst made the collector walk them again and again (with it
running, a first find over 100,000 contacts spent a third of its CPU time there). What a
find builds holds no reference cycles; the collector runs again when the last find of the
process ends, and collects whatever cycles others made meanwhile.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_finds = 0
_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    global _finds, _was_enabled
    with _lock:
        if _finds == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _finds += 1
    try:
        yield
    finally:
        with _lock:
            _finds -= 1
            if _finds == 0 and _was_enabled:
                gc.enable()
