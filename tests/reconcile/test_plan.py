"""plan: what a source's records mean for its book under each policy; it changes nothing."""

from __future__ import annotations

import re

import pytest

from contacthub.reconcile import ChangeSet, Incoming, Policy, Problem, plan, run_source
from contacthub.store import SourceRecord, Store
from tests.reconcile.tiny_source import (
    card_of,
    cards,
    client_deletes,
    client_puts,
    record,
    records,
    run,
    snapshot,
)

PEOPLE = {"a": "Ann", "b": "Bob", "c": "Cy", "d": "Di"}


def planned(
    store: Store,
    source: SourceRecord,
    incoming: list[Incoming],
    policy: Policy | None = None,
    problems: list[Problem] | None = None,
) -> ChangeSet:
    with store.write() as tx:
        return plan(tx, source, incoming, policy or Policy(), problems or [])


def actions(changes: ChangeSet) -> dict[str, str]:
    return {change.key: change.action for change in changes.changes}


def test_new_records_are_adds_with_fresh_uids_and_hrefs_named_after_them(
    store: Store, source: SourceRecord
) -> None:
    changes = planned(store, source, records(PEOPLE))
    assert actions(changes) == dict.fromkeys(PEOPLE, "add")
    uids = [change.uid for change in changes.changes]
    assert len(set(uids)) == len(PEOPLE) and all(uids)
    assert [change.href for change in changes.changes] == [f"{uid}.vcf" for uid in uids]
    assert changes.counts == {
        "added": 4,
        "updated": 0,
        "deleted": 0,
        "unchanged": 0,
        "skipped": 0,
        "errors": 0,
    }
    assert changes.has_changes and not changes.refused


def test_planning_changes_nothing_and_builds_no_card(store: Store, source: SourceRecord) -> None:
    run(store, source, PEOPLE)
    before = snapshot(store, source)
    built: list[str] = []
    edited = {**PEOPLE, "a": "Anna", "e": "Eve"}
    del edited["b"]
    changes = planned(store, source, records(edited, built=built), Policy(delete_missing=True))
    assert actions(changes) == {
        "a": "update",
        "b": "delete",
        "c": "unchanged",
        "d": "unchanged",
        "e": "add",
    }
    assert snapshot(store, source) == before
    assert built == []  # a preview builds no card


def test_a_record_that_names_a_uid_keeps_it(store: Store, source: SourceRecord) -> None:
    changes = planned(store, source, [record("k", "Kim", uid="kim@example.org")])
    assert [(c.action, c.uid, c.href) for c in changes.changes] == [
        ("add", "kim@example.org", "kim@example.org.vcf")
    ]


@pytest.mark.parametrize(
    ("uid", "href"),
    [("a b/c", "a-b-c.vcf"), ("ünï", "n.vcf"), ("..x..", "x.vcf"), ("-x-", "x.vcf")],
)
def test_an_href_made_from_a_uid_is_safe(
    store: Store, source: SourceRecord, uid: str, href: str
) -> None:
    (change,) = planned(store, source, [record("k", "Kim", uid=uid)]).changes
    assert change.href == href


def test_an_href_that_is_taken_or_empty_is_replaced_by_a_random_one(
    store: Store, source: SourceRecord
) -> None:
    client_puts(store, "client-1", "Client", href="kim.vcf")
    incoming = [record("k", "Kim", uid="kim"), record("d", "Dot", uid="...")]
    hrefs = [change.href for change in planned(store, source, incoming).changes]
    assert [re.fullmatch(r"[0-9a-f]{32}\.vcf", href) is not None for href in hrefs] == [True, True]


def test_a_uid_already_in_the_book_from_elsewhere_is_skipped(
    store: Store, source: SourceRecord
) -> None:
    client_puts(store, "kim@example.org", "Kim (typed on a phone)")
    changes = planned(store, source, [record("k", "Kim", uid="kim@example.org")])
    (change,) = changes.changes
    assert (change.action, change.reason) == (
        "skip",
        "a contact with this UID is already in the book and came from elsewhere",
    )
    assert not changes.has_changes


