"""A problem found in one row of a CSV file: where it is and what is wrong, as a value."""

from __future__ import annotations

from dataclasses import dataclass

INVALID_EMAIL = "invalid email address"
INVALID_BIRTHDAY = "invalid birthday"
EMPTY_ROW = "empty row"
NOTHING_TO_NAME = "no name, organisation, email address or phone number"
NOT_UTF8 = "not UTF-8; read as cp1252"


@dataclass(frozen=True, slots=True)
class Problem:
    """``line`` is the file's physical line (1 = the header); ``column`` a header name or None."""

    line: int
    column: str | None
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {"line": self.line, "column": self.column, "reason": self.reason}

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.column!r}" if self.column else "")
        return f"{where}: {self.reason}"
