"""The links of the sources that fed a merge's cards, re-pointed at the merged card.

A source's link then names the merged card (its UID and href, and its book when that is
not the source's own) and keeps the card the source last brought (`merged_base`), the
base of the three-way merge its next changed record makes (reconcile/plan.py). A link
that was merged before keeps the base it had. The links as they were are kept with the
merge, so that undoing it puts them back.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any

from contacthub.duplicates.cards import MemberCard
from contacthub.store import CollectionRecord, ItemData, Link, SourceRecord, Transaction


def links_of_members(
    tx: Transaction, owner: str, members: list[MemberCard]
) -> list[tuple[SourceRecord, Link]]:
    """Every live link of the owner's sources to one of the cards."""
    sources = {source.id: source for source in tx.list_sources(owner)}
    books = tx.get_collections(sorted({source.book_path for source in sources.values()}))
    at = {(member.book.id, member.item.uid) for member in members}
    found = []
    for source_id, link in tx.links_to_uids(sources, {member.item.uid for member in members}):
        source = sources[source_id]
        book = books.get(source.book_path)
        book_id = link.collection_id if link.collection_id is not None else book and book.id
        if not link.deleted and (book_id, link.uid) in at:
            found.append((source, link))
    return found


def relink(
    tx: Transaction,
    linked: list[tuple[SourceRecord, Link]],
    members: list[MemberCard],
    target: CollectionRecord,
    href: str,
    merged: ItemData,
) -> list[dict[str, Any]]:
    """Point the links at the merged card; returns them as they were (JSON-able)."""
    text_of = {member.item.uid: member.item.text for member in members}
    by_source: dict[int, list[Link]] = {}
    prior = []
    for source, link in linked:
        prior.append({"source_id": source.id, **asdict(link)})
        by_source.setdefault(source.id, []).append(
            replace(
                link,
                uid=merged.uid,
                href=href,
                collection_id=None if source.book_path == target.path else target.id,
                merged_base=link.merged_base or text_of[link.uid],
            )
        )
    for source_id, saved in by_source.items():
        tx.put_links(source_id, saved)
    return prior


def put_back(tx: Transaction, owner: str, prior: list[dict[str, Any]]) -> None:
    """The links as a merge found them."""
    by_source: dict[int, list[Link]] = {}
    for saved in prior:
        values = dict(saved)
        by_source.setdefault(values.pop("source_id"), []).append(Link(**values))
    existing = {source.id for source in tx.list_sources(owner)}
    for source_id, links in by_source.items():
        if source_id in existing:  # a source deleted since has no links to put back
            tx.put_links(source_id, links)
