"""What a kind of source may do to its book (DESIGN.md, "One reconciler, many sources")."""

from __future__ import annotations

from dataclasses import dataclass

# An unattended run that would keep no more than this share of the sync's
# contacts is refused: a truncated download must not empty a book.
MASS_DELETION_KEEP_RATIO = 0.10


@dataclass(frozen=True)
class Policy:
    update_existing: bool = True
    delete_missing: bool = False
    # The mass-deletion guard refuses a run that would keep <= 10% of the sync's
    # contacts; a person running it by hand may override it, a schedule may not.
    unattended: bool = False
    override_mass_deletion: bool = False
    # Sources of one kind filling one book (the phones of "From iOS") share their
    # deletions: a contact a person deleted is not added back by another of them.
    shared_deletions: bool = False
