"""Reading a stored vCard's content lines: each keeps its raw text (so callers can keep
the lines they do not change byte for byte) and says what it holds, decoded."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contacthub.vcard.lines import (
    ContentLine,
    _vobject_parts,
    content_lines,
    plain_parts,
    read_line,
)


def only(text: str) -> ContentLine:
    lines = content_lines(text)
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_lines_split_at_any_line_ending_and_join_back_to_the_text(newline: str) -> None:
    text = newline.join(["BEGIN:VCARD", "FN:Ann", "", "END:VCARD"])
    lines = content_lines(text)
    assert [line.raw for line in lines] == [
        f"BEGIN:VCARD{newline}",
        f"FN:Ann{newline}",
        newline,  # a blank line is kept, to be written back as it was
        "END:VCARD",
    ]
    assert [line.name for line in lines] == ["BEGIN", "FN", "", "END"]
    assert [line.ending for line in lines] == [newline, newline, newline, ""]


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
@pytest.mark.parametrize("indent", [" ", "\t"])
def test_a_folded_line_is_one_line_unfolded(newline: str, indent: str) -> None:
    raw = (
        f"NOTE:a long note that was fol{newline}{indent}ded by{newline}{indent} the client{newline}"
    )
    lines = content_lines(raw + "END:VCARD" + newline)
    assert [line.raw for line in lines] == [raw, "END:VCARD" + newline]
    assert lines[0].name == "NOTE"
    assert lines[0].value == "a long note that was folded by the client"


def test_a_quoted_printable_soft_line_break_continues_the_line() -> None:
    raw = "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:Caf=C3=A9 =\r\nau lait=0D=0A=\r\nnoir\r\n"
    lines = content_lines(raw + "TEL:1\r\n")
    assert [line.raw for line in lines] == [raw, "TEL:1\r\n"]
    assert lines[0].value == "Café au lait\r\nnoir"
    assert lines[0].prefix == "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8"
    assert lines[0].encoding == "QUOTED-PRINTABLE"


def test_a_line_ending_in_equals_continues_only_when_quoted_printable() -> None:
    lines = content_lines("NOTE:1+1=\r\nTEL:2\r\n")
    assert [(line.name, line.value) for line in lines] == [("NOTE", "1+1="), ("TEL", "2")]


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("FN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:Ren=E9e", "Renée"),
        ("FN;CHARSET=windows-1252;ENCODING=QUOTED-PRINTABLE:=80 Euro", "€ Euro"),
        ("FN;ENCODING=QUOTED-PRINTABLE:Ren=C3=A9e", "Renée"),  # no charset: UTF-8
        ("fn;encoding=quoted-printable:Ren=C3=A9e", "Renée"),  # any case
        ("FN;QUOTED-PRINTABLE:Ren=C3=A9e", "Renée"),  # vCard 2.1's bare parameter
        ("FN;CHARSET=NO-SUCH-CHARSET;ENCODING=QUOTED-PRINTABLE:Ren=C3=A9e", "Renée"),
        ("FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Ren=E9e", "Ren\ufffde"),
    ],
)
def test_a_quoted_printable_value_is_decoded_in_its_charset(raw: str, value: str) -> None:
    line = only(raw + "\r\n")
    assert (line.name, line.value) == ("FN", value)


def test_a_grouped_property_has_its_group_and_name() -> None:
    line = only("item1.EMAIL;type=INTERNET:ann@example.org\r\n")
    assert (line.group, line.name) == ("item1", "EMAIL")
    assert line.params == {"TYPE": ("INTERNET",)}
    assert line.prefix == "item1.EMAIL;type=INTERNET"
    assert line.value == "ann@example.org"


def test_quoted_parameter_values_may_hold_colons_and_semicolons() -> None:
    line = only('item2.ADR;LABEL="Main St. 1; Floor 2: left";TYPE=work,pref:;;Main St. 1;;;;\r\n')
    assert line.params == {"LABEL": ("Main St. 1; Floor 2: left",), "TYPE": ("work", "pref")}
    assert line.prefix == 'item2.ADR;LABEL="Main St. 1; Floor 2: left";TYPE=work,pref'
    assert line.components == ["", "", "Main St. 1", "", "", "", ""]


def test_vcard_2_1_bare_parameters_are_kept_without_values() -> None:
    line = only("TEL;WORK;VOICE:+41 44 555 01 02\r\n")
    assert line.params == {"WORK": (), "VOICE": ()}
    assert line.encoding == ""


def test_a_text_value_is_unescaped_and_a_structured_one_split_at_unescaped_semicolons() -> None:
    note = only("NOTE:one\\ntwo\\, three\\; four\\\\\r\n")
    assert note.value == "one\ntwo, three; four\\"
    org = only("ORG:Ex\\;ample;Sales\r\n")
    assert org.escaped == "Ex\\;ample;Sales"
    assert org.components == ["Ex;ample", "Sales"]


def test_a_binary_value_stays_as_written() -> None:
    line = only("PHOTO;ENCODING=b;TYPE=JPEG:AAEC\\n\r\n")
    assert line.encoding == "B"
    assert line.value == "AAEC\\n"


@pytest.mark.parametrize("raw", ["no colon here\r\n", " FN:starts with a space\r\n", "\r\n"])
def test_a_line_that_cannot_be_read_has_no_name_and_keeps_its_text(raw: str) -> None:
    line = read_line(raw)
    assert (line.raw, line.name, line.value) == (raw, "", "")


# Lines near the plain form and just outside it: quotes, underscores, empty values, "=".
_PARAMS = st.lists(
    st.sampled_from(
        [
            ";TYPE=WORK",
            ";type=pref",
            ";PREF=1",
            ";TYPE=a,b",
            ";WORK",
            ";T=a b",
            ";X=",
            ";X==a",
            ';X="a"',
            ";_X=a",
            ";;",
            ";TYPE=a,,b",
            ";X=a:b",
            ";x-é=1",
        ]
    ),
    max_size=4,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(
    st.one_of(st.none(), st.sampled_from(["item1", "g_1", "A-b"])),
    st.sampled_from(["EMAIL", "tel", "X-AB_Label", "PHOTO", "N"]),
    st.one_of(_PARAMS, st.text(alphabet='ABCtype=pref,;:"_- .x', max_size=24)),
    st.text(alphabet='ab;:,"=\\ é', max_size=12),
)
def test_a_plain_line_is_split_as_vobject_splits_it(
    group: str | None, name: str, params: str, value: str
) -> None:
    line = f"{group}.{name}{params}:{value}" if group else f"{name}{params}:{value}"
    plain = plain_parts(line)
    if plain is not None:
        assert plain == _vobject_parts(line)


@pytest.mark.parametrize(
    "line",
    [
        "item1.EMAIL;TYPE=INTERNET;type=pref:a@example.org",
        "TEL;TYPE=CELL,VOICE;PREF=1:+1 555 0100",
        "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ",
        "TEL;WORK;VOICE:123",
        "ADR;TYPE=home:;;Main St 1;Boston;;;",
        "X-ABShowAs:PERSON",
    ],
)
def test_lines_clients_write_are_read_the_plain_way(line: str) -> None:
    plain = plain_parts(line)
    assert plain is not None
    assert plain == _vobject_parts(line)
    assert only(line + "\r\n").params == plain[2]
