"""The conversion finds the lines it reads with one search of the card (versions._Scan)
and copies the text between them; it must convert exactly as when every line is listed
and told apart one by one, as the converter did before the search. Compared here on
cards near every edge of the search: names in any case and in groups, parameters folded,
a preference or a label anywhere in the parameters, odd first characters, LF line ends,
a last line without one, blank lines."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from contacthub.vcard import versions
from contacthub.vcard.lines import content_lines
from contacthub.vcard.versions import to_v3, to_v4
from contacthub.vcard.vobject_readers import has_bare_cr, raw_logical_lines

_BENCH_LIKE = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//iPhone OS 17.4//EN\r\n"
    "N:1;Person;;;\r\nFN:Person 1\r\nORG:Example Inc.;\r\n"
    "item1.EMAIL;type=INTERNET;type=pref:p1@example.org\r\n"
    "item1.X-ABLabel:blog\r\nTEL;type=CELL;type=VOICE;type=pref:+1 555 0000001\r\n"
    "TEL;type=WORK;type=VOICE:+1 555 1000001\r\n"
    "ADR;type=HOME:;;1 Main St;Boston;MA;02101;USA\r\n"
    "BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-15\r\nNOTE:Met at the conference\r\n"
    "PHOTO;ENCODING=b;TYPE=JPEG:" + "QUFB" * 200 + "\r\nUID:u-1\r\nEND:VCARD\r\n"
)


def _every_line(
    text: str, scan: versions._Scan | None
) -> list[versions._Kept | versions._Property]:
    """The card's lines as the converter listed them before the search: each logical
    line told apart on its own."""
    if scan is None or "quoted-printable" in text.lower() or has_bare_cr(text):
        return [versions._entry(line) for line in content_lines(text)]
    return [versions._classified(raw, scan.changed) for raw in raw_logical_lines(text) if raw]


def _outcome(convert: object, text: str) -> str:
    assert callable(convert)
    try:
        return str(convert(text))
    except Exception as error:  # the same failure counts as the same outcome
        return f"raised {type(error).__name__}"


def _both(text: str) -> tuple[list[str], list[str]]:
    found = [_outcome(to_v3, text), _outcome(to_v4, text)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(versions, "_lines", _every_line)
        listed = [_outcome(to_v3, text), _outcome(to_v4, text)]
    return found, listed


_NAMES = st.sampled_from(
    [
        "BEGIN", "END", "VERSION", "N", "FN", "Fn", "n", "NOTE", "EMAIL", "TEL", "tel", "ADR",
        "adr", "LABEL", "Label", "BDAY", "bday", "PHOTO", "Photo", "LOGO", "SOUND", "KEY",
        "KIND", "MEMBER", "GENDER", "X-GENDER", "x-gender", "ANNIVERSARY", "X-ANNIVERSARY",
        "X-ADDRESSBOOKSERVER-KIND", "X-ADDRESSBOOKSERVER-MEMBER", "X-ABLabel", "NICKNAME",
        "ADRX", "TELE", "N-1", "VERSION2", "_X", " X", "\tX", ";", "", "\u212aIND", "PREF",
        "X-PREF", "VALUE",
    ]
)  # fmt: skip
_GROUPS = st.sampled_from(["", "item1.", "ITEM2.", "pref.", "value.", "a.b.", "label."])
_PARAMS = st.lists(
    st.sampled_from(
        [
            ";TYPE=pref", ";type=PREF", ";PREF=1", ";PREF=2", ";TYPE=WORK", ";TYPE=HOME",
            ";HOME", ";WORK;VOICE", ";VALUE=uri", ";value=URI", ";VALUE=date",
            ';LABEL="1 Main St^nBoston"', ";LABEL=x", ";X-APPLE-OMIT-YEAR=1604",
            ";ENCODING=b", ";ENCODING=B;TYPE=JPEG", ";TYPE=JPEG", ";MEDIATYPE=image/png",
            ';X-Q="a:b"', ";X-P=prefix", ";X-L=labels", ";X=", ";x-v=values",
            ";ENCODING=QUOTED-PRINTABLE", ";quoted-printable", ";CHARSET=UTF-8",
        ]
    ),
    max_size=3,
).map("".join)  # fmt: skip
_VALUES = st.sampled_from(
    [
        "3.0", "4.0", "VCARD", "", "x", "a:b", ";;1 Main St;Boston;;;", "--0415",
        "1604-04-15", "1985-04-15", "tel:+1-555-0100", "+1 555", "Male", "nonbinary", "F",
        ";x", "group", "urn:uuid:0b0e", "data:image/jpeg;base64,QUFBQUFB",
        "data:image/gif,GIF89a%00", "https://example.org/a.jpg", "QUFB" * 30, "2 Side St\\nB",
        "caf=C3=A9", "Quoted-Printable",
    ]
)  # fmt: skip


@st.composite
def _line(draw: st.DrawFn) -> str:
    line = draw(_GROUPS) + draw(_NAMES) + draw(_PARAMS)
    if draw(st.booleans()) or not line:
        line += ":" + draw(_VALUES)
    folds = draw(st.lists(st.integers(1, max(1, len(line) - 1)), max_size=2, unique=True))
    for at in sorted(folds, reverse=True):
        line = line[:at] + draw(st.sampled_from(["\r\n ", "\r\n\t", "\n "])) + line[at:]
    return line


@st.composite
def _card(draw: st.DrawFn) -> str:
    version = draw(st.sampled_from(["3.0", "4.0", "3.0", "4.0", "2.1"]))
    lines = draw(st.lists(_line(), max_size=10))
    if draw(st.booleans()):
        lines = ["BEGIN:VCARD", f"VERSION:{version}", *lines, "END:VCARD"]
    else:
        lines.insert(draw(st.integers(0, len(lines))), f"VERSION:{version}")
    ending = draw(st.sampled_from(["\r\n", "\n"]))
    text = "".join(line + draw(st.sampled_from([ending, ending, "\r\n", "\n\n"])) for line in lines)
    return text[: -len(ending)] if draw(st.booleans()) and text.endswith(ending) else text


@settings(max_examples=1500, deadline=None)
@given(_card())
@example(_BENCH_LIKE)
@example(versions.to_v4(_BENCH_LIKE))
@example("BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\nEND:VCARD")  # no line end at the end
@example("VERSION:4.0\nKIND:group\n\nFN:a")
@example("BEGIN:VCARD\r\nVERSION:4.0\r\nTEL\r\n ;VALUE=uri:tel:1\r\nEND:VCARD\r\n")
@example("BEGIN:VCARD\r\nVERSION:3.0\r\nEMAIL;TYPE=WORK,\r\n pref:a@x\r\nEND:VCARD\r\n")
@example("BEGIN:VCARD\r\nVERSION:3.0\r\n_X;HOME:x\r\nEND:VCARD\r\n")  # read: no name
@example("")
def test_the_search_converts_as_listing_every_line_did(text: str) -> None:
    found, listed = _both(text)
    assert found == listed


@pytest.mark.parametrize(
    "text",
    [
        _BENCH_LIKE,
        versions.to_v4(_BENCH_LIKE),
        _BENCH_LIKE.replace("\r\n", "\n"),
        "BEGIN:VCARD\r\nFN:Jane\r\nN:;Jane;;;\r\nVERSION:3.0\r\nUID:u\r\nEND:VCARD\r\n",
    ],
)
def test_the_search_converts_real_cards_as_listing_every_line_did(text: str) -> None:
    found, listed = _both(text)
    assert found == listed
    assert not any(outcome.startswith("raised") for outcome in found)
