"""History: a book's trash, a contact's versions, a restore to a time, the undo of a run.

What the API, the admin page and the CLI call. Every write of a card keeps the card as it
was (store/versions.py); these read that history and put cards back through
reconcile/restore.py, as runs of their own (kind `restore` or `undo`, their `trigger` the
door asked through: api, admin, cli), which are undoable in turn. A book or run of
another account is NotFound, as one that does not exist.

A restore to a time and an undo have a preview; its `basis` handed back to the apply
makes the apply refuse (409 changed_since_preview) if a card it would touch changed
since, instead of doing something else than what was shown. Every result is a dataclass
whose `as_dict()` is JSON.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from contacthub.errors import Conflict, Invalid, NotFound, quoted
from contacthub.reconcile.restore import (
    RestoreOutcome,
    RestorePlan,
    Revert,
    Untouched,
    apply_plan,
    plan_from_trash,
    plan_to_time,
    plan_undo,
    plan_version,
)
from contacthub.services.books import require_book, user_books
from contacthub.sources.context import RunContext
from contacthub.store import Actor, CollectionRecord, RunRecord, Transaction, VersionRecord
from contacthub.vcard.diff import changed_properties

MAX_ID = 2**31 - 1
DOORS = ("api", "admin", "cli")


class _Shown:
    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = asdict(self)  # type: ignore[call-overload]
        return found


@dataclass(frozen=True)
class Who(_Shown):
    """Who wrote, through what: the account, the door (carddav, api, admin, cli, run,
    restore, undo, unknown), the client's User-Agent, the run."""

    account: str
    via: str
    agent: str = ""
    run_id: int | None = None

    @classmethod
    def of(cls, version: VersionRecord) -> Who:
        return cls(version.account, version.via, version.agent, version.run_id)


@dataclass(frozen=True)
class TrashEntry(_Shown):
    """A deleted contact that can be brought back, and who deleted it when."""

    book: str
    uid: str
    href: str
    name: str
    deleted_at: float
    deleted_by: Who


@dataclass(frozen=True)
class TrashPage:
    """A page of a book's trash, newest deletion first, and how many the trash holds."""

    entries: list[TrashEntry]
    total: int
    limit: int
    offset: int


@dataclass(frozen=True)
class ContactVersion(_Shown):
    """One state of a contact: the card a write made, with that write (when, by whom, what
    it did, which properties it changed). `version` is what restore_version takes (None
    for the current card); `exists` False: the contact was deleted then. `at`, `by` and
    `action` are None and "" for the oldest card kept, made before the history begins."""

    version: int | None
    exists: bool
    current: bool
    at: float | None
    by: Who | None
    action: str
    changed: list[str]


@dataclass(frozen=True)
class ContactHistory(_Shown):
    book: str
    uid: str
    name: str
    versions: list[ContactVersion]  # newest first


@dataclass(frozen=True)
class PlannedContact(_Shown):
    book: str
    uid: str
    href: str
    name: str
    reason: str = ""


@dataclass(frozen=True)
class RestorePreview(_Shown):
    """What a restore (or undo) would do: contacts brought back, reverted, removed, and
    those left as they are with why; `changed_later`: for an undo, the contacts changed
    again after the run. Hand `basis` to the apply."""

    brought_back: list[PlannedContact]
    reverted: list[PlannedContact]
    removed: list[PlannedContact]
    skipped: list[PlannedContact]
    changed_later: list[PlannedContact]
    counts: dict[str, int]
    basis: str

    @classmethod
    def of(cls, plan: RestorePlan) -> RestorePreview:
        return cls(
            brought_back=[_planned(r) for r in plan.of("bring_back")],
            reverted=[_planned(r) for r in plan.of("revert")],
            removed=[_planned(r) for r in plan.of("remove")],
            skipped=[_untouched(u) for u in plan.skipped],
            changed_later=[_untouched(u) for u in plan.changed_later],
            counts=plan.counts,
            basis=plan.basis,
        )


@dataclass(frozen=True)
class RestoreResult(_Shown):
    """The run a restore or an undo was recorded as (undo it by its `run_id`), and what
    it did."""

    run_id: int
    kind: str
    status: str
    message: str
    done: RestorePreview = field(repr=False)

    @classmethod
    def of(cls, outcome: RestoreOutcome) -> RestoreResult:
        run = outcome.run
        return cls(run.id, run.kind, run.status, run.message, RestorePreview.of(outcome.plan))


