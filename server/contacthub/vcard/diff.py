"""Which properties of a vCard differ between two of its versions (a contact's history).

A property counts as changed when the set of its lines differs, compared by what they
say (parameters and value, group left aside), not by how they are folded. REV, PRODID
and VERSION are left out: clients rewrite them with every save, so they would be named
in every change and tell a person nothing.
"""

from __future__ import annotations

from collections import Counter

from contacthub.vcard.lines import content_lines

_NOT_SHOWN = frozenset({"", "BEGIN", "END", "REV", "PRODID", "VERSION"})

Said = tuple[tuple[tuple[str, tuple[str, ...]], ...], str]


def changed_properties(before: str | None, after: str | None) -> list[str]:
    """The names of the properties that differ (upper case, sorted); every property of
    the card there is when the other version is none."""
    old, new = _properties(before), _properties(after)
    return sorted(name for name in old.keys() | new.keys() if old.get(name) != new.get(name))


def _properties(text: str | None) -> dict[str, Counter[Said]]:
    found: dict[str, Counter[Said]] = {}
    for line in content_lines(text or ""):
        if line.name in _NOT_SHOWN:
            continue
        params = tuple(sorted((key, tuple(sorted(v))) for key, v in line.params.items()))
        found.setdefault(line.name, Counter())[(params, line.escaped)] += 1
    return found
