"""What the loopback EWS endpoint does wrong on purpose: a plan of faults a test gives it.

Each fault hits requests of one operation by their number, counted from when the plan was given
(``nth=2``: the second CreateItem from then on), ``times`` of them in a row (None: every one
from the nth on). Exchange does each of these to clients:

* ``error(op, code)``: every response message of the request is an error with ``code``
  (ErrorInternalServerError, ErrorAccessDenied, ErrorFolderNotFound...); nothing is changed;
* ``busy(op, back_off_ms)``: the SOAP fault of throttling, ``ErrorServerBusy`` with a
  ``BackOffMilliseconds`` value in its MessageXml (HTTP 500); nothing is changed;
* ``drop(op)``: the connection is closed without an answer before the request is carried
  out; ``drop(op, after=True)``: after it is (a timeout between Exchange and the client:
  the change is made, the client never learns its item id);
* ``expire_token(op)``: the bearer token of the request is no longer accepted, from this
  request on (HTTP 401), as when Exchange Online ends a token before the client expects.

    ews.plan(Fault.error("CreateItem", "ErrorInternalServerError", nth=2))
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    operation: str
    kind: str  # "error", "busy", "drop", "drop-after" or "expire-token"
    nth: int = 1
    times: int | None = 1
    code: str = ""  # of an "error"
    back_off_ms: int = 0  # of a "busy"

    @classmethod
    def error(cls, operation: str, code: str, *, nth: int = 1, times: int | None = 1) -> Fault:
        return cls(operation, "error", nth, times, code=code)

    @classmethod
    def busy(cls, operation: str, back_off_ms: int, *, nth: int = 1, times: int = 1) -> Fault:
        return cls(operation, "busy", nth, times, back_off_ms=back_off_ms)

    @classmethod
    def drop(cls, operation: str, *, after: bool = False, nth: int = 1) -> Fault:
        return cls(operation, "drop-after" if after else "drop", nth)

    @classmethod
    def expire_token(cls, operation: str, *, nth: int = 1, times: int | None = 1) -> Fault:
        return cls(operation, "expire-token", nth, times)

    def hits(self, number: int) -> bool:
        """Whether the request with this number (1: the first since the plan) is hit."""
        if number < self.nth:
            return False
        return self.times is None or number < self.nth + self.times


class FaultPlan:
    """The faults planned, and how many requests of each operation came since."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    def set(self, faults: list[Fault]) -> None:
        with self._lock:
            self._faults = list(faults)
            self._seen.clear()

    def next(self, operation: str) -> Fault | None:
        """Count a request of ``operation``: the fault that hits it, if any."""
        with self._lock:
            self._seen[operation] += 1
            number = self._seen[operation]
            return next(
                (f for f in self._faults if f.operation == operation and f.hits(number)), None
            )
