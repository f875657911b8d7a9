"""The mass-deletion guard: a run that would keep no more than 10% of its source's
contacts is refused and changes nothing, unless a person overrides it by hand."""

from __future__ import annotations

import pytest

from contacthub.reconcile import Policy
from contacthub.reconcile.policy import MASS_DELETION_KEEP_RATIO
from contacthub.store import SourceRecord, Store
from tests.reconcile.tiny_source import (
    card_of,
    client_deletes,
    client_puts,
    links,
    names_from,
    run,
    snapshot,
)

DELETING = Policy(delete_missing=True)
BY_HAND = Policy(delete_missing=True, override_mass_deletion=True)
SCHEDULED = Policy(delete_missing=True, override_mass_deletion=True, unattended=True)


def people(count: int) -> dict[str, str]:
    return {f"k{n}": f"Person {n}" for n in range(count)}


def test_the_threshold_is_ten_percent() -> None:
    assert MASS_DELETION_KEEP_RATIO == 0.10


@pytest.mark.parametrize(
    ("contacts", "kept", "refused"),
    [
        (1, 0, True),
        (5, 0, True),
        (5, 1, False),
        (9, 1, False),
        (10, 0, True),
        (10, 1, True),  # exactly 10%
        (10, 2, False),
        (20, 2, True),
        (20, 3, False),
        (30, 3, True),  # 30 * 0.1 is 3.0000000000000004 in floating point: still refused
        (30, 4, False),
        (40, 4, True),
    ],
)
def test_a_run_keeping_no_more_than_ten_percent_is_refused(
    store: Store, source: SourceRecord, contacts: int, kept: int, refused: bool
) -> None:
    run(store, source, people(contacts))
    outcome = run(store, source, people(kept), DELETING)
    assert outcome.changes.counts["deleted"] == contacts - kept
    assert outcome.status == ("refused" if refused else "ok")
    assert len(names_from(store, "tiny")) == (contacts if refused else kept)


def test_a_refused_run_says_why_and_changes_nothing(store: Store, source: SourceRecord) -> None:
    run(store, source, people(20))
    client_deletes(store, card_of(store, "tiny", "k19").href)  # a tombstone not yet marked
    before = snapshot(store, source)
    one_left_and_a_new_one = {"k0": "Person 0 renamed", "new": "Newcomer"}
    outcome = run(store, source, one_left_and_a_new_one, DELETING)
    assert outcome.status == "refused" and outcome.changes.refused
    assert snapshot(store, source) == before  # no add, no update, no tombstone either
    assert outcome.run is not None and outcome.run.status == "refused"
    assert outcome.run.message == (
        "this run would delete 18 of the sync's 19 contacts and keep 1; "
        "run it by hand with the override if that is intended"
    )
    assert outcome.run.counts["deleted"] == 18 and outcome.run.counts["added"] == 1


def test_a_person_may_override_the_guard_by_hand(store: Store, source: SourceRecord) -> None:
    run(store, source, people(10))
    outcome = run(store, source, {}, BY_HAND)
    assert outcome.status == "ok" and outcome.changes.counts["deleted"] == 10
    assert names_from(store, "tiny") == {} and links(store, source) == {}


def test_a_scheduled_run_may_not_override_the_guard(store: Store, source: SourceRecord) -> None:
    run(store, source, people(10))
    before = snapshot(store, source)
    outcome = run(store, source, {}, SCHEDULED)
    assert outcome.status == "refused"
    assert snapshot(store, source) == before


def test_a_run_deleting_nothing_is_never_refused(store: Store, source: SourceRecord) -> None:
    assert run(store, source, {}, DELETING).status == "no_changes"
    assert run(store, source, people(10), DELETING).status == "ok"
    renamed = {key: f"{name}, renamed" for key, name in people(10).items()}
    outcome = run(store, source, renamed, DELETING)
    assert outcome.status == "ok" and outcome.changes.counts["updated"] == 10


def test_only_the_sources_own_contacts_count(store: Store, source: SourceRecord) -> None:
    for n in range(10):
        client_puts(store, f"client-{n}", f"Client {n}")
    run(store, source, people(2))
    # The book would keep 10 of its 12 cards, but the sync would keep none of its 2.
    assert run(store, source, {}, DELETING).status == "refused"


def test_contacts_the_user_deleted_do_not_count(store: Store, source: SourceRecord) -> None:
    run(store, source, people(10))
    for n in range(1, 10):
        client_deletes(store, card_of(store, "tiny", f"k{n}").href)
    # The sync has one contact left; deleting it keeps none of one.
    outcome = run(store, source, {}, DELETING)
    assert outcome.status == "refused"
    assert "delete 1 of the sync's 1 contacts" in outcome.changes.refused
