"""A three-way merge of vCard properties: what a source changed between the card it
brought last (base) and the card it brings now (theirs), applied to the card there is
(ours: a merged card a person chose the fields of).

Per property: a value the source removed is removed, a value it added is added (emails,
phones, addresses and the other properties a person has several of); a property of one
value (the name, the birthday, a count of messages) the source changed is changed only
where ours still holds the base's value, so a person's choice stays. A card with nothing
to change is returned as it was, byte for byte.
"""

from __future__ import annotations

from contacthub.vcard.properties import (
    MULTI_VALUED,
    CardWriter,
    Properties,
    Value,
    names_in_order,
)
from contacthub.vcard.versions import converted


def patched(base: str, theirs: str, ours: str) -> str:
    """`ours` with the changes from `base` to `theirs` (both in any vCard version)."""
    mine = Properties(ours)
    version = mine.version
    old = Properties(converted(base, version))
    new = Properties(converted(theirs, version))
    result: dict[str, list[Value]] = {}
    changed = False
    for name in names_in_order(mine, new, old):
        kept, did_change = _property(name, old, new, mine)
        result[name] = kept
        changed = changed or did_change
    if not changed:
        return ours
    uid = mine.line_of("UID")
    writer = CardWriter(version, uid.raw if uid is not None else "")
    for values in result.values():
        writer.add_all(values)
    return writer.text()


def _property(
    name: str, old: Properties, new: Properties, mine: Properties
) -> tuple[list[Value], bool]:
    ours = mine.values(name)
    if name in MULTI_VALUED:
        before, after = set(old.keys(name)), set(new.keys(name))
        removed = before - after
        present = {value.key for value in ours}
        added = [v for v in new.values(name) if v.key not in before and v.key not in present]
        kept = [value for value in ours if value.key not in removed]
        return kept + _distinct(added), bool(added) or len(kept) != len(ours)
    before_keys, after_keys = sorted(old.keys(name)), sorted(new.keys(name))
    if before_keys == after_keys or sorted(mine.keys(name)) != before_keys:
        return ours, False
    return new.values(name), True


def _distinct(values: list[Value]) -> list[Value]:
    seen: set[str] = set()
    found = []
    for value in values:
        if value.key not in seen:
            seen.add(value.key)
            found.append(value)
    return found
