"""A fixed set of varied vCards for comparing addressbook-query answers.

Case, accents and other scripts, several EMAIL and TEL with and without TYPE
parameters, Apple's grouped properties, properties left out or empty, values with
LIKE's wildcards and escaped newlines and commas, a group card: what a filter can
trip on. `VALUES` lists every property's values as Radicale's filters see them, so
that generated text-matches can be drawn from them and match something.
"""

from __future__ import annotations

from collections import defaultdict

import vobject

_CARDS: dict[str, list[str]] = {
    "ann": [
        "FN:Ann Smith",
        "N:Smith;Ann;;;",
        "EMAIL;TYPE=INTERNET,WORK:ann.smith@acme.example",
        "EMAIL;TYPE=INTERNET,HOME:ann@home.example",
        "TEL;TYPE=CELL:+1 555 0100",
        "TEL;TYPE=WORK,VOICE:+1 555 0101",
        "ORG:Acme Inc.;Sales",
        "NICKNAME:Annie",
    ],
    "ann-upper": [
        "FN:ANN SMITH-JONES",
        "EMAIL:ANN.JONES@EXAMPLE.ORG",
        "ORG:ACME INC.",
    ],
    "jose": [
        "FN:José Álvarez",
        "N:Álvarez;José;;;",
        "EMAIL;TYPE=work:jose@ejemplo.es",
        "TEL;TYPE=work,voice:+34 91 555 0102",
        "ADR;TYPE=home:;;Calle Mayor 1;Madrid;;28013;España",
        "NOTE:Prefiere el correo\\, no el teléfono",
    ],
    "zoe": [
        "FN:Zoë Ærø",
        "EMAIL;TYPE=pref:zoe@ærø.example",
        "TEL:0044 20 0103",
        "CATEGORIES:friends,Skiing",
    ],
    "strasse": [
        "FN:Jürgen Straße",
        "ORG:Müller & Söhne GmbH",
        "EMAIL:juergen@mueller-soehne.example",
        "TEL;TYPE=fax:+49 30 0104",
    ],
    "istanbul": [
        "FN:İlkay İstanbul",
        "EMAIL:ilkay@istanbul.example",
        "NOTE:İ and I and ı",
    ],
    "kanji": [
        "FN:山田 太郎",
        "N:山田;太郎;;;",
        "TEL;TYPE=CELL:090-0105-0106",
        "ORG:株式会社テスト",
    ],
    "greek": [
        "FN:Σωκράτης ΣΟΦΟΣ",
        "EMAIL:sokratis@example.gr",
    ],
    "wildcards": [
        "FN:100% Pure_Co \\\\ Back",
        "EMAIL:percent%sign_under@example.org",
        "ORG:50% Off_Ltd",
    ],
    "newline-fn": [
        "FN:First line\\nSecond line",
        "EMAIL:two.lines@example.org",
    ],
    "newline-org": [
        "FN:Org Newline",
        "ORG:Upper\\nLower;Dept",
        "TEL:555 0107",
    ],
    "comma-org": [
        "FN:Widget Maker",
        "ORG:Widgets\\, Ltd;R&D;Lab 3",
        "TITLE:Chief Engineer",
    ],
    "apple": [
        "FN:Apple Style",
        "N:Style;Apple;;;",
        "item1.EMAIL;type=INTERNET;type=pref:apple@icloud.example",
        "item1.X-ABLabel:_$!<Other>!$_",
        "item2.TEL;type=CELL;type=VOICE;type=pref:+1 (555) 010-8",
        "X-ABShowAs:PERSON",
    ],
    "no-email": [
        "FN:Nobody Mailable",
        "TEL;TYPE=HOME:555 0109",
    ],
    "no-tel": [
        "FN:Silent Type",
        "EMAIL;TYPE=HOME:silent@example.net",
        "EMAIL;TYPE=WORK:silent@work.example.net",
        "EMAIL:silent.third@example.net",
    ],
    "only-fn": [
        "FN:Just A Name",
    ],
    "empty-email": [
        "FN:Empty Values",
        "EMAIL:",
        "TEL;TYPE=WORK:",
        "ORG:",
    ],
    "org-only": [
        "FN:Acme Inc.",
        "ORG:Acme Inc.",
        "X-ABShowAs:COMPANY",
        "EMAIL;TYPE=WORK:info@acme.example",
    ],
    "many-tel": [
        "FN:Phone Collector",
        "TEL;TYPE=HOME:555-0110",
        "TEL;TYPE=WORK:555-0111",
        "TEL;TYPE=CELL:555-0112",
        "TEL;TYPE=PAGER:555-0113",
        "TEL:555-0114",
    ],
    "custom": [
        "FN:Custom Fields",
        "X-CUSTOM-FIELD:Shoe size 42",
        "X-SPOUSE:Pat",
        "NICKNAME:Custard",
        "NOTE:Met at the conference; likes tea",
    ],
    "spaces": [
        "FN:  Padded Name  ",
        "EMAIL: padded@example.org ",
        "ORG: Padded Org ",
    ],
    "same-prefix-1": [
        "FN:Sam",
        "EMAIL:sam@example.com",
    ],
    "same-prefix-2": [
        "FN:Samantha Sample",
        "EMAIL:samantha@example.com",
        "TEL;TYPE=cell:+1 555 0115",
    ],
    "same-prefix-3": [
        "FN:Sam Samuelson",
        "EMAIL;TYPE=home:samuel@sam.example",
        "EMAIL;TYPE=work:s.samuelson@example.com",
    ],
    "lower": [
        "FN:lower case person",
        "email:lower@example.org",
        "tel;type=work:555 0116",
        "org:lowercase llc",
    ],
    "long-org": [
        "FN:Deep Org",
        "ORG:Very Large Corporation of America;Research;Group A;Team 7",
    ],
    "title": [
        "FN:Dr. Eve Example",
        "N:Example;Eve;;Dr.;PhD",
        "TITLE:Dr.",
        "ROLE:Surgeon",
        "EMAIL;TYPE=WORK,PREF:eve@hospital.example",
    ],
    "emoji": [
        "FN:Emoji 😀 Person",
        "NOTE:🎉 party",
        "EMAIL:emoji@example.org",
    ],
    "digits": [
        "FN:0123",
        "TEL:0123",
        "ORG:0123",
    ],
}

_GROUP = [
    "FN:Team Group",
    "X-ADDRESSBOOKSERVER-KIND:group",
    "X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:ann",
    "X-ADDRESSBOOKSERVER-MEMBER:urn:uuid:jose",
]


def _card(uid: str, lines: list[str]) -> str:
    body = ["BEGIN:VCARD", "VERSION:3.0", f"UID:{uid}", *lines, "END:VCARD"]
    return "".join(f"{line}\r\n" for line in body)


CARDS: dict[str, str] = {uid: _card(uid, lines) for uid, lines in _CARDS.items()}
CARDS["team"] = _card("team", _GROUP)


def _values() -> dict[str, list[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for text in CARDS.values():
        card = vobject.readOne(text)
        for name, props in card.contents.items():
            for prop in props:
                value = prop.value
                for part in value if isinstance(value, list) else [value]:
                    found[name.upper()].add(str(part))
                for param, param_values in prop.params.items():
                    found[f";{param.upper()}"].update(map(str, param_values))
    return {name: sorted(values) for name, values in found.items()}


# Property name -> its values across the cards; ";PARAM" -> the parameter's values.
VALUES = _values()
