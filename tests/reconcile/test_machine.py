"""A state machine over plan and apply: whatever a source's records, its runs, the user
and other writers do, and in whatever order, the reconciler keeps its promises.

The model is what the user expects of the book: the cards the source brought (key ->
name), the keys whose contact the user deleted, and the cards of everyone else.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from contacthub.reconcile import Policy, RunOutcome, run_source
from contacthub.store import Store
from tests.reconcile.tiny_source import (
    Card,
    card_of,
    cards,
    client_deletes,
    client_puts,
    create_source,
    links,
    reading,
    snapshot,
)
from tests.support.stores import new_sqlite_store

KEYS = st.sampled_from("abcdef")
NAMES = st.sampled_from(["Ann", "Bob"])
MINE = "tiny"


@dataclass
class Expected:
    """What a run of the source should do, worked out from the model alone."""

    added: set[str] = field(default_factory=set)
    updated: set[str] = field(default_factory=set)
    unchanged: set[str] = field(default_factory=set)
    skipped: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    refused: bool = False

    @property
    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "deleted": len(self.deleted),
            "unchanged": len(self.unchanged),
            "skipped": len(self.skipped),
            "errors": 0,
        }

    @property
    def status(self) -> str:
        if self.refused:
            return "refused"
        return "ok" if self.added or self.updated or self.deleted else "no_changes"


def others_in(book: list[Card]) -> dict[tuple[str, str], tuple[str, str]]:
    return {(c.origin, c.key): (c.href, c.etag) for c in book if c.origin != MINE}


class Reconciling(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # A store of its own for each example: a pytest fixture would be shared by all.
        self.directory = tempfile.TemporaryDirectory()
        self.store = Store.open(new_sqlite_store(Path(self.directory.name) / "store.db"))
        self.source = create_source(self.store, MINE)
        self.neighbour = create_source(self.store, "neighbour")  # another source, same book
        self.records: dict[str, str] = {}  # what the source holds now: key -> name
        # The model.
        self.mine: dict[str, str] = {}  # key -> name of the cards the source brought
        self.deleted_by_user: set[str] = set()  # their tombstones are marked by a run
        self.tombstones_marked: set[str] = set()
        # The cards it did not bring, by who wrote them: (origin, key) -> (href, etag).
        # Drawn from in that order: hrefs are random, and draws must not depend on them.
        self.others: dict[tuple[str, str], tuple[str, str]] = {}
        self.clients = 0

    def teardown(self) -> None:
        self.store.close()
        self.directory.cleanup()

    # -- the source's records change -------------------------------------------------------

    @initialize(held=st.dictionaries(KEYS, NAMES, min_size=1))
    def source_starts_with(self, held: dict[str, str]) -> None:
        self.records = dict(held)
        self.applied_run(Policy())

    @rule(key=KEYS, name=NAMES)
    def source_holds(self, key: str, name: str) -> None:
        """A record is added, or edited."""
        self.records[key] = name

    @precondition(lambda self: self.records)
    @rule(data=st.data())
    def source_drops(self, data: st.DataObject) -> None:
        del self.records[data.draw(st.sampled_from(sorted(self.records)))]

    @rule(keep=st.integers(0, 1))
    def source_is_truncated(self, keep: int) -> None:
        """A download that broke off: at most one record is left."""
        self.records = dict(sorted(self.records.items())[:keep])

    # -- runs ------------------------------------------------------------------------------

    @rule(
        update_existing=st.booleans(),
        delete_missing=st.booleans(),
        override=st.booleans(),
        unattended=st.booleans(),
    )
    def run(
        self, update_existing: bool, delete_missing: bool, override: bool, unattended: bool
    ) -> None:
        self.applied_run(Policy(update_existing, delete_missing, unattended, override))

    @rule(update_existing=st.booleans(), override=st.booleans(), unattended=st.booleans())
    def run_deleting_missing(self, update_existing: bool, override: bool, unattended: bool) -> None:
        self.applied_run(Policy(update_existing, True, unattended, override))

    @rule(update_existing=st.booleans(), delete_missing=st.booleans(), override=st.booleans())
    def preview(self, update_existing: bool, delete_missing: bool, override: bool) -> None:
        policy = Policy(update_existing, delete_missing, False, override)
        expected = self.expect(policy)
        before = snapshot(self.store, self.source)
        outcome = self.run_source(policy, dry_run=True)
        assert outcome.run is None
        self.check_outcome(outcome, expected)
        assert snapshot(self.store, self.source) == before

    # -- the user and other writers --------------------------------------------------------

    @precondition(lambda self: self.mine)
    @rule(data=st.data())
    def user_deletes_a_contact_of_the_source(self, data: st.DataObject) -> None:
        key = data.draw(st.sampled_from(sorted(self.mine)))
        client_deletes(self.store, card_of(self.store, MINE, key).href)
        del self.mine[key]
        self.deleted_by_user.add(key)

    @rule(name=NAMES)
    def client_adds_a_card(self, name: str) -> None:
        self.clients += 1
        card = client_puts(self.store, f"client-{self.clients}", name)
        self.others[card.origin, card.key] = (card.href, card.etag)

    @precondition(lambda self: self.others)
    @rule(data=st.data())
    def user_deletes_another_card(self, data: st.DataObject) -> None:
        written_by = data.draw(st.sampled_from(sorted(self.others)))
        href, _ = self.others.pop(written_by)
        client_deletes(self.store, href)

    @rule(keys=st.frozensets(KEYS, max_size=3), name=NAMES)
    def neighbour_runs(self, keys: frozenset[str], name: str) -> None:
        """Another source in the same book, with the same keys, deletes what it likes."""
        anything = Policy(delete_missing=True, override_mass_deletion=True)
        held = reading(dict.fromkeys(keys, name), origin="neighbour")
        run_source(self.store, self.neighbour, held, anything)
        self.others = others_in(cards(self.store))

    # -- what always holds -----------------------------------------------------------------

    @invariant()
    def the_book_is_what_the_user_expects(self) -> None:
        book = cards(self.store)
        saved = links(self.store, self.source)
        brought = {card.key: card for card in book if card.origin == MINE}
        assert {key: card.name for key, card in brought.items()} == self.mine
        # A run never deletes or edits a card its source did not bring.
        assert others_in(book) == self.others
        # A contact the user deleted never comes back, and its link stays as a tombstone.
        assert not self.deleted_by_user & brought.keys()
        assert {key: link.deleted for key, link in saved.items()} == {
            **dict.fromkeys(self.mine, False),
            **{key: key in self.tombstones_marked for key in self.deleted_by_user},
        }
        assert {key: saved[key].uid for key in self.mine} == {
            key: card.uid for key, card in brought.items()
        }

    # -- helpers ---------------------------------------------------------------------------

    def applied_run(self, policy: Policy) -> None:
        expected = self.expect(policy)
        before = snapshot(self.store, self.source)
        outcome = self.run_source(policy)
        self.check_outcome(outcome, expected)
        if expected.refused:
            assert snapshot(self.store, self.source) == before  # the guard changed nothing
            return
        if expected.deleted and not (policy.override_mass_deletion and not policy.unattended):
            kept = len(self.mine) - len(expected.deleted)
            assert kept * 10 > len(self.mine)  # more than 10% kept, counted in whole cards
        for key in expected.added | expected.updated:
            self.mine[key] = self.records[key]
        for key in expected.deleted:
            del self.mine[key]
        self.tombstones_marked = set(self.deleted_by_user)
        if policy.update_existing:
            held = self.mine.keys() & self.records.keys()
            assert {key: self.mine[key] for key in held} == {key: self.records[key] for key in held}

        settled = snapshot(self.store, self.source)
        again = self.run_source(policy)
        assert again.status == "no_changes" and snapshot(self.store, self.source) == settled

    def run_source(self, policy: Policy, *, dry_run: bool = False) -> RunOutcome:
        read = reading(dict(self.records), origin=MINE)
        return run_source(self.store, self.source, read, policy, dry_run=dry_run)

    def expect(self, policy: Policy) -> Expected:
        held = set(self.records)
        live = set(self.mine)
        changed = {key for key in held & live if self.records[key] != self.mine[key]}
        expected = Expected(
            added=held - live - self.deleted_by_user,
            updated=changed if policy.update_existing else set(),
            unchanged=held & live - changed,
            skipped=(held & self.deleted_by_user) | (set() if policy.update_existing else changed),
            deleted=live - held if policy.delete_missing else set(),
        )
        kept = len(live) - len(expected.deleted)
        overridden = policy.override_mass_deletion and not policy.unattended
        expected.refused = bool(expected.deleted) and not overridden and kept * 10 <= len(live)
        return expected

    def check_outcome(self, outcome: RunOutcome, expected: Expected) -> None:
        assert outcome.changes.counts == expected.counts
        assert outcome.status == expected.status
        assert {c.key for c in outcome.changes.of("add")} == expected.added
        assert {c.key for c in outcome.changes.of("update")} == expected.updated
        assert {c.key for c in outcome.changes.of("delete")} == expected.deleted
        assert bool(outcome.changes.refused) == expected.refused
        assert set(outcome.changes.tombstoned) == self.deleted_by_user - self.tombstones_marked


Reconciling.TestCase.settings = settings(max_examples=75, stateful_step_count=30, deadline=None)
TestReconciling = Reconciling.TestCase
