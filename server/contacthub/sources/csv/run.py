"""The run of a CSV sync: fetch the file when it is remote (conditionally), then import it
through the reconciler. Only a file that was imported counts as seen."""

from __future__ import annotations

from contacthub.credentials import CredentialError
from contacthub.fetch import FetchError, fetch
from contacthub.reconcile import RunFailed
from contacthub.sources.base import record_outcome
from contacthub.sources.context import RunContext
from contacthub.sources.csv import source as csv_source
from contacthub.sources.csv.origin import OriginError
from contacthub.sources.csv.remote import (
    fetch_state_of,
    origin_of,
    remote_filename,
    save_fetch_state,
)
from contacthub.sources.progress import FETCHING
from contacthub.store import RunRecord, SourceRecord

UNCHANGED = "the file is the same as at the last import"


def run(
    ctx: RunContext, source: SourceRecord, started: float, trigger: str, override: bool
) -> RunRecord:
    origin = origin_of(source)
    previous = fetch_state_of(source)
    state = None
    if origin.is_remote:
        ctx.progress.phase(source.id, FETCHING)
        try:
            result = fetch(origin.remote(ctx.vault), previous, ctx.fetch_policy)
        except (FetchError, OriginError, CredentialError) as error:
            return record_outcome(ctx, source, started, trigger, "failed", str(error))
        if result.unchanged:
            if result.state != previous:
                # The same content with new validators (a file touched, or written again
                # as it was): keep them, or every run downloads the file again.
                with ctx.store.write() as tx:
                    save_fetch_state(tx, source, result.state)
            return record_outcome(ctx, source, started, trigger, "no_changes", UNCHANGED)
        assert result.content is not None
        state = result.state
        with ctx.store.write() as tx:
            tx.put_upload(source.id, remote_filename(origin), result.content)
    try:
        outcome = csv_source.run_import(
            ctx.store,
            source,
            trigger=trigger,
            override_mass_deletion=override,
            progress=ctx.progress.reader(source.id),
        )
    except RunFailed as failed:
        return failed.run
    except csv_source.CsvImportError as error:
        return record_outcome(ctx, source, started, trigger, "failed", str(error))
    assert outcome.run is not None
    if state is not None and outcome.run.status in ("ok", "no_changes"):
        # Only a file that was imported counts as seen: after a failure or a refusal
        # the next run imports it again.
        with ctx.store.write() as tx:
            save_fetch_state(tx, source, state)
    return outcome.run
