"""run_source: read, plan, apply and record in one go; all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

import pytest

from contacthub.errors import Invalid
from contacthub.reconcile import (
    Incoming,
    Policy,
    Problem,
    RunFailed,
    SourceReport,
    run_source,
)
from contacthub.reconcile.run import MAX_REPORTED_PROBLEMS
from contacthub.store import ItemData, RunRecord, SourceRecord, Store, Transaction
from tests.reconcile.tiny_source import (
    Read,
    card_of,
    cards,
    client_deletes,
    client_puts,
    create_source,
    names_from,
    reading,
    record,
    records,
    run,
    snapshot,
)

PEOPLE = {"a": "Ann", "b": "Bob", "c": "Cy"}
INTERNAL = "an internal error; the server log has the details"


def runs(store: Store, source: SourceRecord) -> list[RunRecord]:
    with store.read() as tx:
        return tx.runs_of(source.id)


def test_a_run_applies_its_changes_and_records_them(store: Store, source: SourceRecord) -> None:
    outcome = run(store, source, PEOPLE)
    assert names_from(store, "tiny") == PEOPLE
    (recorded,) = runs(store, source)
    assert outcome.run == recorded
    assert (recorded.status, recorded.trigger, recorded.message) == ("ok", "manual", "3 added")
    assert recorded.counts == {
        "added": 3,
        "updated": 0,
        "deleted": 0,
        "unchanged": 0,
        "skipped": 0,
        "errors": 0,
    }
    changed = {"a": "Anna", "c": "Cy", "d": "Di"}
    again = run_source(
        store, source, reading(changed), Policy(delete_missing=True), trigger="schedule"
    )
    assert again.run is not None
    assert (again.run.trigger, again.run.message) == ("schedule", "1 added, 1 updated, 1 deleted")
    assert names_from(store, "tiny") == changed


def test_the_same_records_twice_change_nothing_the_second_time(
    store: Store, source: SourceRecord
) -> None:
    run(store, source, PEOPLE)
    before = snapshot(store, source)
    built: list[str] = []
    outcome = run_source(
        store, source, lambda: (records(PEOPLE, built=built), []), Policy(delete_missing=True)
    )
    assert outcome.status == "no_changes" and outcome.changes.counts["unchanged"] == 3
    assert outcome.run is not None and outcome.run.message == "every contact was already up to date"
    assert snapshot(store, source) == before
    assert built == []  # an unchanged record costs no card


def test_a_dry_run_changes_nothing_and_records_no_run(store: Store, source: SourceRecord) -> None:
    run(store, source, PEOPLE)
    client_deletes(store, card_of(store, "tiny", "a").href)
    before = snapshot(store, source)
    built: list[str] = []
    outcome = run_source(
        store,
        source,
        lambda: (records({"b": "Robert", "d": "Di"}, built=built), []),
        Policy(delete_missing=True),
        dry_run=True,
        on_applied=lambda tx: pytest.fail("a dry run saved the source's state"),
    )
    assert outcome.run is None and outcome.status == "ok"
    assert {action: count for action, count in outcome.changes.counts.items() if count} == {
        "added": 1,
        "updated": 1,
        "deleted": 1,
    }
    assert outcome.changes.tombstoned == ["a"]
    assert snapshot(store, source) == before  # not even the tombstone is marked
    assert built == [] and len(runs(store, source)) == 1


def test_a_run_deletes_only_contacts_its_own_source_brought(store: Store) -> None:
    mine, neighbour = create_source(store, "tiny"), create_source(store, "neighbour")
    run(store, mine, PEOPLE)
    run(store, neighbour, PEOPLE)
    client = client_puts(store, "client-1", "Typed on a phone")
    others = {card.href: card.etag for card in cards(store) if card.origin != "tiny"}

    everything = Policy(delete_missing=True, override_mass_deletion=True)
    assert run(store, mine, {}, everything).changes.counts["deleted"] == 3
    assert {card.href: card.etag for card in cards(store)} == others
    assert client.href in others and names_from(store, "neighbour") == PEOPLE


def test_problems_are_recorded_with_the_run_up_to_a_bound(
    store: Store, source: SourceRecord
) -> None:
    problems = [Problem(f"bad row {n}", line=n, column="Name") for n in range(1, 251)]
    outcome = run_source(store, source, lambda: (records(PEOPLE), problems), Policy())
    assert outcome.run is not None and outcome.run.status == "ok"
    assert outcome.run.counts["errors"] == 250
    assert len(outcome.run.problems) == MAX_REPORTED_PROBLEMS
    assert outcome.run.problems[0] == {"reason": "bad row 1", "line": 1, "column": "Name"}


def test_what_the_source_did_elsewhere_joins_the_run(store: Store, source: SourceRecord) -> None:
    run(store, source, PEOPLE)

    def describe(counts: Mapping[str, int]) -> str:
        return f"{counts['sent']} sent, {counts['unchanged']} unchanged"

    report = SourceReport(counts={"sent": 2}, changed_elsewhere=True, describe=describe)
    outcome = run_source(store, source, reading(PEOPLE), Policy(), report=report)
    assert outcome.run is not None
    assert outcome.run.status == "ok"  # the book did not change, the other side did
    assert outcome.run.counts["sent"] == 2 and outcome.run.message == "2 sent, 3 unchanged"


def saving_cursor(
    source: SourceRecord, value: int, calls: list[Transaction]
) -> Callable[[Transaction], None]:
    """How a source saves how far it read, in the run's transaction."""

    def on_applied(tx: Transaction) -> None:
        calls.append(tx)
        tx.update_source(source, settings={"cursor": value})

    return on_applied


