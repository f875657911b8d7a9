"""vCard 3.0 <-> 4.0, one test per rule, and a round trip that keeps a card's meaning."""

from __future__ import annotations

import string

import pytest
import vobject
from hypothesis import given, settings
from hypothesis import strategies as st

from contacthub.vcard.lines import content_lines
from contacthub.vcard.parse import index_of, index_of_text, item_data
from contacthub.vcard.versions import (
    converted,
    representation_etag,
    stored_etag,
    to_v3,
    to_v4,
    version_of,
    version_of_head,
)

HEAD_3 = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Doe;Jane;;;\r\nFN:Jane Doe\r\n"
HEAD_4 = "BEGIN:VCARD\r\nVERSION:4.0\r\nN:Doe;Jane;;;\r\nFN:Jane Doe\r\n"
TAIL = "UID:u-1\r\nEND:VCARD\r\n"


def card_3(*lines: str) -> str:
    return HEAD_3 + "".join(f"{line}\r\n" for line in lines) + TAIL


def card_4(*lines: str) -> str:
    return HEAD_4 + "".join(f"{line}\r\n" for line in lines) + TAIL


# (3.0 line, 4.0 line): each rule both ways.
RULES = [
    pytest.param(
        "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQ", "PHOTO:data:image/jpeg;base64,/9j/4AAQ", id="photo"
    ),
    pytest.param(
        "LOGO;ENCODING=b;TYPE=PNG:iVBORw0KGgo=",
        "LOGO:data:image/png;base64,iVBORw0KGgo=",
        id="logo",
    ),
    pytest.param(
        "SOUND;ENCODING=b;TYPE=OGG:T2dnUw==", "SOUND:data:audio/ogg;base64,T2dnUw==", id="sound"
    ),
    pytest.param(
        "PHOTO;VALUE=uri:https://example.org/a.jpg",
        "PHOTO:https://example.org/a.jpg",
        id="photo-uri",
    ),
    pytest.param("EMAIL;TYPE=WORK,pref:a@x.org", "EMAIL;TYPE=WORK;PREF=1:a@x.org", id="pref"),
    pytest.param("X-ADDRESSBOOKSERVER-KIND:group", "KIND:group", id="kind"),
    pytest.param("X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:0b0e", "MEMBER:urn:uuid:0b0e", id="member"),
    pytest.param("X-ANNIVERSARY:2010-06-12", "ANNIVERSARY:2010-06-12", id="anniversary"),
    pytest.param("X-GENDER:Female", "GENDER:F", id="gender"),
    pytest.param("X-GENDER:nonbinary", "GENDER:;nonbinary", id="gender-identity"),
    pytest.param("BDAY;X-APPLE-OMIT-YEAR=1604:1604-04-15", "BDAY:--0415", id="bday-no-year"),
    pytest.param("BDAY:1985-04-15", "BDAY:1985-04-15", id="bday-with-year"),
    pytest.param("item1.X-ABLabel:blog", "item1.X-ABLabel:blog", id="x-property-in-group"),
    pytest.param("X-CUSTOM;X-P=1:kept", "X-CUSTOM;X-P=1:kept", id="unknown-property"),
]


@pytest.mark.parametrize(("line_3", "line_4"), RULES)
def test_each_rule_converts_both_ways(line_3: str, line_4: str) -> None:
    assert to_v4(card_3(line_3)) == card_4(line_4)
    assert to_v3(card_4(line_4)) == card_3(line_3)


def test_a_tel_uri_becomes_a_3_0_number() -> None:
    assert to_v3(card_4("TEL;VALUE=uri;TYPE=cell:tel:+1-555-0100")) == card_3(
        "TEL;TYPE=cell:+1-555-0100"
    )
    assert to_v3(card_4("TEL;VALUE=uri:sip:jane@example.org")) == card_3(
        "TEL;VALUE=uri:sip:jane@example.org"
    )


def test_a_label_becomes_the_label_parameter_of_its_address() -> None:
    three = card_3(
        "ADR;TYPE=HOME:;;1 Main St;Boston;;;",
        "ADR;TYPE=WORK:;;2 Side St;Boston;;;",
        "LABEL;TYPE=WORK:2 Side St\\nBoston\\, MA",
    )
    four = card_4(
        "ADR;TYPE=HOME:;;1 Main St;Boston;;;",
        'ADR;TYPE=WORK;LABEL="2 Side St^nBoston, MA":;;2 Side St;Boston;;;',
    )
    assert to_v4(three) == four
    assert to_v3(four) == three


def test_a_label_with_no_address_of_its_types_stays_a_line() -> None:
    three = card_3("ADR;TYPE=HOME:;;1 Main St;;;;", "LABEL;TYPE=WORK:elsewhere")
    assert to_v4(three) == card_4("ADR;TYPE=HOME:;;1 Main St;;;;", "LABEL;TYPE=WORK:elsewhere")


