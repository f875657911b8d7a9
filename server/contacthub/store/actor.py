"""Who writes, and through what: every write of a card records it in its version."""

from __future__ import annotations

from dataclasses import dataclass, replace

# The doors a write comes through.
VIAS = ("carddav", "api", "admin", "cli", "run", "restore", "undo", "merge", "unknown")
MAX_AGENT = 255


@dataclass(frozen=True, slots=True)
class Actor:
    """The account that writes, the door it came through (one of VIAS), the client's
    User-Agent (CardDAV), and the run a run's writes belong to (known once published)."""

    account: str
    via: str
    agent: str = ""
    run_id: int | None = None

    def __post_init__(self) -> None:
        if self.via not in VIAS:
            raise ValueError(f"unknown door {self.via!r}: one of {', '.join(VIAS)}")

    def with_run(self, run_id: int) -> Actor:
        return replace(self, run_id=run_id)


# What a write without an actor records (and logs): its door is not lost in silence.
UNKNOWN = Actor("", "unknown")
