"""One run of a sync: take its lease, fetch the file when it is remote, import it
through the reconciler, record the run, merge the account's safest duplicates when it
asks for it (auto_merge.py), then send the report email.

A run holds the source's lease from start to end and renews it while it lasts,
so one sync never runs twice at once and a run whose process died is found
(scheduler.recover) instead of showing "running" for ever. The email comes
after the run is recorded: whatever becomes of it, the import stands.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from contacthub.jobs.auto_merge import merge_after_run
from contacthub.jobs.notify import (
    NotifyError,
    SmtpConfigError,
    SmtpSettings,
    run_report_email,
    send,
)
from contacthub.measures import count_run
from contacthub.reconcile import Problem
from contacthub.reconcile.effect import CHANGES
from contacthub.sources.base import record_outcome
from contacthub.sources.context import RunContext
from contacthub.sources.registry import RUNNABLE
from contacthub.sources.schedule import zone
from contacthub.sources.settings import SyncBusy, notify_of, schedule_of
from contacthub.store import Lease, RunRecord, SourceRecord, StorageFull, StoreBusy

logger = logging.getLogger(__name__)

RENEW_EVERY = 30.0  # real seconds at most; a lease outlives three missed renewals
INTERNAL_ERROR = "an internal error; the server log has the details"
# Cards a run changes from which the store's statistics are counted again at its end.
STATISTICS_AFTER = 1000
INTERRUPTED = (
    "the run was interrupted (the process running it stopped); the sync keeps its schedule"
)


def lease_seconds(ctx: RunContext) -> float:
    """How long a run's lease lasts unless renewed ([contacthub] run_lease)."""
    return float(ctx.settings.run_lease)


