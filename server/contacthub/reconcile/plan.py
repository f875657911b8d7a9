"""Reconciling: what a source's records mean for its book, as a change set."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from contacthub.reconcile.changes import Change, ChangeSet, Incoming, Problem
from contacthub.reconcile.policy import MASS_DELETION_KEEP_RATIO, Policy
from contacthub.store import SourceRecord, Transaction
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
    cards = tx.uid_etags_of(book.id)
    hrefs_by_uid = {uid: href for uid, (href, _) in cards.items()}
    result = ChangeSet(problems=list(problems))
    taken_hrefs = set(hrefs_by_uid.values())
    seen: dict[str, Incoming] = {}
    added_uids: set[str] = set()
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
        if link is None:
            uid = record.uid or str(uuid.uuid4())
            if uid in hrefs_by_uid:
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
            result.changes.append(_skip(record, "deleted on the server"))
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
        key: link for key, link in links.items() if not link.deleted and link.uid in hrefs_by_uid
    }
    for key, link in links.items():
        if key not in seen and not link.deleted and link.uid not in hrefs_by_uid:
            result.tombstoned.append(key)
    if policy.delete_missing:
        for key, link in live_links.items():
            if key not in seen:
                href, etag = cards[link.uid]
                # The link's hash goes with the deletion into its version: a restore
                # of the contact brings the link back as it was.
                result.changes.append(
                    Change("delete", key, link.uid, href, record_hash=link.record_hash, etag=etag)
                )
        result.refused = _mass_deletion(len(live_links), len(result.of("delete")), policy)
    return result


def _mass_deletion(contacts: int, deletions: int, policy: Policy) -> str:
    kept = contacts - deletions
    overridden = policy.override_mass_deletion and not policy.unattended
    if deletions and not overridden and kept <= contacts * MASS_DELETION_KEEP_RATIO:
        return (
            f"refused: this run would delete {deletions} of the sync's {contacts} contacts "
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