@pytest.mark.parametrize("update_existing", [True, False])
def test_a_changed_record_is_an_update_only_when_updating_is_on(
    store: Store, source: SourceRecord, update_existing: bool
) -> None:
    run(store, source, PEOPLE)
    bob = card_of(store, "tiny", "b")
    changes = planned(
        store, source, records({**PEOPLE, "b": "Robert"}), Policy(update_existing=update_existing)
    )
    (changed,) = [change for change in changes.changes if change.key == "b"]
    if update_existing:
        assert (changed.action, changed.uid, changed.href) == ("update", bob.uid, bob.href)
    else:
        assert (changed.action, changed.reason) == (
            "skip",
            "changed, but updating existing contacts is off",
        )
    assert {c.key: c.action for c in changes.changes if c.key != "b"} == dict.fromkeys(
        "acd", "unchanged"
    )


@pytest.mark.parametrize("delete_missing", [True, False])
def test_a_missing_record_is_a_delete_only_when_deleting_is_on(
    store: Store, source: SourceRecord, delete_missing: bool
) -> None:
    run(store, source, PEOPLE)
    cy = card_of(store, "tiny", "c")
    remaining = {key: name for key, name in PEOPLE.items() if key != "c"}
    changes = planned(store, source, records(remaining), Policy(delete_missing=delete_missing))
    deletes = [(c.key, c.uid, c.href) for c in changes.of("delete")]
    assert deletes == ([("c", cy.uid, cy.href)] if delete_missing else [])
    assert changes.counts["unchanged"] == 3 and not changes.refused


def test_a_contact_the_user_deleted_is_skipped_and_never_deleted_again(
    store: Store, source: SourceRecord
) -> None:
    run(store, source, PEOPLE)
    client_deletes(store, card_of(store, "tiny", "a").href)
    client_deletes(store, card_of(store, "tiny", "b").href)
    gone_from_source = {"a": "Anna", "c": "Cy", "d": "Di"}  # b is no longer in the source
    changes = planned(store, source, records(gone_from_source), Policy(delete_missing=True))
    (skipped,) = changes.of("skip")
    assert (skipped.key, skipped.reason) == ("a", "deleted on the server")
    assert changes.of("delete") == []
    assert sorted(changes.tombstoned) == ["a", "b"]


def test_problems_from_reading_are_carried_and_counted(store: Store, source: SourceRecord) -> None:
    bad = Problem("not an e-mail address", line=3, column="E-mail")
    changes = planned(store, source, records(PEOPLE), problems=[bad])
    assert changes.problems == [bad] and changes.counts["errors"] == 1
    assert bad.as_dict() == {"reason": "not an e-mail address", "line": 3, "column": "E-mail"}
    assert str(bad) == "line 3, column 'E-mail': not an e-mail address"


def test_a_repeated_key_keeps_the_later_record_and_says_so(
    store: Store, source: SourceRecord
) -> None:
    incoming = [record("a", "Early", line=2), record("b", "Bob", line=3)]
    incoming.append(record("a", "Late", line=4))
    changes = planned(store, source, incoming)
    assert [(c.key, c.summary, c.line) for c in changes.changes] == [
        ("a", "Late", 4),
        ("b", "Bob", 3),
    ]
    (problem,) = changes.problems
    assert (problem.reason, problem.line, problem.key) == (
        "key 'a' repeats line 2; the later row wins",
        4,
        "a",
    )


def test_two_new_records_with_one_uid_add_one_card_and_skip_the_other(
    store: Store, source: SourceRecord
) -> None:
    """A book holds one card per UID: a source that sends two records with the same UID
    gets the first added and the second skipped with its reason, not a failed run."""
    first, second = record("a", "Ann", uid="same-uid"), record("b", "Bob", uid="same-uid")
    changes = planned(store, source, [first, second])
    assert actions(changes) == {"a": "add", "b": "skip"}
    assert changes.of("skip")[0].reason == "another record of this run has its UID"

    outcome = run_source(store, source, lambda: ([first, second], []), Policy())
    assert outcome.status == "ok"
    assert [(card.uid, card.key) for card in cards(store)] == [("same-uid", "a")]
