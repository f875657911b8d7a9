"""Multi-value cells and type labels, as Google's and Outlook's exports write them.

Google puts several values in one cell separated by " ::: " and marks the primary one with a
"* " prefix, on the value or on its label ("* Work"). Labels are free text: the recognised
words (English and German) pick the vCard type, anything else keeps the field's default.
"""

from __future__ import annotations

import re

MULTI_SEPARATOR = " ::: "
PRIMARY_MARK = "* "
# The group every contact of a Google account is in (current and older export); as a
# category it says nothing.
GOOGLE_SYSTEM_GROUPS = frozenset({"myContacts", "My Contacts"})

_EMAIL_SPLIT = re.compile(r" ::: |[;,]")

_PHONE_WORDS = (
    ("fax", ("fax",)),
    ("pager", ("pager", "piepser")),
    ("mobile", ("mobile", "mobil", "cell", "handy", "iphone")),
    (
        "work",
        (
            "work",
            "business",
            "office",
            "geschaftlich",
            "geschäftlich",
            "arbeit",
            "buro",
            "büro",
            "firma",
        ),
    ),
    ("home", ("home", "privat", "private", "personal", "zuhause")),
    ("other", ("other", "main", "weitere", "andere")),
)
_EMAIL_WORDS = tuple(
    (kind, words) for kind, words in _PHONE_WORDS if kind in ("work", "home", "other")
)


def split_primary(value: str) -> tuple[str, bool]:
    """("x", True) for "* x"; ("", True) for a bare "*"; ("x", False) for "x"."""
    if value == PRIMARY_MARK.strip():
        return "", True
    if value.startswith(PRIMARY_MARK):
        return value[len(PRIMARY_MARK) :].strip(), True
    return value, False


def split_multi(cell: str) -> list[str]:
    """The values of a Google multi-value cell (or the cell alone), stripped, empties dropped."""
    if MULTI_SEPARATOR not in cell:
        return [cell] if cell else []
    return [part.strip() for part in cell.split(MULTI_SEPARATOR) if part.strip()]


def split_emails(cell: str) -> list[str]:
    """Email cells may also list addresses separated by ";" or "," (neither occurs in one)."""
    return [part.strip() for part in _EMAIL_SPLIT.split(cell) if part.strip()]


def split_categories(cell: str) -> list[str]:
    """Google's " ::: ", else Outlook's ";"; "* " marks and Google's system group dropped."""
    parts = cell.split(MULTI_SEPARATOR) if MULTI_SEPARATOR in cell else cell.split(";")
    categories: list[str] = []
    for part in parts:
        name = split_primary(part.strip())[0]
        if name and name not in GOOGLE_SYSTEM_GROUPS and name not in categories:
            categories.append(name)
    return categories


def label_for(labels: list[str], index: int, count: int) -> str:
    """The label of value ``index`` of ``count``: positional when the counts agree, else the
    first (one label for all values)."""
    if not labels:
        return ""
    return labels[index] if len(labels) == count else labels[0]


def _type_from(label: str, table: tuple[tuple[str, tuple[str, ...]], ...], default: str) -> str:
    if not label:
        return default
    words = label.casefold()
    for kind, names in table:
        if any(name in words for name in names):
            return kind
    return default


def phone_type(label: str, default: str) -> str:
    return _type_from(label, _PHONE_WORDS, default)


def email_type(label: str, default: str) -> str:
    return _type_from(label, _EMAIL_WORDS, default)


def address_type(label: str, default: str) -> str:
    return _type_from(label, _EMAIL_WORDS, default)