def holder_name() -> str:
    """Who holds a lease: this host and process, and a nonce for this runner."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def run_sync(
    ctx: RunContext,
    source: SourceRecord,
    *,
    trigger: str = "manual",
    override_mass_deletion: bool = False,
    lease: Lease | None = None,
) -> RunRecord:
    """Run the sync now. `lease` is the scheduler's claim; without one, a lease is
    taken here and SyncBusy raised if the sync is running."""
    if lease is None:
        lease = claim(ctx, source, trigger)
    try:
        with ctx.store.read() as tx:
            source = tx.require_source(source.id)  # as it is now, not as the caller saw it
        started = ctx.now()
        with _renewed(ctx, lease):
            try:
                run = _run(ctx, source, started, trigger, override_mass_deletion)
            except StorageFull as full:
                # The run changed nothing; if the disk has no room for this record either,
                # StorageFull goes on to the caller.
                logger.error("run of source %s failed: %s", source.id, full)
                ctx.store.release_reserve()
                run = record_outcome(ctx, source, started, trigger, "failed", str(full))
            except Exception:
                # A bug, or the store away for a moment: the run still ends as a failed
                # run, in words that reveal no internals (the log has them).
                logger.exception("run of source %s failed", source.id)
                run = record_outcome(ctx, source, started, trigger, "failed", INTERNAL_ERROR)
            run = merge_after_run(ctx, source, run)
        if sum(run.counts.get(name, 0) for name in CHANGES) >= STATISTICS_AFTER:
            ctx.store.refresh_statistics()
        count_run(source.kind, run.status)
    finally:
        with ctx.store.write() as tx:
            tx.end_lease(lease)
    send_report(ctx, source, run)
    with ctx.store.read() as tx:
        return tx.require_run(run.id)  # with what became of its email


def claim(ctx: RunContext, source: SourceRecord, trigger: str) -> Lease:
    """The lease of a run starting now; SyncBusy if the sync is running."""
    record_interrupted(ctx)  # a dead run's lease is about to be taken over: note it
    ctx.store.keep_reserve()
    now = ctx.now()
    lease = Lease(source.id, holder_name(), trigger, now, now + lease_seconds(ctx))
    with ctx.store.write() as tx:
        if not tx.take_lease(lease):
            logger.info(
                "source %s: a %s run was refused: it is running already", source.id, trigger
            )
            raise SyncBusy(f"the sync {source.name!r} is running already")
    logger.debug("source %s: lease taken by %s for a %s run", source.id, lease.holder, trigger)
    return lease


def run_in_background(
    ctx: RunContext, source: SourceRecord, *, override_mass_deletion: bool = False
) -> None:
    """Start a run by hand in a thread and follow it on ctx.progress (the web page's
    progress bar); SyncBusy at once if the sync is running."""
    lease = claim(ctx, source, "manual")
    ctx.progress.start(source.id)

    def run() -> None:
        run_id = None
        try:
            run_id = run_sync(
                ctx, source, override_mass_deletion=override_mass_deletion, lease=lease
            ).id
        except StorageFull as full:  # not even the failed run could be recorded
            logger.error("background run of source %s failed: %s", source.id, full)
        except Exception:  # run_sync records failures; this is the store gone away
            logger.exception("background run of source %s failed", source.id)
        finally:
            ctx.progress.finish(source.id, run_id)

    threading.Thread(target=run, name=f"run-{source.id}", daemon=True).start()


def _run(
    ctx: RunContext, source: SourceRecord, started: float, trigger: str, override: bool
) -> RunRecord:
    run = RUNNABLE[source.kind].run
    assert run is not None  # RUNNABLE holds only kinds with a run
    return run(ctx, source, started, trigger, override)


@contextmanager
def _renewed(ctx: RunContext, lease: Lease) -> Iterator[None]:
    stop = threading.Event()
    term = lease_seconds(ctx)

    def renew() -> None:
        while not stop.wait(min(RENEW_EVERY, term / 4)):
            try:
                with ctx.store.write() as tx:
                    renewed = tx.renew_lease(lease, ctx.now() + term)
            except Exception:  # the run goes on; a lost lease is found by recovery
                logger.exception("renewing the lease of source %s failed", lease.source_id)
                continue
            if not renewed:  # it expired and was recovered: another run may start
                logger.warning(
                    "source %s: the run of %s lost its lease (it expired and was recovered); "
                    "the run goes on",
                    lease.source_id,
                    lease.holder,
                )
                return

    thread = threading.Thread(target=renew, name=f"lease-{lease.source_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def record_interrupted(ctx: RunContext) -> list[RunRecord]:
    """Runs whose lease expired were interrupted (their process died): record them as
    failed and free their syncs, which keep their schedules."""
    now = ctx.now()
    recorded = []
    with ctx.store.write() as tx:
        for lease in tx.expired_leases(now):
            if not tx.end_lease(lease, expired_before=now):
                continue  # renewed, or recovered by another process meanwhile
            source = tx.get_source(lease.source_id)
            count_run(source.kind if source else "unknown", "interrupted")
            recorded.append(
                tx.record_run(
                    lease.source_id,
                    started_at=lease.taken_at,
                    status="failed",
                    trigger=lease.trigger,
                    counts={},
                    message=INTERRUPTED,
                )
            )
            logger.warning(
                "source %s: the run started at %s by %s was interrupted",
                lease.source_id,
                _iso(lease.taken_at),
                lease.holder,
            )
    return recorded


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


# -- the report email --------------------------------------------------------------------


def send_report(ctx: RunContext, source: SourceRecord, run: RunRecord) -> None:
    """Email the run's report to the sync's addresses and note the outcome on the run.
    Never raises: a mail failure is logged and shown on the sync."""
    recipients = notify_of(source)
    if not recipients:
        return
    try:
        outcome = _deliver(ctx, source, run, recipients)
    except Exception:  # noqa: BLE001 - the import is done; the report must not undo it
        logger.exception("the report email of run %s failed", run.id)
        outcome = "not sent: an internal error; the server log has the details"
    if outcome.startswith("not sent"):
        logger.warning("sync %r (source %s): report email %s", source.name, source.id, outcome)
    try:
        with ctx.store.write() as tx:
            tx.set_run_email(run.id, outcome)
    except (StorageFull, StoreBusy) as refused:  # the run is recorded; only this word is lost
        logger.error("run %s: the outcome of its report email was not saved: %s", run.id, refused)
    except Exception:  # noqa: BLE001 - the store away for a moment: the same, and a bug's trace
        logger.exception("run %s: the outcome of its report email was not saved", run.id)


def _deliver(ctx: RunContext, source: SourceRecord, run: RunRecord, recipients: list[str]) -> str:
    if not ctx.smtp.get("host"):
        return "not sent: no SMTP server is configured ([smtp] host)"
    try:
        smtp = SmtpSettings.from_config(ctx.smtp)
    except SmtpConfigError as error:
        return f"not sent: {error}"
    schedule = schedule_of(source)
    finished = datetime.fromtimestamp(run.finished_at or run.started_at, UTC)
    if schedule is not None:
        finished = finished.astimezone(zone(schedule.timezone))
    problems = [Problem(p.get("reason", ""), p.get("line"), p.get("column")) for p in run.problems]
    with ctx.store.read() as tx:
        book = tx.get_collection(source.book_path)
    email = run_report_email(
        source.name,
        finished,
        run.status,
        run.counts,
        problems,
        run.message,
        to=recipients,
        book=book.display_name if book is not None else "",
    )
    try:
        send(smtp, email)
    except NotifyError as error:
        return f"not sent: {error}"
    return f"sent to {', '.join(recipients)}"
