"""A run's effect in words: what it did, or for a refused or failed run what it would have
done, in words that cannot be read as done."""

from __future__ import annotations

from contacthub.reconcile import applied, effect


def test_a_refused_run_says_what_it_would_have_done_and_that_nothing_changed() -> None:
    counts = {"added": 20, "updated": 0, "deleted": 4, "unchanged": 3}
    assert effect("refused", counts) == "Would have added 20 and deleted 4; nothing was changed."
    assert not applied("refused") and not applied("failed")


def test_a_failed_run_without_a_plan_changed_nothing() -> None:
    assert effect("failed", {}) == "Nothing was changed."
    three = {"added": 1, "updated": 2, "deleted": 3}
    assert effect("failed", three) == (
        "Would have added 1, updated 2 and deleted 3; nothing was changed."
    )


def test_an_applied_run_says_what_it_did() -> None:
    assert applied("ok") and applied("no_changes")
    assert effect("ok", {"added": 3, "deleted": 1, "unchanged": 9}) == "Added 3 and deleted 1."
    assert effect("no_changes", {"unchanged": 9}) == "Nothing needed changing."
