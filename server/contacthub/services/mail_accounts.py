"""Mail accounts: IMAP mailboxes and Exchange accounts whose contacts come into a book.

An account is a source (contacthub.sources.imap.source, contacthub.sources.exchange.source)
with the schedules, runs and report emails of a CSV sync. Its password is sealed in the
store and never shown again. Disconnecting removes the account; its contacts and book stay.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from contacthub.errors import Invalid, sentence
from contacthub.jobs.status import SyncStatus, status_of
from contacthub.services.sources import require_source
from contacthub.sources.base import MailAccountKind
from contacthub.sources.context import RunContext
from contacthub.sources.mail_account import AccountError
from contacthub.sources.registry import MAIL_ACCOUNTS
from contacthub.sources.settings import SyncError, parse_notify, parse_schedule, save_settings
from contacthub.store import SourceRecord, Transaction


@contextmanager
def _refusals() -> Iterator[None]:
    """A form, a connection or a schedule that cannot be used: Invalid, naming the field."""
    try:
        yield
    except (AccountError, SyncError) as error:
        raise Invalid(sentence(str(error)), field=error.field) from None


def scheduling(ctx: RunContext, body: dict[str, Any]) -> dict[str, Any]:
    """Schedule and notification addresses taken out of `body`, checked (for save_settings)."""
    changes: dict[str, Any] = {}
    with _refusals():
        if "schedule" in body:
            changes["schedule"] = parse_schedule(body.pop("schedule"), None, ctx.now())
        if "notify" in body:
            changes["notify"] = parse_notify(body.pop("notify"))
    return changes


def require_account(ctx: RunContext, user: str, account_id: int) -> SourceRecord:
    """The user's mail account `account_id` (NotFound for anybody else's, or a sync)."""
    return require_source(
        ctx, user, account_id, MAIL_ACCOUNTS, f"There is no mail account {account_id}."
    )


def accounts_of(tx: Transaction, user: str) -> list[SourceRecord]:
    """The user's mail accounts, oldest first."""
    found = [source for kind in MAIL_ACCOUNTS for source in tx.list_sources(owner=user, kind=kind)]
    return sorted(found, key=lambda source: source.id)


@dataclass(frozen=True)
class AccountState:
    """An account as its list shows it: its status, and the title of its book."""

    source: SourceRecord
    status: SyncStatus
    book_title: str


def _state(tx: Transaction, source: SourceRecord, now: float) -> AccountState:
    book = tx.get_collection(source.book_path)
    title = (book.display_name if book else "") or source.book_path.rsplit("/", 1)[-1]
    return AccountState(source, status_of(tx, source, now), title)


def account_states(ctx: RunContext, user: str) -> list[AccountState]:
    now = ctx.now()
    with ctx.store.read() as tx:
        return [_state(tx, source, now) for source in accounts_of(tx, user)]


def state_of(ctx: RunContext, source: SourceRecord) -> AccountState:
    """The account as it is now (after a change, or a run)."""
    with ctx.store.read() as tx:
        return _state(tx, tx.require_source(source.id), ctx.now())


def account_settings(source: SourceRecord) -> dict[str, Any]:
    """What the account's form holds, never its password."""
    return MAIL_ACCOUNTS[source.kind].account_json(source)


def try_connection(
    ctx: RunContext, kind: MailAccountKind, form: Mapping[str, Any]
) -> dict[str, Any]:
    """Log in with what a person entered, saving nothing: what the server showed (IMAP:
    "folders", "sent_folder"; Exchange: "contacts"); Invalid naming the field at fault."""
    with _refusals():
        account = kind.parse_form(ctx, form)
        return kind.test_connection(ctx, account)


def connect(
    ctx: RunContext,
    user: str,
    kind: MailAccountKind,
    form: Mapping[str, Any],
    *,
    name: str | None = None,
    schedule: dict[str, Any] | None = None,
) -> SourceRecord:
    """Test the connection, then save the account (with `schedule` from scheduling);
    nothing is saved when it fails."""
    with _refusals():
        source = kind.connect_account(ctx, user, form, name=name)
    if schedule:
        source = save_settings(ctx, source, **schedule)
    return source


def update_account(
    ctx: RunContext,
    source: SourceRecord,
    form: Mapping[str, Any],
    *,
    schedule: dict[str, Any] | None = None,
) -> SourceRecord:
    """Change the account's settings (tested as a new connection when they change how it
    logs in), then its schedule and notification addresses."""
    if form:
        with _refusals():
            source = MAIL_ACCOUNTS[source.kind].update_account(ctx, source, form)
    if schedule:
        source = save_settings(ctx, source, **schedule)
    return source
