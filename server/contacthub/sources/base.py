"""The one interface every kind of source implements, and what a run of one records.

A kind of source is named by the `kind` column of its row ("csv", "imap", "exchange",
"device"). The runner finds it in `contacthub.sources.registry` and calls its `run`;
a kind that is never run by the runner (a phone pushes its cards) has no `run`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from contacthub.sources.context import RunContext
from contacthub.store import RunRecord, SourceRecord

logger = logging.getLogger(__name__)

# run(ctx, source, started, trigger, override_mass_deletion) -> the recorded run
RunFunction = Callable[[RunContext, SourceRecord, float, str, bool], RunRecord]


@dataclass(frozen=True)
class SourceKind:
    name: str  # the `kind` stored in the source's row
    noun: str  # what a person calls one: "sync", "mail account", "phone"
    run: RunFunction | None = None  # None: the runner never runs it

    @property
    def runnable(self) -> bool:
        return self.run is not None


class MailAccountKind(Protocol):
    """What a mail-account kind's module offers the API and the admin page (IMAP, Exchange);
    the modules themselves implement it."""

    KIND: str

    def parse_form(
        self, ctx: RunContext, form: Mapping[str, Any], previous: SourceRecord | None = None
    ) -> Any: ...

    def test_connection(self, ctx: RunContext, account: Any) -> dict[str, Any]: ...

    def connect_account(
        self, ctx: RunContext, owner: str, form: Mapping[str, Any], *, name: str | None = None
    ) -> SourceRecord: ...

    def update_account(
        self, ctx: RunContext, source: SourceRecord, form: Mapping[str, Any]
    ) -> SourceRecord: ...

    def account_json(self, source: SourceRecord) -> dict[str, Any]: ...


def record_outcome(
    ctx: RunContext, source: SourceRecord, started: float, trigger: str, status: str, message: str
) -> RunRecord:
    """A run that ended before the reconciler could record one (nothing changed)."""
    logger.info("run of source %s (%s) ended: %s", source.id, source.kind, message)
    with ctx.store.write() as tx:
        return tx.record_run(
            source.id,
            started_at=started,
            status=status,
            trigger=trigger,
            counts={},
            message=message,
        )
