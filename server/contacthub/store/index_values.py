"""How a card's searchable values are kept in the index columns (idx_fn, idx_email, ...).

Each column holds the values lowered, one per line, framed by line breaks:
"\\nann@x.org\\nann@y.org\\n", so one LIKE matches whole values or parts of them.
"""

from __future__ import annotations

from collections.abc import Iterable

# A line break within a value would read as the frame between two values: it is kept
# as U+001F, which no XML text holds, so no text-match finds it (one with a line break
# is Radicale's to answer: contacthub_radicale/filters.py).
_LINE_BREAKS = str.maketrans({"\n": "\x1f", "\r": "\x1f"})


def index_value(value: str) -> str:
    """A value as the index keeps it."""
    return value.lower().translate(_LINE_BREAKS)


def framed(values: Iterable[str]) -> str:
    """The index column of `values`."""
    kept = [index_value(value) for value in values]
    return "\n" + "\n".join(kept) + "\n" if kept else ""
