"""One reconciler, many sources.

A source adapter yields `Incoming` records: an external key and the vCard the
record should be. `plan` compares them with the source's links and the book
and produces a `ChangeSet` (add, update, delete, skip with a reason); a
preview is a change set that is shown, not applied. `apply` writes one in the
caller's transaction; `run_source` does both and records the run. Sources
differ only in their `Policy`.
"""

from contacthub.reconcile.changes import Change, ChangeSet, Incoming, MergedChange, Problem
from contacthub.reconcile.effect import applied, effect
from contacthub.reconcile.plan import plan
from contacthub.reconcile.policy import Policy
from contacthub.reconcile.run import (
    RunFailed,
    RunOutcome,
    SourceReport,
    apply,
    describe_changes,
    run_source,
)

__all__ = [
    "Change",
    "ChangeSet",
    "MergedChange",
    "Incoming",
    "Policy",
    "Problem",
    "RunFailed",
    "RunOutcome",
    "SourceReport",
    "apply",
    "applied",
    "effect",
    "describe_changes",
    "plan",
    "run_source",
]
