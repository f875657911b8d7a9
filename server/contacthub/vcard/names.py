"""A card's name in its book (its href), made from its UID where that is safe."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

_UNSAFE = re.compile(r"[^A-Za-z0-9@_.-]")
MAX_STEM = 200


def free_href(uid: str, taken: Callable[[str], bool]) -> str:
    """`UID.vcf` with every character but letters, digits and @_.- made a hyphen, and
    no dot or hyphen at either end (a name never starts with a dot, and "../x" is
    "x"); a random name when nothing is left or `taken` says the name is in use."""
    safe = _UNSAFE.sub("-", uid).strip(".-")[:MAX_STEM]
    href = f"{safe}.vcf" if safe else ""
    if not href or taken(href):
        href = f"{uuid.uuid4().hex}.vcf"
    return href
