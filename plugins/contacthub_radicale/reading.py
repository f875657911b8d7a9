"""Radicale reads a PUT's card from what the guard parsed, when it would read it alike.

Radicale parses every PUT body (`radicale.item.read_components`) after the guard has
parsed it to check it; for a card with a 5 MB photo each reading costs a few tenths of a
second of one core. `install()` puts `read_components` in Radicale's place: for the body
of the PUT being handled, whose card the guard parsed (`PutBody.card`), it hands that
card on instead of parsing the text again, when Radicale's own reading would build the
same card from the text (`reads_alike`); any other text Radicale reads as before.

Radicale reads a body as the guard's parser (vobject's, without quoted-printable soft
breaks) does, after it mends some client bugs, except for: a quoted-printable soft break
(a line ending in "=" in a line naming quoted-printable), a CR standing alone as a line
end, a blank or white line, and what its repairs change (control characters, which the
guard refuses; InfCloud's data URI in an ENCODING=b photo; a space after TZID or
TZNAME). A card the guard accepted with none of them reads alike, vobject's line numbers
aside; tests/carddav/test_reading.py compares the two readings on many cards.
"""

from __future__ import annotations

import re

import radicale.item
import vobject.base

from contacthub.vcard.vobject_readers import has_bare_cr
from contacthub_radicale import context

_radicale_read_components = radicale.item.read_components
# A line of white space only: Radicale drops it, vobject's plain reader takes it for a
# fold when it starts with a space or a tab. (The first line and the last cannot tell the
# readings apart in a card the guard accepted: such a card has none, or reads alike.)
_WHITE_LINE = re.compile(r"\n[^\S\n]*\n")


def read_components(s: str) -> list[vobject.base.Component]:
    """What `radicale.item.read_components(s)` returns, parsed once per PUT."""
    body = context.current_put()
    if body is not None and body.card is not None and s == body.text:
        card, body.card = body.card, None  # handed on once: Radicale may change it
        if reads_alike(s):
            return [card]
    return _radicale_read_components(s)


def reads_alike(text: str) -> bool:
    """Whether Radicale reads `text` (a card the guard accepted: no control characters)
    into what vobject's reader without soft breaks does."""
    lowered = text.lower()
    return not (
        "quoted-printable" in lowered
        or (";encoding=b" in lowered and ":data:" in lowered)  # InfCloud's photo
        # Radicale's repairs of "TZID:x " / "TZNAME:x " and "TZID=x :" (base64 holds
        # no colon, so a photo's data never looks like them)
        or "TZID:" in text
        or "TZNAME:" in text
        or "TZID=" in text
        or has_bare_cr(text)
        or _WHITE_LINE.search(text) is not None
    )


def install() -> None:
    """Make Radicale read PUT bodies with `read_components` (once per process)."""
    radicale.item.read_components = read_components
