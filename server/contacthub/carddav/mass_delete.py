"""A client that deletes too much: the deletions are made, and the book's owner is told.

Refusing a client's DELETEs breaks it (it retries, or gives up syncing), so every
deletion is made as asked. After a request that deleted cards is answered (and its
transaction committed), the guard hands what it deleted to the `DeletionWatch`, which
looks in a thread of its own, so no request waits for it and none fails because of it.

A client is one account with one User-Agent. When it deleted more than the policy's share
of a book of at least `least` contacts within `window` seconds, an alert is raised for
the book's owner: once per episode, an episode being deletions that keep coming within
the window of each other. Later deletions of the episode update the alert's count; a
deletion after a gap longer than the window, or after the owner restored or dismissed the
alert, starts a new episode counted afresh. The owner gets an email ([smtp]) with the link
to the alert in the admin page, and a banner on every page while it is open.

A client that deletes a whole book of at least `least` contacts (which goes to the trash
of deleted books, store/book_trash.py) raises an alert of its own, whose one action
restores the book.

The deletions are counted from the versions (the index of a book's writes by time), and
the book's contacts by their count; the watch first reads, and locks the book only to
write an alert, so two processes never raise one episode twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr

from contacthub.config import OWNER, MassDeletePolicy, Settings
from contacthub.jobs.notify import (
    MassDeletion,
    NotifyError,
    SmtpConfigError,
    SmtpSettings,
    mass_deletion_email,
    send,
)
from contacthub.store import (
    AlertRecord,
    ClientDeletion,
    CollectionRecord,
    Store,
    StoreError,
    Transaction,
)
from contacthub.store.alerts import BOOK, OPEN
from contacthub_radicale.context import Deletion

logger = logging.getLogger(__name__)

# Clients (account, book, User-Agent) waiting to be looked at: bounded, so a flood of
# deletions from ever new User-Agents cannot grow the server's memory.
MAX_WAITING = 10_000


@dataclass(frozen=True)
class Episode:
    """A client's deletions from a book: how many contacts, of how many the book held
    before them, from when to when."""

    deleted: int
    book_size: int
    first_at: float
    last_at: float


def owner_of(book: CollectionRecord) -> str:
    return book.path.split("/", 1)[0]


def assess(
    tx: Transaction, book: CollectionRecord, account: str, agent: str, policy: MassDeletePolicy
) -> tuple[AlertRecord | None, Episode] | None:
    """What to write: (an open alert, its episode as it now is) to extend it, (None, an
    episode) to raise one, or None for nothing."""
    now = tx.store.clock()
    latest = tx.latest_alert(book.id, account, agent)
    if latest is not None and latest.state == OPEN and latest.last_at >= now - policy.window:
        grown = _episode(
            _contacts(tx.client_deletions(book.id, account, agent, latest.first_at)), 0
        )
        if grown is None or (grown.deleted, grown.last_at) == (latest.deleted, latest.last_at):
            return None
        return latest, grown
    found = _contacts(tx.client_deletions(book.id, account, agent, now - policy.window))
    if latest is not None:  # what an earlier episode counted is not counted again
        found = [deletion for deletion in found if deletion.at > latest.last_at]
    if len({deletion.uid for deletion in found}) * 100 <= policy.share * policy.least:
        # Too few for any book the policy watches: the book's contacts need no count.
        return None
    remaining = tx.count_people([book.id]).get(book.id, 0)
    episode = _episode(found, remaining)
    if episode is None or episode.book_size < policy.least:
        return None
    if episode.deleted * 100 <= policy.share * episode.book_size:
        return None
    return None, episode


def _contacts(found: Sequence[ClientDeletion]) -> list[ClientDeletion]:
    """The deletions of contacts: the watch is about people, and a group card is a group
    (deleting a phone's groups is tidying, not losing contacts)."""
    return [deletion for deletion in found if not deletion.group]


def _episode(found: Sequence[ClientDeletion], remaining: int) -> Episode | None:
    uids = {deletion.uid for deletion in found}
    times = [deletion.at for deletion in found]
    if not times:
        return None
    return Episode(len(uids), remaining + len(uids), min(times), max(times))


def check_book_deletion(
    store: Store, policy: MassDeletePolicy, deletion: Deletion
) -> AlertRecord | None:
    """Raise an alert when the client deleted a whole book of at least `least` contacts
    (it is in the trash of deleted books): once per deletion; the alert raised, if any."""
    owner = deletion.book.split("/", 1)[0]
    assert deletion.deleted_book is not None
    with store.read() as tx:
        book = tx.get_deleted_book(owner, deletion.deleted_book, 0.0)
    if book is None:  # restored already
        return None
    with store.write([book.trash_path]) as tx:  # one process at a time decides for the book
        book = tx.get_deleted_book(owner, deletion.deleted_book, 0.0)
        if book is None:
            return None
        size = tx.count_people([book.id]).get(book.id, 0)
        latest = tx.latest_alert(book.id, deletion.account, deletion.agent)
        told = latest is not None and latest.kind == BOOK and latest.first_at == book.deleted_at
        if size < policy.least or told:
            return None
        return tx.add_alert(
            owner,
            book.id,
            deletion.account,
            deletion.agent,
            deleted=size,
            book_size=size,
            first_at=book.deleted_at,
            last_at=book.deleted_at,
            now=store.clock(),
            kind=BOOK,
        )


def check_deletions(
    store: Store, policy: MassDeletePolicy, deletion: Deletion
) -> AlertRecord | None:
    """Raise an alert, or extend the open one, for what the client deleted from the book;
    the alert raised now, if any (its owner is to be told)."""
    if deletion.deleted_book is not None:
        return check_book_deletion(store, policy, deletion)
    with store.read() as tx:
        book = tx.get_collection(deletion.book)
        if book is None or assess(tx, book, deletion.account, deletion.agent, policy) is None:
            return None
    with store.write([deletion.book]) as tx:  # one process at a time decides for the book
        book = tx.get_collection(deletion.book)
        decided = assess(tx, book, deletion.account, deletion.agent, policy) if book else None
        if book is None or decided is None:
            return None
        ongoing, episode = decided
        if ongoing is not None:
            tx.extend_alert(ongoing.id, episode.deleted, episode.last_at)
            return None
        return tx.add_alert(
            owner_of(book),
            book.id,
            deletion.account,
            deletion.agent,
            deleted=episode.deleted,
            book_size=episode.book_size,
            first_at=episode.first_at,
            last_at=episode.last_at,
            now=store.clock(),
        )


# -- telling the owner ------------------------------------------------------------------------


def recipients(policy: MassDeletePolicy, owner: str) -> list[str]:
    """The addresses of `alert_to`, `owner` standing for the owner's name when it is an
    email address."""
    found: list[str] = []
    for recipient in policy.alert_to:
        if recipient == OWNER:
            recipient = owner if "@" in parseaddr(owner)[1] else ""
        if recipient and recipient not in found:
            found.append(recipient)
    return found


def alert_link(settings: Settings, alert: AlertRecord) -> str:
    return f"{settings.base_url}/admin/alerts/{alert.id}"


def email_alert(store: Store, settings: Settings, alert: AlertRecord) -> str:
    """Email the alert to its owner; returns what became of it ("sent to ..." or why not),
    which the alert keeps. Never raises: the deletions are made, the banner shows."""
    try:
        outcome = _deliver(store, settings, alert)
    except Exception:  # noqa: BLE001 - the alert is raised; only its email is lost
        logger.exception("alert %s: its email failed", alert.id)
        outcome = "not sent: an internal error; the server log has the details"
    if outcome.startswith("not sent"):
        logger.warning("alert %s of %s: the email was %s", alert.id, alert.owner, outcome)
    try:
        with store.write() as tx:
            tx.set_alert_email(alert.id, outcome)
    except StoreError as error:
        logger.error("alert %s: what became of its email was not saved: %s", alert.id, error)
    return outcome


def _deliver(store: Store, settings: Settings, alert: AlertRecord) -> str:
    to = recipients(settings.mass_delete, alert.owner)
    if not to:
        return (
            "not sent: no address ([history] alert_to names none, and the account's name "
            "is no email address)"
        )
    if not settings.smtp.get("host"):
        return "not sent: no SMTP server is configured ([smtp] host)"
    try:
        smtp = SmtpSettings.from_config(settings.smtp)
    except SmtpConfigError as error:
        return f"not sent: {error}"
    with store.read() as tx:
        book = tx.collections_by_id([alert.collection_id]).get(alert.collection_id)
    told = MassDeletion(
        client=alert.agent,
        account=alert.account,
        book=(book.props.get("D:displayname") if book else None) or alert.book_path,
        deleted=alert.deleted,
        book_size=alert.book_size,
        first_at=datetime.fromtimestamp(alert.first_at, UTC),
        last_at=datetime.fromtimestamp(alert.last_at, UTC),
        link=alert_link(settings, alert),
        whole_book=alert.kind == BOOK,
    )
    try:
        send(smtp, mass_deletion_email(told, to=to))
    except NotifyError as error:
        return f"not sent: {error}"
    return f"sent to {', '.join(to)}"


# -- the watch --------------------------------------------------------------------------------


class DeletionWatch:
    """Looks at what clients deleted, in a thread of its own, one client at a time; a
    client that deleted again while it waits is looked at once. A client is looked at no
    more often than every SPACING seconds: each look reads the client's whole episode, so
    a look after every DELETE of a phone wiping a book of N contacts would read N²/2
    deletions (10,000 DELETEs took minutes). An alert comes at most SPACING late."""

    SPACING = 1.0

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        # Clients to look at, each with when it may be looked at (on the monotonic clock).
        self._waiting: dict[Deletion, float] = {}
        self._looked: dict[Deletion, float] = {}  # clients looked at in the last SPACING
        self._busy = False
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def deleted(self, deletions: Iterable[Deletion]) -> None:
        """Cards were deleted (and committed): look at their clients soon."""
        with self._changed:
            for deletion in deletions:
                if deletion in self._waiting:
                    continue
                if len(self._waiting) >= MAX_WAITING:
                    logger.warning("deletions of %s not looked at: too many waiting", deletion)
                    continue
                self._waiting[deletion] = self._looked.get(deletion, -self.SPACING) + self.SPACING
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="deletion-watch", daemon=True
                )
                self._thread.start()
            self._changed.notify_all()

    def idle(self, timeout: float) -> bool:
        """Wait until nothing waits to be looked at; whether that came within `timeout`."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._waiting and not self._busy, timeout)

    def _run(self) -> None:
        while True:
            with self._changed:
                self._busy = False
                self._changed.notify_all()
                deletion = self._next_due()
                self._busy = True
            self._look_at(deletion)

    def _next_due(self) -> Deletion:
        """The client whose time has come, first come first; waits for it (the lock held
        by the caller is released while waiting)."""
        while True:
            if not self._waiting:
                self._changed.wait()
                continue
            deletion, due = min(self._waiting.items(), key=lambda waiting: waiting[1])
            now = time.monotonic()
            if due > now:
                self._changed.wait(due - now)
                continue
            del self._waiting[deletion]
            self._looked = {d: at for d, at in self._looked.items() if at > now - self.SPACING}
            self._looked[deletion] = now
            return deletion

    def _look_at(self, deletion: Deletion) -> None:
        try:
            raised = check_deletions(self.store, self.settings.mass_delete, deletion)
        except Exception:  # noqa: BLE001 - the deletions are made; the watch goes on
            logger.exception("the deletions of %s could not be looked at", deletion)
            return
        if raised is None:
            return
        logger.warning(
            "alert %s: the client %r of %s deleted %s of the %s contacts of %s",
            raised.id,
            raised.agent,
            raised.account,
            raised.deleted,
            raised.book_size,
            raised.book_path,
        )
        threading.Thread(
            target=email_alert,
            args=(self.store, self.settings, raised),
            name=f"alert-{raised.id}-email",
            daemon=True,
        ).start()
