"""Long addresses in narrow columns: a line may break after a slash, a dot or an
underscore, or before an at-sign, where a reader expects it, and only where the line
cannot hold the whole address; never inside a word ("staff.cs v", "example.or g")."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# After "/" (not inside "//"), ".", "_", "?" or "&" (before more of the address); before "@".
_BREAK = re.compile(r"(?<=[/._?&])(?=[^/._\s])|(?=@)")


def breakable(text: object) -> Markup:
    """*text*, escaped, with <wbr> at its sensible break points."""
    parts = _BREAK.split("" if text is None else str(text))
    return Markup("<wbr>").join(escape(part) for part in parts)
