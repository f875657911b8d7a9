"""Alerts: a CardDAV client deleted much of a book (carddav/mass_delete.py raises them).

What the API and the admin page call: an owner's alerts, and the two actions on one —
restore (exactly the contacts the client deleted in the episode that are still in the
trash, through services/history.py, as a run of its own that can be undone) and dismiss
(the deletions were meant). An alert of another account is NotFound, as one that does
not exist.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from contacthub.errors import Conflict, NotFound
from contacthub.services import book_trash, history
from contacthub.sources.context import RunContext
from contacthub.store import AlertRecord, CollectionRecord, DeletedBook, Transaction
from contacthub.store.alerts import BOOK, DISMISSED, OPEN, RESTORED

MAX_ID = 2**31 - 1
LISTED = 100  # the newest alerts listed


@dataclass(frozen=True)
class Alert:
    """A client (`account` signed in with the User-Agent `client`) deleted `deleted` of
    the `book_size` contacts of the book `book` from `first_deletion_at` to
    `last_deletion_at`. `state`: open, restored (by the run `restore_run_id`, which
    brought `restored` back) or dismissed. `email`: what became of its email."""

    id: int
    kind: str  # cards: the client deleted cards of the book; book: the book itself
    state: str
    book: str
    book_name: str
    account: str
    client: str
    deleted: int
    book_size: int
    first_deletion_at: float
    last_deletion_at: float
    raised_at: float
    resolved_at: float | None
    restore_run_id: int | None
    restored: int | None
    email: str

    @classmethod
    def of(
        cls, record: AlertRecord, book: CollectionRecord | None, deleted: DeletedBook | None
    ) -> Alert:
        book_id = deleted.name if deleted else record.book_path.rsplit("/", 1)[-1]
        name = book.props.get("D:displayname") if book is not None else None
        return cls(
            id=record.id,
            kind=record.kind,
            state=record.state,
            book=book_id,
            book_name=name or book_id,
            account=record.account,
            client=record.agent,
            deleted=record.deleted,
            book_size=record.book_size,
            first_deletion_at=record.first_at,
            last_deletion_at=record.last_at,
            raised_at=record.raised_at,
            resolved_at=record.resolved_at,
            restore_run_id=record.restore_run_id,
            restored=record.restored,
            email=record.email,
        )

    @property
    def is_open(self) -> bool:
        return self.state == OPEN

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _shown(tx: Transaction, records: list[AlertRecord]) -> list[Alert]:
    books = tx.collections_by_id({record.collection_id for record in records})
    deleted = {
        record.collection_id: tx.get_deleted_book(record.owner, record.collection_id, 0.0)
        for record in records
        if record.kind == BOOK
    }
    return [
        Alert.of(record, books.get(record.collection_id), deleted.get(record.collection_id))
        for record in records
    ]


def alerts_of(ctx: RunContext, user: str, *, only_open: bool = False) -> list[Alert]:
    """The user's alerts (the newest LISTED), newest first; with `only_open`, those open."""
    states = (OPEN,) if only_open else (OPEN, RESTORED, DISMISSED)
    with ctx.store.read() as tx:
        return _shown(tx, tx.alerts_of(user, states, LISTED))


def _require(tx: Transaction, user: str, alert_id: int) -> AlertRecord:
    found = tx.get_alert(alert_id) if 0 < alert_id <= MAX_ID else None
    if found is None or found.owner != user:
        raise NotFound(f"There is no alert {alert_id}.")
    return found


def alert_of(ctx: RunContext, user: str, alert_id: int) -> Alert:
    with ctx.store.read() as tx:
        return _shown(tx, [_require(tx, user, alert_id)])[0]


def restore_alert(ctx: RunContext, user: str, alert_id: int, *, via: str) -> Alert:
    """Bring back the contacts the client deleted in the episode, those still in the trash
    (one a client made again since stays as it is now); the alert is then restored.
    Conflict if it was restored already."""
    with ctx.store.read() as tx:
        alert = _require(tx, user, alert_id)
        if alert.state == RESTORED:
            raise Conflict("already_restored", f"Alert {alert_id} was restored already.")
    if alert.kind == BOOK:
        return _restore_book(ctx, user, alert)
    with ctx.store.read() as tx:
        episode = {
            deletion.uid
            for deletion in tx.client_deletions(
                alert.collection_id, alert.account, alert.agent, alert.first_at, alert.last_at
            )
        }
    book_id = alert.book_path.rsplit("/", 1)[-1]
    in_trash = {entry.uid for entry in history.trash(ctx, user, book_id)}
    wanted = sorted(episode & in_trash)
    run_id, restored = None, 0
    if wanted:
        result = history.restore_from_trash(ctx, user, book_id, wanted, via=via)
        run_id, restored = result.run_id, len(result.done.brought_back)
    with ctx.store.write() as tx:
        tx.resolve_alert(
            alert_id,
            RESTORED,
            ctx.store.clock(),
            unless=(RESTORED,),
            restore_run_id=run_id,
            restored=restored,
        )
    return alert_of(ctx, user, alert_id)


def _restore_book(ctx: RunContext, user: str, alert: AlertRecord) -> Alert:
    """Bring the deleted book back, unless it is back already (or purged)."""
    listed = {book.id for book in book_trash.deleted_books(ctx, user)}
    restored = 0
    if alert.collection_id in listed:
        restored = book_trash.restore_deleted_book(ctx, user, alert.collection_id).contacts
    with ctx.store.write() as tx:
        tx.resolve_alert(
            alert.id, RESTORED, ctx.store.clock(), unless=(RESTORED,), restored=restored
        )
    return alert_of(ctx, user, alert.id)


def dismiss_alert(ctx: RunContext, user: str, alert_id: int) -> Alert:
    """The deletions were meant: the alert is no longer shown as open. Conflict if it was
    restored (a dismissed one stays as it is)."""
    with ctx.store.read() as tx:
        alert = _require(tx, user, alert_id)
    if alert.state == RESTORED:
        raise Conflict(
            "already_restored",
            f"Alert {alert_id} was restored already; there is nothing to dismiss.",
        )
    with ctx.store.write() as tx:
        tx.resolve_alert(alert_id, DISMISSED, ctx.store.clock(), unless=(RESTORED, DISMISSED))
    return alert_of(ctx, user, alert_id)
