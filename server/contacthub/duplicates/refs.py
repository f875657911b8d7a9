"""A contact of an account, wherever it lives: its book's path and its href."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class CardRef:
    book: str  # the book's path, "alice/contacts"
    href: str  # the card's name in the book, "1234.vcf"