def cursor(store: Store, source: SourceRecord) -> object:
    with store.read() as tx:
        return tx.require_source(source.id).settings.get("cursor")


def test_the_sources_own_state_is_saved_with_the_changes_and_only_then(
    store: Store, source: SourceRecord
) -> None:
    calls: list[Transaction] = []
    run_source(store, source, reading(PEOPLE), Policy(), on_applied=saving_cursor(source, 1, calls))
    assert len(calls) == 1 and cursor(store, source) == 1

    refused = run_source(
        store,
        source,
        reading({}),
        Policy(delete_missing=True),
        on_applied=saving_cursor(source, 2, calls),
    )
    assert refused.status == "refused" and len(calls) == 1 and cursor(store, source) == 1


# -- all or nothing ------------------------------------------------------------------------


def failed_run(
    store: Store,
    source: SourceRecord,
    read: Read,
    on_applied: Callable[[Transaction], None] | None = None,
) -> RunFailed:
    """Run, expecting it to fail; the book and the links are as they were before."""
    before = snapshot(store, source)
    earlier = runs(store, source)
    with pytest.raises(RunFailed) as failed:
        run_source(store, source, read, Policy(delete_missing=True), on_applied=on_applied)
    assert snapshot(store, source) == before
    latest, *rest = runs(store, source)
    assert rest == earlier and latest == failed.value.run
    assert latest.status == "failed" and latest.counts == {}
    assert latest.message == str(failed.value)
    return failed.value


def test_a_read_that_fails_is_recorded_and_changes_nothing(
    store: Store, source: SourceRecord
) -> None:
    run(store, source, PEOPLE)

    def read() -> tuple[list[Incoming], list[Problem]]:
        raise Invalid("the file ends in the middle of a row")

    assert str(failed_run(store, source, read)) == "the file ends in the middle of a row"


def test_an_error_not_written_for_people_is_shown_as_an_internal_error(
    store: Store, source: SourceRecord
) -> None:
    def read() -> tuple[list[Incoming], list[Problem]]:
        raise ValueError("invalid literal for int() with base 10: 'x' at /srv/contacthub")

    assert str(failed_run(store, source, read)) == INTERNAL


def test_records_that_fail_midway_change_nothing(store: Store, source: SourceRecord) -> None:
    run(store, source, PEOPLE)

    def incoming() -> Iterator[Incoming]:
        yield record("a", "Anna")
        yield record("d", "Di")
        raise OSError("connection reset by 10.0.0.7")

    failed = failed_run(store, source, lambda: (incoming(), []))
    assert str(failed) == INTERNAL  # internals belong in the log only


def test_a_card_that_fails_midway_through_applying_changes_nothing(
    store: Store, source: SourceRecord
) -> None:
    run(store, source, PEOPLE)

    def broken(uid: str) -> ItemData:
        raise RuntimeError("/var/lib/contacthub/secret: disk full")

    bob = record("b", "Robert")
    broken_bob = Incoming(bob.key, bob.uid, broken, bob.record_hash, summary="Robert")
    # Adds are written first, then updates (Bob's fails), then deletes (Cy's).
    incoming: list[Incoming] = [*records({"a": "Ann", "d": "Di", "e": "Eve"}), broken_bob]
    failed = failed_run(store, source, lambda: (incoming, []))
    assert str(failed) == INTERNAL
    assert names_from(store, "tiny") == PEOPLE


def test_a_failure_after_everything_was_applied_changes_nothing(
    store: Store, source: SourceRecord
) -> None:
    run(store, source, PEOPLE)

    def on_applied(tx: Transaction) -> None:
        raise Invalid("the mailbox's position could not be saved")

    changed = reading({"a": "Anna", "d": "Di"})
    failed = failed_run(store, source, changed, on_applied=on_applied)
    assert str(failed) == "the mailbox's position could not be saved"


def test_a_record_judged_unchanged_from_stale_links_fails_the_run(
    store: Store, source: SourceRecord
) -> None:
    """A source may skip building the card of a record it saw applied; if its links
    changed between its read and the plan (another run got in between), the run fails
    rather than writing half of what it meant to."""
    run(store, source, PEOPLE)
    run(store, source, {"a": "Ann"}, Policy(delete_missing=True, override_mass_deletion=True))
    stale = record("b", "Bob")
    unbuilt: Iterable[Incoming] = [record("a", "Ann"), Incoming("b", "", None, stale.record_hash)]
    failed = failed_run(store, source, lambda: (unbuilt, []))
    assert str(failed) == "the sync changed while it was read; run it again"
    assert failed.run.message == "the sync changed while it was read; run it again"
