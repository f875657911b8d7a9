"""Alerts: a CardDAV client that deleted more than a share of a book within a short window.

What a client deleted is read from the versions (store/versions.py: every deletion keeps
the card with the account, the door and the User-Agent), on the index of a collection's
writes by time, so counting the deletions of the last minutes reads only those. An alert
row is one episode of such deletions; deciding when to raise one is the caller's
(carddav/mass_delete.py), which holds the book's lock while it writes here, so two
processes never raise one episode twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from contacthub.store.base import TxBase
from contacthub.store.schema import alerts, collections, versions
from contacthub.store.versions import is_group_image

OPEN, RESTORED, DISMISSED = "open", "restored", "dismissed"
# What the client deleted: cards of a book, or the whole book (in the trash of deleted books).
CARDS, BOOK = "cards", "book"
STATES = (OPEN, RESTORED, DISMISSED)
# The door whose deletions are watched: a CardDAV client's (the API and runs have their
# own guards: a person's request, a run's mass-deletion guard).
WATCHED_VIA = "carddav"


@dataclass(frozen=True, slots=True)
class ClientDeletion:
    """One card a client deleted: its UID, when, and whether it was a group card (a
    group is not a contact: the watch counts contacts, a restore brings back both)."""

    uid: str
    at: float
    group: bool = False


@dataclass(frozen=True)
class AlertRecord:
    """One episode: the client (`account`, `agent`) deleted `deleted` of the `book_size`
    contacts of the book from `first_at` to `last_at`; told to `owner`."""

    id: int
    kind: str
    owner: str
    collection_id: int
    book_path: str
    account: str
    agent: str
    deleted: int
    book_size: int
    first_at: float
    last_at: float
    raised_at: float
    state: str
    resolved_at: float | None
    restore_run_id: int | None
    restored: int | None
    email: str

    @classmethod
    def from_row(cls, row: Any) -> AlertRecord:
        return cls(
            id=row.id,
            kind=row.kind,
            owner=row.owner,
            collection_id=row.collection_id,
            book_path=row.path,
            account=row.account,
            agent=row.agent,
            deleted=row.deleted,
            book_size=row.book_size,
            first_at=row.first_at,
            last_at=row.last_at,
            raised_at=row.raised_at,
            state=row.state,
            resolved_at=row.resolved_at,
            restore_run_id=row.restore_run_id,
            restored=row.restored,
            email=row.email,
        )


_ALERTS = select(alerts, collections.c.path).join(
    collections, collections.c.id == alerts.c.collection_id
)


class AlertsPart(TxBase):
    """Reading what a client deleted, and keeping the alerts about it."""

    def client_deletions(
        self,
        collection_id: int,
        account: str,
        agent: str,
        since: float,
        until: float | None = None,
    ) -> list[ClientDeletion]:
        """The cards the CardDAV client (account and User-Agent) deleted from the collection
        from the time `since` (to `until`), oldest first."""
        query = select(versions.c.uid, versions.c.at, versions.c.card).where(
            versions.c.collection_id == collection_id,
            versions.c.gen == 0,
            versions.c.at >= since,
            versions.c.action == "delete",
            versions.c.via == WATCHED_VIA,
            versions.c.account == account,
            versions.c.agent == agent,
        )
        if until is not None:
            query = query.where(versions.c.at <= until)
        rows = self.conn.execute(query.order_by(versions.c.at, versions.c.id))
        return [ClientDeletion(row.uid, row.at, is_group_image(row.card)) for row in rows]

    def latest_alert(self, collection_id: int, account: str, agent: str) -> AlertRecord | None:
        """The client's newest alert about the collection, if any."""
        row = self.conn.execute(
            _ALERTS.where(
                alerts.c.collection_id == collection_id,
                alerts.c.account == account,
                alerts.c.agent == agent,
            )
            .order_by(alerts.c.id.desc())
            .limit(1)
        ).first()
        return AlertRecord.from_row(row) if row else None

    def add_alert(
        self,
        owner: str,
        collection_id: int,
        account: str,
        agent: str,
        *,
        deleted: int,
        book_size: int,
        first_at: float,
        last_at: float,
        now: float,
        kind: str = CARDS,
    ) -> AlertRecord:
        self.wrote_other_rows("alerts")
        new_id = self.conn.execute(
            alerts.insert()
            .values(
                kind=kind,
                owner=owner,
                collection_id=collection_id,
                account=account,
                agent=agent,
                deleted=deleted,
                book_size=book_size,
                first_at=first_at,
                last_at=last_at,
                raised_at=now,
                state=OPEN,
                email="",
            )
            .returning(alerts.c.id)
        ).scalar_one()
        return self.require_alert(new_id)

    def extend_alert(self, alert_id: int, deleted: int, last_at: float) -> None:
        """The episode went on: it holds `deleted` deletions, the last at `last_at`."""
        self.wrote_other_rows("alerts")
        self.conn.execute(
            update(alerts).where(alerts.c.id == alert_id).values(deleted=deleted, last_at=last_at)
        )

    def get_alert(self, alert_id: int) -> AlertRecord | None:
        row = self.conn.execute(_ALERTS.where(alerts.c.id == alert_id)).first()
        return AlertRecord.from_row(row) if row else None

    def require_alert(self, alert_id: int) -> AlertRecord:
        found = self.get_alert(alert_id)
        if found is None:
            raise LookupError(f"no alert {alert_id}")
        return found

    def alerts_of(
        self, owner: str, states: Sequence[str] = STATES, limit: int = 100
    ) -> list[AlertRecord]:
        """The owner's alerts in these states, newest first."""
        rows = self.conn.execute(
            _ALERTS.where(alerts.c.owner == owner, alerts.c.state.in_(states))
            .order_by(alerts.c.id.desc())
            .limit(limit)
        )
        return [AlertRecord.from_row(row) for row in rows]

    def resolve_alert(
        self,
        alert_id: int,
        state: str,
        now: float,
        *,
        unless: Sequence[str] = (),
        restore_run_id: int | None = None,
        restored: int | None = None,
    ) -> bool:
        """Restored or dismissed at `now`, unless it is in a state of `unless` already;
        whether it was changed (two clicks at once: only one is)."""
        self.wrote_other_rows("alerts")
        changed = self.conn.execute(
            update(alerts)
            .where(alerts.c.id == alert_id, alerts.c.state.not_in(unless))
            .values(
                state=state,
                resolved_at=now,
                restore_run_id=restore_run_id,
                restored=restored,
            )
        )
        return changed.rowcount == 1

    def set_alert_email(self, alert_id: int, outcome: str) -> None:
        self.wrote_other_rows("alerts")
        self.conn.execute(update(alerts).where(alerts.c.id == alert_id).values(email=outcome))