def test_a_data_uri_not_in_base64_is_encoded() -> None:
    assert to_v3(card_4("PHOTO:data:image/gif,GIF89a%00")) == card_3(
        "PHOTO;ENCODING=b;TYPE=GIF:R0lGODlhAA=="
    )


def test_a_pref_other_than_1_is_kept() -> None:
    assert to_v3(card_4("EMAIL;PREF=2:a@x.org")) == card_3("EMAIL;PREF=2:a@x.org")


def test_version_comes_right_after_begin_in_4_0() -> None:
    three = "BEGIN:VCARD\r\nFN:Jane\r\nN:;Jane;;;\r\nVERSION:3.0\r\nUID:u\r\nEND:VCARD\r\n"
    assert (
        to_v4(three)
        == "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Jane\r\nN:;Jane;;;\r\nUID:u\r\nEND:VCARD\r\n"
    )


def test_a_4_0_card_without_n_gets_one_in_3_0() -> None:
    four = "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Friends\r\nKIND:group\r\nUID:g\r\nEND:VCARD\r\n"
    assert to_v3(four) == (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Friends\r\nN:;;;;\r\n"
        "X-ADDRESSBOOKSERVER-KIND:group\r\nUID:g\r\nEND:VCARD\r\n"
    )


def test_vcard_2_1_quoted_printable_and_bare_types_into_4_0() -> None:
    two = (
        "BEGIN:VCARD\r\nVERSION:2.1\r\nN:Doe;Jane\r\nFN:Jane\r\n"
        "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:caf=C3=A9\r\n"
        "TEL;WORK;VOICE:123\r\nEND:VCARD\r\n"
    )
    assert to_v4(two) == (
        "BEGIN:VCARD\r\nVERSION:4.0\r\nN:Doe;Jane\r\nFN:Jane\r\n"
        "NOTE:café\r\nTEL;TYPE=WORK,VOICE:123\r\nEND:VCARD\r\n"
    )


def test_long_lines_written_anew_are_folded_and_line_ends_kept() -> None:
    data = "A" * 300
    three = card_3(f"PHOTO;ENCODING=b;TYPE=JPEG:{data}").replace("\r\n", "\n")
    four = to_v4(three)
    assert "\r" not in four
    assert all(len(line.encode()) <= 75 for line in four.split("\n"))
    photo = next(line for line in content_lines(four) if line.name == "PHOTO")
    assert photo.escaped == f"data:image/jpeg;base64,{data}"


def test_a_card_in_the_version_asked_for_is_the_same_text() -> None:
    three, four = card_3("X-A:b"), card_4("X-A:b")
    assert converted(three, "3.0") is three
    assert converted(four, "4.0") is four
    assert version_of(four) == "4.0" and version_of(three) == "3.0"
    assert version_of(three.replace("3.0", "2.1")) == "3.0"


def test_representation_etags_differ_per_version_and_lead_back_to_the_stored_one() -> None:
    stored = '"ab12"'
    assert representation_etag(stored, "3.0", "3.0") == stored
    as_4 = representation_etag(stored, "3.0", "4.0")
    assert as_4 == '"ab12-4.0"'
    assert stored_etag(as_4) == stored
    assert stored_etag(stored) == stored


def test_a_4_0_card_indexes_as_its_3_0_form() -> None:
    four = card_4("TEL;VALUE=uri;TYPE=cell:tel:+1-555-0100", "KIND:group", "MEMBER:urn:uuid:m-1")
    three = to_v3(four)
    assert item_data(four).index == item_data(three).index
    assert item_data(four).index.phones == ("+1-555-0100",)
    assert index_of_text(four, vobject.readOne(four)) == index_of(vobject.readOne(three))


# --- the round trip ------------------------------------------------------------------------

_text = st.text(alphabet=string.ascii_letters + string.digits + " .-éжß", min_size=1, max_size=20)
_escaped = _text.map(lambda s: s.strip() or "x")
_types = st.lists(st.sampled_from(["WORK", "HOME", "CELL", "VOICE", "pref"]), unique=True)


