"""Our readers return what vobject's own return, for any text.

They take the place of vobject's (quadratic in the length of a folded line when soft
breaks are allowed, as Radicale reads; a Python loop per character of a text value), so
every card must read the same: lines, values and the line numbers of refusals alike.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator

import vobject
import vobject.base
import vobject.icalendar
import vobject.vcard
from hypothesis import example, given, settings
from hypothesis import strategies as st

from contacthub.vcard.vobject_readers import (
    LOGICAL_LINE,
    logical_lines,
    raw_logical_lines,
    text_values,
    unfold,
    vobject_readers,
)
from tests.support.vcards import big_photo_card, new_uid

Reader = Callable[[io.StringIO, bool], Iterator[tuple[str, int]]]

# Pieces that make a reader take every branch: folds with a space or a tab after any line
# end, blank and white lines, quoted-printable named in any case and across a fold, soft
# breaks, characters whose lower case is odd (final sigma, dotted I, Kelvin sign).
PIECES = [
    "BEGIN:VCARD",
    "END:VCARD",
    "FN:Ann",
    "NOTE;ENCODING=QUOTED-PRINTABLE:a=",
    "NOTE;quoted-printable:b=3D=",
    "NOTE;ENCODING=QUOTED-",
    "PRINTABLE:c=",
    "Quoted-Printable",
    "=",
    "x=",
    "ΣΑΣ",
    "İ",
    "\u212a",
    "PHOTO;ENCODING=b:QUJD",
    ":",
    "a",
    " ",
    "\t",
    "\x0b",
    "\u3000",
    "",
]
ENDS = ["\r\n", "\n", "\r", "\r\n ", "\n\t", "\r ", "\n ", "\r\r\n", ""]


def texts_ending_lines_with(ends: list[str]) -> st.SearchStrategy[str]:
    return st.lists(
        st.tuples(st.sampled_from(PIECES), st.sampled_from(ends)).map("".join), max_size=12
    ).map("".join)


# Cards with a CR standing alone as a line end are read another way than cards without.
texts = texts_ending_lines_with(ENDS) | texts_ending_lines_with(
    [e for e in ENDS if "\r" not in e.replace("\r\n", "")]
)


def read(reader: Reader, text: str, allow_qp: bool) -> list[tuple[str, int]]:
    return list(reader(io.StringIO(text), allow_qp))


@settings(max_examples=400, deadline=None)
@given(texts, st.booleans())
@example("", True)
@example("", False)
@example("NOTE;ENCODING=QUOTED-PRINTABLE:a=\r\nb=\r\nc\r\n", True)
@example("NOTE;ENCODING=QUOTED-\r\n PRINTABLE:a=\r\nb\r\n", True)
@example("A\r\n \r\nB", True)
@example("A\r \nB\r\n", False)
def test_our_reader_yields_what_vobjects_yields(text: str, allow_qp: bool) -> None:
    assert read(logical_lines, text, allow_qp) == read(
        vobject_readers()["logical_lines"], text, allow_qp
    )


@settings(max_examples=200, deadline=None)
@given(texts)
def test_unfolding_a_logical_line_is_what_vobject_does(text: str) -> None:
    for match in LOGICAL_LINE.finditer(text):
        assert unfold(match.group()) == vobject.base.wrap_re.sub("", match.group())
    assert [m.group() for m in LOGICAL_LINE.finditer(text)] == [
        m.group() for m in vobject.base.logical_lines_re.finditer(text)
    ]
    assert list(raw_logical_lines(text)) == [
        m.group() for m in vobject.base.logical_lines_re.finditer(text)
    ]


def test_a_card_with_a_big_photo_reads_the_same() -> None:
    card = big_photo_card(new_uid(), os.urandom(200_000))
    for allow_qp in (True, False):
        assert read(logical_lines, card, allow_qp) == read(
            vobject_readers()["logical_lines"], card, allow_qp
        )


values = st.lists(st.sampled_from(["a", "bc", "\\", ",", ";", "n", "N", "\n", '"', "é", "\r"])).map(
    "".join
)


@settings(max_examples=400, deadline=None)
@given(values, st.sampled_from([",", ";"]), st.sampled_from([None, ";", '\\;,Nn"', ""]))
@example("a\\", ",", None)
@example("a,", ",", None)
@example(",", ",", None)
@example("", ";", ";")
def test_text_values_are_what_vobject_reads(
    text: str, separator: str, escapable: str | None
) -> None:
    original = vobject_readers()["text_values"]
    assert text_values(text, separator, escapable) == original(text, separator, escapable)


def test_a_vcard_4_photo_reads_the_same() -> None:
    card = big_photo_card(new_uid(), os.urandom(30_000), version="4.0")
    value = card.split("PHOTO:", 1)[1].split("\r\nEND", 1)[0].replace("\r\n ", "")
    assert text_values(value) == vobject_readers()["text_values"](value)


def test_vobject_reads_with_our_readers() -> None:
    # Installed when contacthub.vcard is imported, so Radicale's reads use them too.
    assert vobject.base.getLogicalLines is logical_lines
    assert vobject.icalendar.stringToTextValues is text_values
    assert vobject.vcard.stringToTextValues is text_values
