"""Groups both ways: a group card and its members' CATEGORIES kept in step on every write.

iOS and macOS keep a group as a group card listing its members; Thunderbird, DAVx5,
Evolution and every CSV export put the group's name in each member's CATEGORIES. Every
write of a card goes through the methods below, whatever door it came by (CardDAV, the
API, the admin page, a run of a source when it is published), and what it changed in one
form is written into the other in the same transaction:

- a group card's members added or removed, or the card renamed or deleted: the members'
  CATEGORIES gain, lose or rename the group's name;
- a category added to or removed from a contact: the book's group card of that name gains
  or loses the member; a new name makes a new group card (unless the book's group form
  is "categories"). A group whose last member leaves keeps its card, empty, as a group
  emptied on a phone does: deleting the card deletes the group.

Only what a write changed is carried over (the card before and after it), so a write
that leaves groups alone changes nothing else. The derived writes are writes of their own
(new ETag, change-log position, a version with the same actor) and derive nothing
further. When one write (a run, a restore) changes both forms of one group differently,
the group card wins: its member list is what both forms end with.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, String, and_, any_, bindparam, select, update
from sqlalchemy.dialects.postgresql import ARRAY

from contacthub.store.group_cards import (
    NO_FACTS,
    Edited,
    GroupFacts,
    facts_of,
    is_group_card,
    new_group_card,
    with_categories,
    with_members,
)
from contacthub.store.items import ItemsPart, etag_of
from contacthub.store.records import CollectionRecord, ContactIndex, ItemData, ItemRecord
from contacthub.store.schema import items
from contacthub.store.search import is_group_row
from contacthub.store.staging import StagingPart
from contacthub.store.versions import IMAGE_COLUMNS, Written
from contacthub.store.visible import visible

# The book's setting (a property of the book, beside its display name): which forms a
# new group takes. "both": a group card and categories; "categories": categories only.
GROUP_FORM = "{urn:contacthub}group-form"
GROUP_FORMS = ("both", "categories")
DEFAULT_GROUP_FORM = "both"
_CHUNK = 500
# A card whose text has none of these (in any case) has nothing to do with groups: it is
# not parsed for the bridge.
_MARKED = ("CATEGORIES", "ADDRESSBOOKSERVER-", "KIND:GROUP", "MEMBER:")


def _may_hold_group(text: str | None) -> bool:
    # Upper-cased once and searched for plain substrings: a case-blind regex over a card
    # with a 5 MiB photo took longer than reading the card's lines.
    if text is None:
        return False
    upper = text.upper()
    return any(mark in upper for mark in _MARKED)


# A card the bridge may rewrite is read with what its version keeps: the row read is the
# version's image, without reading the card a second time.
_DERIVED = IMAGE_COLUMNS
_UPDATE_DERIVED = (
    update(items)
    .where(items.c.id == bindparam("item_id"))
    .values(
        text=bindparam("new_text"),
        etag=bindparam("new_etag"),
        idx_extra=bindparam("new_extra"),
        modified_at=bindparam("now"),
    )
)


@dataclass(frozen=True)
class GroupSummary:
    """A book's group as people see it: its name, how many contacts are in it, and the
    href of its group card."""

    name: str
    members: int
    href: str


def group_form(collection: CollectionRecord) -> str:
    form = collection.props.get(GROUP_FORM, DEFAULT_GROUP_FORM)
    return form if form in GROUP_FORMS else DEFAULT_GROUP_FORM


@dataclass
class _Plan:
    """What a batch of writes asks of the other form."""

    # group name -> member UIDs to add / remove (from contacts' categories)
    join: dict[str, set[str]] = field(default_factory=dict)
    leave: dict[str, set[str]] = field(default_factory=dict)
    # member UID -> categories to add / remove (from group cards)
    tag: dict[str, set[str]] = field(default_factory=dict)
    untag: dict[str, set[str]] = field(default_factory=dict)

    def member_ops(self) -> set[str]:
        return set(self.tag) | set(self.untag)


def _add(target: dict[str, set[str]], key: str, values: Iterable[str]) -> None:
    values = set(values)
    if values:
        target.setdefault(key, set()).update(values)


def plan_of(pairs: Sequence[tuple[GroupFacts, GroupFacts]]) -> _Plan:
    """What the writes (each the card before and after) ask of the other form."""
    plan = _Plan()
    written_groups: dict[str, frozenset[str]] = {}
    contacts_after: dict[str, frozenset[str]] = {}
    for before, after in pairs:
        if before.is_group or after.is_group:
            _plan_group(plan, before, after)
            if after.is_group:
                written_groups[after.name] = after.members
            if before.is_group:
                written_groups.setdefault(before.name, frozenset())
            continue
        uid = after.uid or before.uid
        for name in after.categories - before.categories:
            _add(plan.join, name, [uid])
        for name in before.categories - after.categories:
            _add(plan.leave, name, [uid])
        if after.uid:
            contacts_after[after.uid] = after.categories
    # The group card wins over a contact written with it: its members are the group.
    for name, members in written_groups.items():
        plan.join.pop(name, None)
        plan.leave.pop(name, None)
        for uid, categories in contacts_after.items():
            if uid in members and name not in categories:
                _add(plan.tag, uid, [name])
            elif uid not in members and name in categories:
                _add(plan.untag, uid, [name])
    return plan


def _plan_group(plan: _Plan, before: GroupFacts, after: GroupFacts) -> None:
    old = before.members if before.is_group else frozenset()
    new = after.members if after.is_group else frozenset()
    if before.is_group and after.is_group and before.name != after.name:
        for uid in old:
            _add(plan.untag, uid, [before.name])
        for uid in new:
            _add(plan.tag, uid, [after.name])
        return
    name = after.name if after.is_group else before.name
    for uid in new - old:
        _add(plan.tag, uid, [name])
    for uid in old - new:
        _add(plan.untag, uid, [name])


@dataclass(frozen=True)
class _RunAhead:
    """A run's cards read before its publish, by href: ETag and groups facts of the cards
    it wrote and of those it replaced."""

    written: dict[str, tuple[str, GroupFacts]]
    replaced: dict[str, tuple[str, GroupFacts]]


@dataclass(frozen=True)
class _Derived:
    """A card rewritten by the bridge: its row as read, and its change."""

    row: Any
    edited: Edited


def _new_extra(row: Any, edited: Edited) -> str:
    """The search index's extra values after a derived change."""
    values = row.idx_extra.split("\n")[1:-1]
    for value in edited.gone:
        if value in values:
            values.remove(value)
    values.extend(edited.came)
    values.sort()
    return "\n" + "\n".join(values) + "\n" if values else ""