def _typed(name: str, value: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def line(group: str | None, types: list[str], v: str) -> str:
        prefix = f"{group}.{name}" if group else name
        return f"{prefix};TYPE={','.join(types)}:{v}" if types else f"{prefix}:{v}"

    return st.builds(line, st.one_of(st.none(), st.just("item1")), _types, value)


_LINES = st.one_of(
    _typed("EMAIL", _escaped.map(lambda s: s.replace(" ", "") + "@example.org")),
    _typed("TEL", st.from_regex(r"\+1 555 0[0-9]{3}", fullmatch=True)),
    _typed("ADR", st.builds(lambda a, b: f";;{a};{b};;;", _escaped, _escaped)),
    st.builds(
        lambda m, d: f"BDAY;X-APPLE-OMIT-YEAR=1604:1604-{m:02d}-{d:02d}",
        st.integers(1, 12),
        st.integers(1, 28),
    ),
    st.from_regex(r"BDAY:19[0-9]{2}-0[1-9]-1[0-9]", fullmatch=True),
    st.builds(
        lambda d: f"PHOTO;ENCODING=b;TYPE=JPEG:{d}",
        st.from_regex(r"[A-Za-z0-9+/]{4,200}", fullmatch=True),
    ),
    st.builds(
        lambda u: f"PHOTO;VALUE=uri:https://example.org/{u}",
        st.from_regex(r"[a-z]{1,9}", fullmatch=True),
    ),
    st.just("X-ADDRESSBOOKSERVER-KIND:group"),
    st.builds(lambda u: f"X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:{u}", st.uuids()),
    st.sampled_from(["X-GENDER:Male", "X-GENDER:Female", "X-GENDER:Other", "X-GENDER:agender"]),
    st.from_regex(r"X-ANNIVERSARY:20[0-9]{2}-0[1-9]-1[0-9]", fullmatch=True),
    st.builds(lambda v: f"X-CUSTOM-FIELD;X-PARAM=1:{v}", _escaped),
    st.builds(lambda v: f"item2.X-ABLabel:{v}", _escaped),
    st.builds(lambda v: f"NOTE:{v}", _escaped),
    st.builds(lambda v: f"ORG:{v};Dept", _escaped),
)


def _meaning(text: str) -> list[tuple[str, str, tuple[tuple[str, tuple[str, ...]], ...], str]]:
    """What a card says, line order and the spelling of types aside: (group, name, params,
    value) of each line, with TYPE values as a set in lower case."""
    said = []
    for line in content_lines(text):
        params = []
        for key, values in line.params.items():
            if key == "TYPE":
                values = tuple(sorted({t.lower() for v in values for t in v.split(",")}))
            params.append((key, tuple(values)))
        said.append(((line.group or "").lower(), line.name, tuple(sorted(params)), line.escaped))
    return sorted(said)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINES, max_size=12))
def test_3_to_4_to_3_keeps_what_the_card_says(lines: list[str]) -> None:
    three = card_3(*lines)
    four = to_v4(three)
    assert version_of(four) == "4.0"
    vobject.readOne(four)  # a card a reader can read
    assert _meaning(to_v3(four)) == _meaning(three)


@settings(max_examples=200, deadline=None)
@given(st.lists(_LINES, max_size=12))
def test_4_to_3_to_4_keeps_what_the_card_says(lines: list[str]) -> None:
    four = to_v4(card_3(*lines))
    assert _meaning(to_v4(to_v3(four))) == _meaning(four)


def test_a_folded_photo_keeps_its_stored_folds_after_its_first_line() -> None:
    data = "".join(chr(65 + i % 26) for i in range(400))
    folded = "PHOTO:data:image/jpeg;base64," + data
    stored_lines = [folded[:75]] + [" " + folded[i : i + 74] for i in range(75, len(folded), 74)]
    four = card_4(*stored_lines)
    three = to_v3(four)
    rest = "\r\n".join(stored_lines[1:])
    assert rest in three  # the kilobytes after the first line are copied as stored
    photo = next(line for line in content_lines(three) if line.name == "PHOTO")
    assert photo.params == {"ENCODING": ("b",), "TYPE": ("JPEG",)}
    assert photo.escaped == data
    assert all(len(line.encode()) <= 75 for line in three.split("\r\n"))
    assert _meaning(to_v4(three)) == _meaning(four)


def test_a_line_no_rule_changes_is_copied_as_stored() -> None:
    four = card_4("ADR;type=HOME:;;1 Main St;;;;", "TEL;type=WORK:+1 555")
    assert to_v3(four) == card_3("ADR;type=HOME:;;1 Main St;;;;", "TEL;type=WORK:+1 555")


@pytest.mark.parametrize(
    "text",
    [
        "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:A\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:A\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nFN:A\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nNOTE:" + "x" * 40 + "\r\nversion: 4.0\r\nEND:VCARD\r\n",
        "BEGIN:VCARD\r\nVERSION:4.0",
    ],
)
@pytest.mark.parametrize("cut", [5, 12, 16, 17, 20, 30, 70, 1000])
def test_the_head_of_a_card_tells_its_version_or_says_it_cannot(text: str, cut: int) -> None:
    told = version_of_head(text[:cut], whole=cut >= len(text))

    assert told in (None, version_of(text))
    if cut >= len(text):
        assert told == version_of(text)
