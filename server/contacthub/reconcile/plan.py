"""Reconciling: what a source's records mean for its book, as a change set."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Literal

from contacthub.reconcile.changes import (
    DELETED_HERE,
    Change,
    ChangeSet,
    Incoming,
    MergedChange,
    Problem,
)
from contacthub.reconcile.policy import MASS_DELETION_KEEP_RATIO, Policy
from contacthub.store import Link, SourceRecord, Transaction
from contacthub.vcard.names import free_href


def plan(
    tx: Transaction,
    source: SourceRecord,
    incoming: Iterable[Incoming],
    policy: Policy,
    problems: Iterable[Problem] = (),
) -> ChangeSet:
    """Compare the records with the source's links and the book; change nothing."""
    book = tx.require_collection(source.book_path)
    links = tx.links_of(source.id)
    merged = _MergedCards(tx, source, book.id, links)
    cards = tx.uid_etags_of(book.id)
    hrefs_by_uid = {uid: href for uid, (href, _) in cards.items()}
    result = ChangeSet(problems=list(problems))
    taken_hrefs = set(hrefs_by_uid.values())
    seen: dict[str, Incoming] = {}
    added_uids: set[str] = set()
    deleted_by_siblings = (
        _deleted_by_siblings(tx, source, hrefs_by_uid) if policy.shared_deletions else set()
    )
    for record in incoming:
        if record.key in seen:
            # The later row wins; the report says so.
            result.problems.append(
                Problem(
                    f"key {record.key!r} repeats line {seen[record.key].line}; the later row wins",
                    line=record.line,
                    key=record.key,
                )
            )
        seen[record.key] = record

    for record in seen.values():
        link = links.get(record.key)
        if link is not None and record.key in merged.links:
            merged.plan_record(result, record, policy)
        elif link is None:
            uid = record.uid or str(uuid.uuid4())
            if record.key in deleted_by_siblings:
                result.changes.append(_skip(record, DELETED_HERE))
            elif uid in hrefs_by_uid:
                result.changes.append(
                    _skip(
                        record,
                        "a contact with this UID is already in the book and came from elsewhere",
                    )
                )
            elif uid in added_uids:
                # One book holds one card per UID: the first record of the run keeps it.
                result.changes.append(_skip(record, "another record of this run has its UID"))
            else:
                added_uids.add(uid)
                href = _free_href(uid, taken_hrefs)
                result.changes.append(
                    Change(
                        "add",
                        record.key,
                        uid,
                        href,
                        record.make_card,
                        record.record_hash,
                        line=record.line,
                        summary=record.summary,
                    )
                )
        elif link.deleted or link.uid not in hrefs_by_uid:
            # Deleted on the server: never brought back.
            if not link.deleted:
                result.tombstoned.append(record.key)
            result.changes.append(_skip(record, DELETED_HERE))
        elif link.record_hash == record.record_hash:
            result.changes.append(
                Change(
                    "unchanged",
                    record.key,
                    link.uid,
                    hrefs_by_uid[link.uid],
                    line=record.line,
                    summary=record.summary,
                    etag=cards[link.uid][1],
                )
            )
        elif not policy.update_existing:
            result.changes.append(_skip(record, "changed, but updating existing contacts is off"))
        else:
            result.changes.append(
                Change(
                    "update",
                    record.key,
                    link.uid,
                    hrefs_by_uid[link.uid],
                    record.make_card,
                    record.record_hash,
                    line=record.line,
                    summary=record.summary,
                    etag=cards[link.uid][1],
                )
            )

    live_links = {
        key: link
        for key, link in links.items()
        if not link.deleted and link.uid in hrefs_by_uid and key not in merged.links
    }
    for key, link in links.items():
        if key in merged.links:
            continue
        if key not in seen and not link.deleted and link.uid not in hrefs_by_uid:
            result.tombstoned.append(key)
    merged.plan_missing(result, seen, policy)
    if policy.delete_missing:
        for key, link in live_links.items():
            if key not in seen:
                href, etag = cards[link.uid]
                # The link's hash goes with the deletion into its version: a restore
                # of the contact brings the link back as it was.
                result.changes.append(
                    Change("delete", key, link.uid, href, record_hash=link.record_hash, etag=etag)
                )
        deletions = len(result.of("delete")) + merged.deletions(result)
        result.refused = _mass_deletion(len(live_links) + merged.live, deletions, policy)
    return result