class GroupsPart(StagingPart):
    """The store's card writes, with their groups carried into the other form."""

    def put_item(
        self,
        collection: CollectionRecord,
        href: str,
        data: ItemData,
        *,
        if_match: str | None = None,
        if_none_match: bool = False,
    ) -> tuple[ItemRecord, ItemRecord | None]:
        new, old = super().put_item(
            collection, href, data, if_match=if_match, if_none_match=if_none_match
        )
        if new is not old:
            self.bridge_groups(collection, [(old.text if old else None, new.text)])
        return new, old

    def add_items(self, collection: CollectionRecord, new: list[tuple[str, ItemData]]) -> None:
        super().add_items(collection, new)
        self.bridge_groups(collection, [(None, data.text) for _, data in new])

    def delete_item(
        self, collection: CollectionRecord, href: str, *, if_match: str | None = None
    ) -> ItemRecord:
        old = super().delete_item(collection, href, if_match=if_match)
        self.bridge_groups(collection, [(old.text, None)])
        return old

    def move_item(
        self, source: CollectionRecord, href: str, target: CollectionRecord, target_href: str
    ) -> None:
        moved = self.get_item(source.id, href)
        replaced = self.get_item(target.id, target_href)
        super().move_item(source, href, target, target_href)
        if moved is None or source.id == target.id:
            return
        self.bridge_groups(source, [(moved.text, None)])
        gone = replaced.text if replaced is not None and replaced.id != moved.id else None
        self.bridge_groups(target, [(gone, moved.text)])

    def prepare_publish(self, collection_id: int, gen: int) -> _RunAhead:
        """The run's cards read and their groups found before its publish, outside the
        book's lock: the publish then reads only their ETags (a run of 100,000 cards with
        categories held the lock for seconds while it read them all)."""
        return _RunAhead(
            self._read_run_side(collection_id, items.c.born == gen),
            self._read_run_side(collection_id, items.c.dies == gen),
        )

    def publish_staging(
        self, collection: CollectionRecord, gen: int, holder: str, prepared: object | None = None
    ) -> None:
        super().publish_staging(collection, gen, holder)
        ahead = prepared if isinstance(prepared, _RunAhead) else None
        written = self._run_side(
            collection.id, items.c.born == gen, ahead.written if ahead else None
        )
        replaced = self._run_side(
            collection.id, items.c.dies == gen, ahead.replaced if ahead else None
        )
        hrefs = sorted(set(written) | set(replaced))
        self.bridge_facts(
            collection,
            [(replaced.get(href, NO_FACTS), written.get(href, NO_FACTS)) for href in hrefs],
        )

    def _read_run_side(
        self, collection_id: int, in_run: ColumnElement[bool]
    ) -> dict[str, tuple[str, GroupFacts]]:
        """href -> (ETag, groups facts) of the cards a run wrote (or replaced)."""
        rows = self.conn.execute(
            select(items.c.href, items.c.etag, items.c.text)
            .where(items.c.collection_id == collection_id, in_run)
            .execution_options(yield_per=500)
        )
        return {
            row.href: (row.etag, facts_of(row.text) if _may_hold_group(row.text) else NO_FACTS)
            for row in rows
        }

    def _run_side(
        self,
        collection_id: int,
        in_run: ColumnElement[bool],
        ahead: dict[str, tuple[str, GroupFacts]] | None,
    ) -> dict[str, GroupFacts]:
        """href -> groups facts of the cards the run wrote (or replaced), as published:
        those read ahead whose ETag is still theirs, the others read now."""
        if ahead is None:
            read = self._read_run_side(collection_id, in_run)
            return {href: facts for href, (_, facts) in read.items()}
        facts: dict[str, GroupFacts] = {}
        missing: list[str] = []
        rows = self.conn.execute(
            select(items.c.href, items.c.etag).where(items.c.collection_id == collection_id, in_run)
        )
        for row in rows:
            known = ahead.get(row.href)
            if known is not None and known[0] == row.etag:
                facts[row.href] = known[1]
            else:
                missing.append(row.href)
        for start in range(0, len(missing), _CHUNK):
            in_chunk = items.c.href.in_(missing[start : start + _CHUNK])
            read = self._read_run_side(collection_id, and_(in_run, in_chunk))
            facts.update((href, found) for href, (_, found) in read.items())
        return facts

    def list_groups(self, collection_id: int) -> list[GroupSummary]:
        """The book's groups (its group cards), by name."""
        rows = self.conn.execute(
            select(items.c.href, items.c.text).where(
                items.c.collection_id == collection_id,
                visible(collection_id),
                is_group_row(),
            )
        )
        groups = []
        for row in rows:
            facts = facts_of(row.text)
            groups.append(GroupSummary(facts.name, len(facts.members), row.href))
        return sorted(groups, key=lambda group: (group.name.casefold(), group.href))

    def bridge_groups(
        self, collection: CollectionRecord, writes: Sequence[tuple[str | None, str | None]]
    ) -> None:
        """Carry what these writes (each the card's text before and after; None: none)
        changed in one form of a group into the other."""
        self.bridge_facts(
            collection,
            [
                (facts_of(before), facts_of(after))
                for before, after in writes
                if _may_hold_group(before) or _may_hold_group(after)
            ],
        )

    def bridge_facts(
        self, collection: CollectionRecord, changes: Sequence[tuple[GroupFacts, GroupFacts]]
    ) -> None:
        """bridge_groups, of writes already read (each card's facts before and after)."""
        pairs = [pair for pair in changes if pair != (NO_FACTS, NO_FACTS) and pair[0] != pair[1]]
        if not pairs:
            return
        plan = plan_of(pairs)
        self._join_groups(collection, plan)
        self._tag_members(collection, plan)

    def _join_groups(self, collection: CollectionRecord, plan: _Plan) -> None:
        derived: list[_Derived] = []
        names = sorted(set(plan.join) | set(plan.leave))
        cards = self._group_cards(collection.id, names)
        for name in names:
            joining = plan.join.get(name, set())
            leaving = plan.leave.get(name, set())
            card = cards.get(name)
            if card is None:
                if joining and group_form(collection) == "both":
                    self._create_group(collection, name, sorted(joining))
                continue
            edited = with_members(card.text, sorted(joining), leaving)
            if edited.text != card.text:
                derived.append(_Derived(card, edited))
        self._write_derived(collection, derived)

    def _tag_members(self, collection: CollectionRecord, plan: _Plan) -> None:
        uids = sorted(plan.member_ops())
        derived: list[_Derived] = []
        for row in self._rows_of_uids(collection.id, uids):
            edited = with_categories(
                row.text, sorted(plan.tag.get(row.uid, ())), plan.untag.get(row.uid, set())
            )
            if edited.text != row.text and not is_group_card(row.text):
                derived.append(_Derived(row, edited))
        self._write_derived(collection, derived)

    def _group_cards(self, collection_id: int, names: Sequence[str]) -> dict[str, Any]:
        """The book's group card of each name (the first by href when several are), looked
        up together: one look through the book, not one a group (a run's 10 labels took
        10 looks through its 100,000 cards)."""
        found: dict[str, Any] = {}
        for start in range(0, len(names), _CHUNK):
            rows = self.conn.execute(
                select(*_DERIVED)
                .where(
                    items.c.collection_id == collection_id,
                    items.c.display_name.in_(names[start : start + _CHUNK]),
                    visible(collection_id),
                )
                .order_by(items.c.href)
            )
            for row in rows:
                if row.display_name not in found and is_group_card(row.text):
                    found[row.display_name] = row
        return found

    def _rows_of_uids(self, collection_id: int, uids: Sequence[str]) -> list[Any]:
        in_book = (items.c.collection_id == collection_id, visible(collection_id))
        if not self.is_sqlite:
            # One array parameter: psycopg took 120 ms per IN list of 500 UIDs (1.2 s of
            # a 5,000-member rename), the array 36 ms for all 5,000.
            wanted = bindparam("uids", list(uids), type_=ARRAY(String))
            return list(
                self.conn.execute(select(*_DERIVED).where(*in_book, items.c.uid == any_(wanted)))
            )
        found: list[Any] = []
        for start in range(0, len(uids), _CHUNK):
            chunk = uids[start : start + _CHUNK]
            found.extend(
                self.conn.execute(select(*_DERIVED).where(*in_book, items.c.uid.in_(chunk)))
            )
        return found

    def _create_group(self, collection: CollectionRecord, name: str, members: list[str]) -> None:
        uid = str(uuid.uuid4()).upper()
        text = new_group_card(uid, name, members)
        extra = ("group", *(f"urn:uuid:{member}" for member in members))
        data = ItemData(
            text=text,
            uid=uid,
            name="VCARD",
            component_name="",
            index=ContactIndex(display_name=name, fn=(name,), extra=tuple(sorted(extra))),
        )
        # The items' own write: a derived card derives nothing further.
        ItemsPart.put_item(self, collection, f"{uid}.vcf", data, if_none_match=True)

    def _write_derived(self, collection: CollectionRecord, derived: list[_Derived]) -> None:
        """Rewrite cards as the bridge wants them: each a write of its own (ETag, change
        log, version), none bridged again."""
        if not derived:
            return
        hrefs = [change.row.href for change in derived]
        self.cancel_staged(collection.id, self.book_state(collection.id), hrefs)
        now = time.time()
        self.conn.execute(
            _UPDATE_DERIVED,
            [
                {
                    "item_id": change.row.id,
                    "new_text": change.edited.text,
                    "new_etag": etag_of(change.edited.text),
                    "new_extra": _new_extra(change.row, change.edited),
                    "now": now,
                }
                for change in derived
            ],
        )
        first = self.record_changes(collection.id, hrefs, deleted=False)
        self.record_versions(
            collection.id,
            [
                Written(
                    change.row.href,
                    "update",
                    change.row,
                    change.row.uid,
                    change.row.display_name,
                    first + offset,
                )
                for offset, change in enumerate(derived)
            ],
        )
