""".vcf imports: a file of vCards into a chosen book or a new one, through the reconciler
(contacthub.sources.vcf_import), recorded as a run of the book's .vcf source."""

from __future__ import annotations

from dataclasses import dataclass

from contacthub.errors import Invalid, NotFound, UserError, quoted, sentence
from contacthub.reconcile import RunFailed, RunOutcome
from contacthub.services import books
from contacthub.sources import vcf_import
from contacthub.sources.context import RunContext
from contacthub.store import CollectionRecord


class VcfImportFailed(UserError):
    code = "import_failed"


@dataclass(frozen=True)
class VcfImported:
    book: CollectionRecord
    book_made: bool  # the import made the book
    outcome: RunOutcome


def import_vcf(
    ctx: RunContext,
    user: str,
    filename: str,
    content: bytes,
    *,
    book: str | None = None,
    new_book: str | None = None,
    trigger: str = "manual",
    dry_run: bool = False,
) -> VcfImported:
    """Import the file into the user's book `book` (an id), or into a new book named
    `new_book`, or else into the book named after the file ("contacts (vCard)", made
    by the first import of that file). A file that is not vCard
    is refused before any book is made; a card that cannot be read is a problem of the
    run's report, and the others come in."""
    if book is not None and new_book is not None:
        raise Invalid('Give either "book" (an id) or "new_book" (a name), not both.', field="book")
    vcf_import.checked_text(content)
    made = False
    if book is not None:
        with ctx.store.read() as tx:
            try:
                record = books.require_book(tx, user, book)
            except UserError:
                raise Invalid(
                    f"There is no address book {quoted(book)}; give new_book to import "
                    "into a new one.",
                    field="book",
                ) from None
    elif new_book is not None:
        record, made = books.create_book(ctx, user, new_book).record, True
    else:
        record, made = _book_of_file(ctx, user, filename)
    try:
        outcome = vcf_import.import_file(
            ctx.store, user, record.path, filename, content, trigger=trigger, dry_run=dry_run
        )
    except RunFailed as failed:
        raise VcfImportFailed(sentence(f"the file cannot be imported: {failed}")) from None
    return VcfImported(record, made, outcome)


def _book_of_file(ctx: RunContext, user: str, filename: str) -> tuple[CollectionRecord, bool]:
    """The book named after the file ("contacts (vCard)"), made by the first import of a
    file of that name: the same file imported again goes where it went before."""
    name = vcf_import.new_book_name(filename)
    try:
        return books.book_named(ctx, user, name), False
    except NotFound:
        return books.create_book(ctx, user, name).record, True
