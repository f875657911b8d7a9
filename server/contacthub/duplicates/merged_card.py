"""The merged card: the chosen values of each field, in the vCard version of the cards."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from contacthub.duplicates.cards import MemberCard
from contacthub.duplicates.fields import FieldRow, union_id
from contacthub.vcard.properties import CardWriter, Value


def merged_text(
    cards: Sequence[MemberCard],
    rows: Sequence[FieldRow],
    picks: Mapping[str, Sequence[str]],
    uid_line: str,
    region: str | None = None,
) -> str:
    """The card holding the chosen values, with the UID of `uid_line`: a single field's
    value from the card chosen for it, a union's as the most recently edited card holding
    it writes it (phones read in `region`)."""
    version = cards[0].props.version
    writer = CardWriter(version, uid_line)
    for row in rows:
        chosen = picks.get(row.key, [])
        if row.kind == "single":
            for value_id in chosen[:1]:
                card = cards[int(value_id[1:])]
                for name in row.properties:
                    writer.add_all(card.props.values(name))
            continue
        name = row.properties[0]
        for value_id in chosen:
            writer.add(_first_holding(cards, name, value_id, region))
    if version == "3.0" and not picks_name_with_n(cards, picks):
        writer.body.insert(0, "N:;;;;\r\n")
    return writer.text()


def picks_name_with_n(cards: Sequence[MemberCard], picks: Mapping[str, Sequence[str]]) -> bool:
    chosen = picks.get("name", [])
    return bool(chosen) and bool(cards[int(chosen[0][1:])].props.values("N"))


def _first_holding(
    cards: Sequence[MemberCard], name: str, value_id: str, region: str | None
) -> Value:
    for card in cards:
        for value in card.props.values(name):
            if union_id(name, value, region) == value_id:
                return value
    raise KeyError(value_id)


def uid_line(uid: str) -> str:
    """A UID line for a UID of our own making (a UUID: nothing to escape)."""
    return f"UID:{uid}\r\n"