def _deleted_by_siblings(
    tx: Transaction, source: SourceRecord, hrefs_by_uid: dict[str, str]
) -> set[str]:
    """The keys whose contact a person deleted from the book after another source of the
    same kind brought it there (its tombstones, and its cards gone since its last run)."""
    siblings = [
        other
        for other in tx.list_sources(owner=source.owner, kind=source.kind)
        if other.id != source.id and other.book_path == source.book_path
    ]
    return {
        key
        for sibling in siblings
        for key, link in tx.links_of(sibling.id).items()
        if link.merged_base is None and (link.deleted or link.uid not in hrefs_by_uid)
    }


class _MergedCards:
    """The source's links re-pointed by a merge (duplicates/merge.py) at a merged card,
    which may live in another book: its next changed record updates that card three-way
    from the link's base; a record gone deletes the card only if no other source feeds
    it, else only its link goes. A merged card a person deleted is a tombstone, as any."""

    def __init__(
        self, tx: Transaction, source: SourceRecord, book_id: int, links: dict[str, Link]
    ) -> None:
        self.tx, self.source = tx, source
        self.links = {k: link for k, link in links.items() if link.merged_base is not None}
        self.at: dict[str, tuple[int, str, str] | None] = {}
        for key, link in self.links.items():
            collection_id = link.collection_id if link.collection_id is not None else book_id
            href = tx.href_of_uid(collection_id, link.uid)
            item = tx.get_item(collection_id, href) if href is not None else None
            self.at[key] = (collection_id, item.href, item.etag) if item is not None else None

    @property
    def live(self) -> int:
        return sum(
            1 for key, link in self.links.items() if not link.deleted and self.at[key] is not None
        )

    def deletions(self, result: ChangeSet) -> int:
        return sum(1 for merged in result.merged if merged.action == "delete")

    def plan_record(self, result: ChangeSet, record: Incoming, policy: Policy) -> None:
        link, at = self.links[record.key], self.at[record.key]
        if link.deleted or at is None:
            if not link.deleted:
                result.tombstoned.append(record.key)
            result.changes.append(_skip(record, DELETED_HERE))
            return
        collection_id, href, etag = at
        if link.record_hash == record.record_hash:
            result.changes.append(
                Change(
                    "unchanged",
                    record.key,
                    link.uid,
                    href,
                    line=record.line,
                    summary=record.summary,
                    etag=etag,
                )
            )
        elif not policy.update_existing:
            result.changes.append(_skip(record, "changed, but updating existing contacts is off"))
        else:
            change = Change(
                "update",
                record.key,
                link.uid,
                href,
                record.make_card,
                record.record_hash,
                line=record.line,
                summary=record.summary,
                etag=etag,
            )
            result.merged.append(
                MergedChange("update", change, collection_id, link.merged_base or "")
            )

    def plan_missing(self, result: ChangeSet, seen: dict[str, Incoming], policy: Policy) -> None:
        for key, link in self.links.items():
            if key in seen or link.deleted:
                continue
            at = self.at[key]
            if at is None:
                result.tombstoned.append(key)
            elif policy.delete_missing:
                collection_id, href, etag = at
                change = Change(
                    "delete", key, link.uid, href, record_hash=link.record_hash, etag=etag
                )
                action: Literal["delete", "forget"] = (
                    "forget" if self._fed_by_others(collection_id, link.uid) else "delete"
                )
                result.merged.append(
                    MergedChange(action, change, collection_id, link.merged_base or "")
                )

    def _fed_by_others(self, collection_id: int, uid: str) -> bool:
        others = [s for s in self.tx.list_sources(self.source.owner) if s.id != self.source.id]
        books = self.tx.get_collections(sorted({s.book_path for s in others}))
        by_id = {s.id: s for s in others}
        for source_id, link in self.tx.links_to_uids(list(by_id), {uid}):
            book = books.get(by_id[source_id].book_path)
            at = link.collection_id if link.collection_id is not None else book and book.id
            if not link.deleted and at == collection_id:
                return True
        return False


def _mass_deletion(contacts: int, deletions: int, policy: Policy) -> str:
    kept = contacts - deletions
    overridden = policy.override_mass_deletion and not policy.unattended
    if deletions and not overridden and kept <= contacts * MASS_DELETION_KEEP_RATIO:
        return (
            f"this run would delete {deletions} of the sync's {contacts} contacts "
            f"and keep {kept}; run it by hand with the override if that is intended"
        )
    return ""


def _skip(record: Incoming, reason: str) -> Change:
    return Change(
        "skip", record.key, record.uid, reason=reason, line=record.line, summary=record.summary
    )


def _free_href(uid: str, taken: set[str]) -> str:
    """A name for a new card, from its UID where that is safe and free."""
    href = free_href(uid, taken.__contains__)
    taken.add(href)
    return href
