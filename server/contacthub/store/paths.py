"""Collection paths: "alice", "alice/contacts"; no leading or trailing slash."""

from __future__ import annotations

import posixpath
import re

from contacthub.store.errors import UnsafeName

# Characters of one name in a path (a book, a card's file name) that CardDAV accepts.
NAME_LIMIT = 255

# Unicode's control characters (category Cc) are exactly these two ranges.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def parent_of(path: str) -> str:
    return posixpath.dirname(path)


def ancestors_of(path: str) -> list[str]:
    """The paths above `path`, outermost first: "a/b/c" -> ["a", "a/b"]."""
    parts = path.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def descendants_range(path: str) -> tuple[str, str]:
    """Bounds of the paths strictly below `path`, for a range query.

    Every descendant starts with `path + "/"`, and "0" is the character
    after "/", so no LIKE pattern (and no escaping of % and _) is needed.
    """
    return path + "/", path + "0"


def check_name(name: str) -> str:
    """Refuse a collection or item name that could escape its collection."""
    if (
        not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or name.startswith(".")
        or _CONTROL.search(name)
    ):
        raise UnsafeName(
            f"unsafe name {name!r}: names may not be empty, start with a dot, "
            "or contain slashes or control characters"
        )
    return name


def check_path(path: str) -> str:
    for name in path.split("/") if path else []:
        check_name(name)
    return path
