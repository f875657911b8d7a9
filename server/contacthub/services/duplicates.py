"""Duplicates: what the API, the admin page and the CLI call to list an account's groups of
possible duplicates lane by lane, dismiss one, and read or change the account's settings
for finding them (contacthub.duplicates does the finding).

A group is the account's own: another account's group id is NotFound, as one that does
not exist. In JSON a contact's book is the book's id, as everywhere in the API.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from contacthub.duplicates.find import (
    Candidate,
    DuplicateGroup,
    GroupPage,
    Reason,
    dismiss_group,
    find_groups,
    find_page,
    group_by_id,
)
from contacthub.duplicates.lanes import LANES, Lane
from contacthub.duplicates.normalize import region_of
from contacthub.duplicates.refs import CardRef
from contacthub.errors import Invalid, NotFound, quoted
from contacthub.sources.context import RunContext
from contacthub.store import DuplicateSettings

_GROUP_ID = re.compile(r"^[0-9a-f]{16}$")
LANE_WORDS = {
    "safe": "Same email or phone, and the names agree",
    "contact": "Same email or phone, different names",
    "name": "Same or similar name only",
}


def lane_of(value: str | None) -> Lane | None:
    """The lane a request names; Invalid for a word that is no lane."""
    if value is None or value == "":
        return None
    if value not in LANES:
        raise Invalid(f"The lane is one of {', '.join(LANES)}, not {quoted(value)}.", field="lane")
    return value


def groups_of(ctx: RunContext, user: str, lane: str | None = None) -> list[DuplicateGroup]:
    return find_groups(ctx.store, user, lane_of(lane))


def groups_page(
    ctx: RunContext, user: str, lane: str | None, limit: int | None, offset: int
) -> GroupPage:
    """`limit` groups (None: all) from the `offset`th, and how many there are."""
    return find_page(ctx.store, user, lane_of(lane), limit, offset)


def group_of(ctx: RunContext, user: str, group_id: str) -> DuplicateGroup:
    if not _GROUP_ID.match(group_id):
        raise NotFound(f"There is no group of duplicates {quoted(group_id)}.")
    return group_by_id(ctx.store, user, group_id)


def dismiss(ctx: RunContext, user: str, group_id: str) -> DuplicateGroup:
    """Never offer these contacts as one person again; the group dismissed."""
    group_of(ctx, user, group_id)
    return dismiss_group(ctx.store, user, group_id)


def settings_of(ctx: RunContext, user: str) -> DuplicateSettings:
    with ctx.store.read() as tx:
        return tx.duplicate_settings(user)


def change_settings(ctx: RunContext, user: str, changes: dict[str, Any]) -> DuplicateSettings:
    """Change the settings named in `changes` (phone_region, match_similar_names,
    auto_merge); the others stay. A new region makes the next find read every book again."""
    wanted: dict[str, Any] = {}
    if "phone_region" in changes:
        try:
            wanted["phone_region"] = region_of(changes["phone_region"])
        except ValueError:
            raise Invalid(
                f"The phone region is a country's two-letter code (ISO 3166), such as EE "
                f"or DE, not {quoted(str(changes['phone_region']))}.",
                field="phone_region",
            ) from None
    for flag in ("match_similar_names", "auto_merge"):
        if flag in changes:
            wanted[flag] = bool(changes[flag])
    with ctx.store.write() as tx:
        updated = replace(tx.duplicate_settings(user), **wanted)
        tx.set_duplicate_settings(user, updated)
    return updated


# -- JSON: the API's and the CLI's ---------------------------------------------------------


def book_id(ref: CardRef) -> str:
    return ref.book.rsplit("/", 1)[-1]


def ref_json(ref: CardRef) -> dict[str, str]:
    return {"book": book_id(ref), "href": ref.href}


def candidate_json(candidate: Candidate) -> dict[str, str]:
    return {
        **ref_json(candidate.ref),
        "uid": candidate.uid,
        "fn": candidate.fn,
        "book_name": candidate.book_name,
    }


def reason_json(reason: Reason) -> dict[str, Any]:
    return {
        "kind": reason.kind,
        "value": reason.value,
        "contacts": [ref_json(ref) for ref in reason.contacts],
    }


def group_json(group: DuplicateGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "lane": group.lane,
        "reasons": [reason_json(reason) for reason in group.reasons],
        "contacts": [candidate_json(candidate) for candidate in group.contacts],
    }


def settings_json(settings: DuplicateSettings) -> dict[str, Any]:
    return {
        "phone_region": settings.phone_region,
        "match_similar_names": settings.match_similar_names,
        "auto_merge": settings.auto_merge,
    }