def _book_id(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _planned(revert: Revert) -> PlannedContact:
    return PlannedContact(_book_id(revert.book), revert.uid, revert.href, revert.name)


def _untouched(untouched: Untouched) -> PlannedContact:
    return PlannedContact(
        _book_id(untouched.book), untouched.uid, untouched.href, untouched.name, untouched.reason
    )


def _check_door(via: str) -> None:
    if via not in DOORS:
        raise ValueError(f"unknown door {via!r}: one of {', '.join(DOORS)}")


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _retained_since(ctx: RunContext) -> float:
    return ctx.store.clock() - ctx.store.history_retention


# -- the trash --------------------------------------------------------------------------------


def trash(ctx: RunContext, user: str, book_id: str) -> list[TrashEntry]:
    """The contacts deleted from the book within the retention, newest first."""
    with ctx.store.read() as tx:
        book = require_book(tx, user, book_id)
        deleted = tx.deleted_since(book.id, _retained_since(ctx))
    return [TrashEntry(book_id, v.uid, v.href, v.display_name, v.at, Who.of(v)) for v in deleted]


def trash_page(ctx: RunContext, user: str, book_id: str, limit: int, offset: int) -> TrashPage:
    """`limit` contacts of the book's trash from `offset`, newest deletion first."""
    entries = trash(ctx, user, book_id)
    return TrashPage(entries[offset : offset + limit], len(entries), limit, offset)


def restore_from_trash(
    ctx: RunContext, user: str, book_id: str, uids: list[str] | None, *, via: str
) -> RestoreResult:
    """Bring back the contacts of the trash with these UIDs (None: all of them), each
    under its UID and href (a free href if another contact took it since)."""
    _check_door(via)
    wanted = None if uids is None else set(uids)
    since = _retained_since(ctx)
    with ctx.store.read() as tx:
        book = require_book(tx, user, book_id)
        if wanted is not None:
            missing = wanted - {v.uid for v in tx.deleted_since(book.id, since)}
            if missing:
                raise NotFound(
                    f"The trash of {quoted(book_id)} holds no contact with UID "
                    f"{quoted(sorted(missing)[0])}.",
                    field="uids",
                )
    return RestoreResult.of(
        apply_plan(
            ctx.store,
            [book.path],
            lambda tx: plan_from_trash(tx, book, wanted, since),
            actor=Actor(user, "restore"),
            kind="restore",
            trigger=via,
            message=lambda plan: f"{_brought_back(plan)} from the trash of {quoted(book_id)}",
        )
    )


def _brought_back(plan: RestorePlan) -> str:
    count = len(plan.of("bring_back"))
    return f"{count} contact{'s' if count != 1 else ''} brought back"


# -- a contact's history ----------------------------------------------------------------------


def contact_history(ctx: RunContext, user: str, book_id: str, uid: str) -> ContactHistory:
    """The contact's versions within the retention, newest first (the current one, if it
    exists, first of all)."""
    with ctx.store.read() as tx:
        book = require_book(tx, user, book_id)
        written = tx.versions_of_uid(book.id, uid)
        href = tx.href_of_uid(book.id, uid)
        current = tx.get_item(book.id, href) if href is not None else None
    if not written and current is None:
        raise NotFound(f"There is no contact with UID {quoted(uid)} in {quoted(book_id)}.")
    texts = [_text(v) for v in written] + [current.text if current is not None else None]
    states: list[ContactVersion] = []
    for index, text in enumerate(texts):
        made_by = written[index - 1] if index > 0 else None
        if made_by is None and text is None:
            continue
        states.append(
            ContactVersion(
                version=written[index].id if index < len(written) else None,
                exists=text is not None,
                current=index == len(written),
                at=made_by.at if made_by else None,
                by=Who.of(made_by) if made_by else None,
                action=made_by.action if made_by else "",
                changed=changed_properties(texts[index - 1], text) if made_by else [],
            )
        )
    name = current.display_name if current is not None else written[-1].display_name
    return ContactHistory(book_id, uid, name, states[::-1])


def _text(version: VersionRecord) -> str | None:
    card = version.before()
    return card.text if card is not None else None


def restore_version(
    ctx: RunContext, user: str, book_id: str, uid: str, version_id: int, *, via: str
) -> RestoreResult:
    """Make the contact's version `version_id` (of contact_history) its current card again,
    as a new write."""
    _check_door(via)
    with ctx.store.read() as tx:
        book = require_book(tx, user, book_id)
        version = tx.get_version(version_id) if version_id <= MAX_ID else None
    if version is None or version.collection_id != book.id or version.uid != uid:
        raise NotFound(f"The contact {quoted(uid)} has no version {version_id}.")
    if not version.existed:
        raise Invalid(
            f"Version {version_id} of {quoted(uid)} is the contact deleted; "
            "restore a version that has a card.",
            field="version",
        )
    return RestoreResult.of(
        apply_plan(
            ctx.store,
            [book.path],
            lambda tx: plan_version(tx, book, version),
            actor=Actor(user, "restore"),
            kind="restore",
            trigger=via,
            message=lambda _plan: (
                f"{quoted(version.display_name or uid)} restored as it was at {_when(version.at)}"
            ),
        )
    )


# -- a restore to a time ----------------------------------------------------------------------


def _books(tx: Transaction, user: str, book_ids: list[str] | None) -> list[CollectionRecord]:
    if book_ids is None:
        return user_books(tx, user)
    return [require_book(tx, user, book_id) for book_id in dict.fromkeys(book_ids)]


def _check_time(ctx: RunContext, at: float) -> None:
    now = ctx.store.clock()
    if at > now:
        raise Invalid("The time to restore to is in the future.", field="at")
    if at < now - ctx.store.history_retention:
        days = ctx.store.history_retention / 86400
        raise Invalid(
            f"The history goes back {days:g} days; choose a time within them.", field="at"
        )


def preview_restore(
    ctx: RunContext, user: str, book_ids: list[str] | None, at: float
) -> RestorePreview:
    """What restoring the books (None: all of the user's) to the time `at` would do."""
    _check_time(ctx, at)
    with ctx.store.read() as tx:
        return RestorePreview.of(plan_to_time(tx, _books(tx, user, book_ids), at))


def apply_restore(
    ctx: RunContext,
    user: str,
    book_ids: list[str] | None,
    at: float,
    *,
    via: str,
    basis: str | None = None,
) -> RestoreResult:
    """Restore the books (None: all of the user's) to the time `at`, as one run; with a
    preview's `basis`, only if nothing it shows changed since."""
    _check_door(via)
    _check_time(ctx, at)
    with ctx.store.read() as tx:
        books = _books(tx, user, book_ids)
    names = ", ".join(quoted(book.display_name) for book in books) or "no address book"
    return RestoreResult.of(
        apply_plan(
            ctx.store,
            [book.path for book in books],
            lambda tx: plan_to_time(tx, books, at),
            actor=Actor(user, "restore"),
            kind="restore",
            trigger=via,
            message=lambda plan: f"{names} restored to {_when(at)}: {_described(plan)}",
            basis=basis,
        )
    )


def _described(plan: RestorePlan) -> str:
    counts = plan.counts
    said = [
        f"{counts[name]} {word}"
        for name, word in (
            ("added", "brought back"),
            ("updated", "reverted"),
            ("deleted", "removed"),
        )
        if counts[name]
    ]
    return ", ".join(said) or "no changes"


# -- the undo of a run ------------------------------------------------------------------------


def _require_run(tx: Transaction, user: str, run_id: int) -> RunRecord:
    run = tx.get_run(run_id) if 0 < run_id <= MAX_ID else None
    owner = None
    if run is not None and run.source_id is None:
        owner = run.owner
    elif run is not None and run.source_id is not None:
        source = tx.get_source(run.source_id)
        owner = source.owner if source is not None else None
    if run is None or owner != user:
        raise NotFound(f"There is no run {run_id}.")
    return run


def preview_undo(
    ctx: RunContext, user: str, run_id: int, include_later_changes: bool = False
) -> RestorePreview:
    """What undoing the run would do; `changed_later` names the contacts changed again
    after it (left as they are unless `include_later_changes`)."""
    with ctx.store.read() as tx:
        _require_run(tx, user, run_id)
        return RestorePreview.of(plan_undo(tx, run_id, include_later_changes))


def apply_undo(
    ctx: RunContext,
    user: str,
    run_id: int,
    include_later_changes: bool,
    *,
    via: str,
    basis: str | None = None,
) -> RestoreResult:
    """Undo the run: its adds removed, its updates and deletions reverted (the contacts
    changed again since too, if `include_later_changes`), as a run of its own."""
    _check_door(via)
    with ctx.store.read() as tx:
        if _require_run(tx, user, run_id).kind == "merge":
            raise Conflict(
                "merge_run",
                "This run is a merge: undo it as a merge (the list of merges), which puts "
                "the sources' links back too.",
            )
        books = tx.collections_by_id({v.collection_id for v in tx.versions_of_run(run_id)})
    return RestoreResult.of(
        apply_plan(
            ctx.store,
            [book.path for book in books.values()],
            lambda tx: plan_undo(tx, run_id, include_later_changes),
            actor=Actor(user, "undo"),
            kind="undo",
            trigger=via,
            message=lambda plan: f"undo of run {run_id}: {_undone(plan)}",
            basis=basis,
        )
    )


def _undone(plan: RestorePlan) -> str:
    counts = plan.counts
    said = [
        f"{counts[name]} {word}"
        for name, word in (
            ("deleted", "removed"),
            ("updated", "reverted"),
            ("added", "brought back"),
        )
        if counts[name]
    ]
    if counts["skipped"]:
        said.append(f"{counts['skipped']} changed again since, left as they are")
    return ", ".join(said) or "no changes"
