"""Merging an account's cards into one, and undoing a merge.

A merge is one write transaction and one run of kind "merge" (no source): the merged card
written where it lives, the other cards deleted, the links of the sources that fed them
re-pointed at it (relink.py), and the merge recorded with the links as they were. The
versions of its writes name the run and the door "merge", so phones get the deletions
and the update at one position of each book's change log, and the history can put the
cards back. A card a merge removes is no deletion by a person: its source's next run
updates the merged card instead (reconcile/plan.py), and no tombstone is written.

Where the merged card lives: `into` (a book of the account), else the book of the card a
person edited most recently, else the account's default book ("Contacts"). The card kept
is the most recently edited card of that book among those merged (its UID and href stay,
so a phone that knows it updates it); when none of them is there, a new card in that book
with the UID of the most recently edited card.

Undo: the merge's run undone through the history (reconcile/restore.plan_undo): the cards
removed come back, the merged card is as it was before (or gone, when the merge made it),
and the links are put back as they were, in one transaction. A card written again after
the merge (a person's edit, a source's update of the merged card) is left as it is, and
the outcome names it.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from contacthub.duplicates.cards import MemberCard, load_members
from contacthub.duplicates.fields import FieldRow, MergeChoices, field_rows, resolved
from contacthub.duplicates.merged_card import merged_text, uid_line
from contacthub.duplicates.refs import CardRef
from contacthub.duplicates.relink import links_of_members, put_back, relink
from contacthub.errors import Conflict, NotFound
from contacthub.reconcile.restore import Untouched, plan_undo
from contacthub.store import (
    DEFAULT_BOOK,
    Actor,
    CollectionRecord,
    MergeRecord,
    RunRecord,
    Store,
    Transaction,
)
from contacthub.vcard.names import free_href
from contacthub.vcard.parse import item_data


@dataclass(frozen=True)
class MergePreview:
    """The cards side by side (most recently edited first), every field with its values
    and default choice, and where the merged card would live by default."""

    cards: list[MemberCard]
    fields: list[FieldRow]
    into: str  # the default book's path
    keeps: CardRef | None  # the card kept in that book (None: a new card)


@dataclass(frozen=True)
class MergeOutcome:
    merge: MergeRecord
    run: RunRecord
    merged: CardRef
    removed: list[CardRef]


@dataclass(frozen=True)
class UndoOutcome:
    merge: MergeRecord
    run: RunRecord
    restored: list[CardRef] = field(default_factory=list)
    changed_later: list[Untouched] = field(default_factory=list)


def preview_merge(store: Store, owner: str, refs: list[CardRef]) -> MergePreview:
    with store.read() as tx:
        cards = load_members(tx, owner, refs)
        into = _default_book(owner, cards)
        kept = _kept(cards, into)
        rows = field_rows(cards, tx.duplicate_settings(owner).phone_region)
        return MergePreview(cards, rows, into, kept.ref if kept else None)


def merge_cards(
    store: Store,
    owner: str,
    refs: list[CardRef],
    choices: MergeChoices | None = None,
    into: str | None = None,
    *,
    via: str,
    automatic: bool = False,
) -> MergeOutcome:
    """Merge the cards of `refs` into one with `choices` (None: the defaults) in the book
    `into` (an id or path of one of the owner's books; None: the default). NotFound for
    a card or book that is not the owner's; Invalid for a choice the cards do not offer."""
    started = time.time()
    with store.read() as tx:
        where = _book_path(owner, into) or _default_book(owner, load_members(tx, owner, refs))
        paths = {ref.book for ref in refs} | {where}
        if tx.get_collection(where) is None:
            paths.add(owner)  # a new default book is a write to the account
    with store.write(sorted(paths), actor=Actor(owner, "merge")) as tx:
        cards = load_members(tx, owner, refs)
        target = _target(tx, owner, _book_path(owner, into) or _default_book(owner, cards))
        region = tx.duplicate_settings(owner).phone_region
        rows = field_rows(cards, region)
        picks = resolved(rows, choices)
        kept = _kept(cards, target.path)
        if kept is not None:
            href, line = kept.item.href, kept.props.line_of("UID")
            uid = line.raw if line else uid_line(kept.item.uid)
            text = merged_text(cards, rows, picks, uid, region)
        else:
            uid = cards[0].item.uid
            if tx.href_of_uid(target.id, uid) is not None:
                uid = str(uuid.uuid4())
            href = free_href(uid, lambda name: tx.get_item(target.id, name) is not None)
            text = merged_text(cards, rows, picks, uid_line(uid), region)
        merged = item_data(text)
        removed = [card for card in cards if card is not kept]
        linked = links_of_members(tx, owner, cards)
        run = tx.record_run(
            None,
            owner=owner,
            kind="merge",
            started_at=started,
            status="ok",
            trigger="automatic" if automatic else via,
            counts={"merged": len(cards), "deleted": len(removed), "relinked": len(linked)},
            message=f"merged {len(cards)} contacts into {merged.index.display_name!r}",
        )
        tx.actor = Actor(owner, "merge", run_id=run.id)
        for card in removed:
            tx.delete_item(card.book, card.item.href, if_match=card.item.etag)
        tx.put_item(target, href, merged)
        prior = relink(tx, linked, cards, target, href, merged)
        record = tx.record_merge(
            owner,
            run.id,
            collection_id=target.id,
            href=href,
            uid=merged.uid,
            display_name=merged.index.display_name,
            members=[_member(card) for card in cards],
            prior_links=prior,
            automatic=automatic,
        )
    return MergeOutcome(record, run, CardRef(target.path, href), [card.ref for card in removed])


def undo_merge(store: Store, owner: str, merge_id: int, *, via: str) -> UndoOutcome:
    """Put the cards and links back as they were before the merge `merge_id`."""
    started = time.time()
    with store.read() as tx:
        merge = tx.require_merge(owner, merge_id)
        books = tx.collections_by_id(
            {version.collection_id for version in tx.versions_of_run(merge.run_id)}
        )
        paths = sorted(book.path for book in books.values())
    with store.write(paths, actor=Actor(owner, "undo")) as tx:
        merge = tx.require_merge(owner, merge_id)
        if merge.state != "merged":
            raise Conflict("already_undone", "This merge has been undone already.")
        plan = plan_undo(tx, merge.run_id, include_later_changes=False)
        run = tx.record_run(
            None,
            owner=owner,
            kind="undo",
            started_at=started,
            status="ok",
            trigger=via,
            counts=plan.counts,
            message=f"undid the merge into {merge.display_name!r}",
        )
        tx.actor = Actor(owner, "undo", run_id=run.id)
        kept = tx.versions_by_ids([r.version_id for r in plan.reverts if r.action != "remove"])
        restored = []
        for revert in plan.reverts:
            book = tx.require_collection(revert.book)
            if revert.action == "remove":
                tx.delete_item(book, revert.href, if_match=revert.current_etag)
                continue
            data = kept[revert.version_id].before()
            assert data is not None  # a version that brings a card back kept one
            tx.put_item(book, revert.href, data)
            restored.append(CardRef(revert.book, revert.href))
        put_back(tx, owner, merge.prior_links)
        tx.mark_merge_undone(merge.id, run.id)
        merge = tx.require_merge(owner, merge_id)
    return UndoOutcome(merge, run, restored, plan.changed_later)


def merges_of(store: Store, owner: str) -> list[MergeRecord]:
    with store.read() as tx:
        return tx.merges_of(owner)


def require_merge(store: Store, owner: str, merge_id: int) -> MergeRecord:
    with store.read() as tx:
        found = tx.get_merge(owner, merge_id)
    if found is None:
        raise NotFound(f"There is no merge {merge_id}.")
    return found


def _book_path(owner: str, into: str | None) -> str | None:
    """The path of `into`, a book's id ("work") or path ("alice/work")."""
    if not into:
        return None
    return into if "/" in into else f"{owner}/{into}"


def _default_book(owner: str, cards: list[MemberCard]) -> str:
    edited = [card for card in cards if card.by_person]
    if edited:
        return max(edited, key=lambda card: card.edited_at).book.path
    return f"{owner}/{DEFAULT_BOOK}"


def _target(tx: Transaction, owner: str, path: str) -> CollectionRecord:
    book = tx.get_collection(path) if path.split("/", 1)[0] == owner else None
    if book is None:
        if path == f"{owner}/{DEFAULT_BOOK}":
            return tx.ensure_default_book(owner)
        raise NotFound(f"There is no address book {path.split('/', 1)[-1]!r}.")
    return book


def _kept(cards: list[MemberCard], book_path: str) -> MemberCard | None:
    return next((card for card in cards if card.book.path == book_path), None)


def _member(card: MemberCard) -> dict[str, Any]:
    return {
        "book": card.book.path,
        "href": card.item.href,
        "uid": card.item.uid,
        "fn": card.item.display_name,
    }
