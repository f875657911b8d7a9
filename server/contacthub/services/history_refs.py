"""What people name in the history's doors, found as services.history takes it: a
contact by the id the API gives it, and the account a run belongs to.

The API addresses a contact by its href (the id of /books/{book_id}/contacts); a deleted
contact has no href any more, so its history is also found by the href it last had, or by
its UID (as the trash lists it). The CLI names a run by its id alone: its account is the
run's owner, or the owner of the source that ran it.
"""

from __future__ import annotations

from contacthub.errors import NotFound, quoted
from contacthub.services.books import require_book
from contacthub.services.history import MAX_ID
from contacthub.sources.context import RunContext
from contacthub.store import check_name


def contact_uid(ctx: RunContext, user: str, book_id: str, contact_id: str) -> str:
    """The UID of the contact `contact_id` names in the book: the contact at that href
    now, else a contact with that UID in the book's history, else the contact last
    written at that href."""
    with ctx.store.read() as tx:
        book = require_book(tx, user, book_id)
        current = tx.get_item(book.id, contact_id) if _is_name(contact_id) else None
        if current is not None:
            return current.uid
        if tx.versions_of_uid(book.id, contact_id):
            return contact_id
        written = tx.versions_of_hrefs(book.id, [contact_id])
    if not written:
        raise NotFound(f"There is no contact {quoted(contact_id)} in {quoted(book_id)}.")
    return written[-1].uid


def _is_name(contact_id: str) -> bool:
    try:
        check_name(contact_id)
    except ValueError:
        return False
    return True


def run_owner(ctx: RunContext, run_id: int) -> str:
    """The account whose run `run_id` is; NotFound when there is no such run (or its
    source is gone)."""
    with ctx.store.read() as tx:
        run = tx.get_run(run_id) if 0 < run_id <= MAX_ID else None
        if run is not None and run.source_id is not None:
            source = tx.get_source(run.source_id)
            owner = source.owner if source is not None else None
        else:
            owner = run.owner if run is not None else None
    if owner is None:
        raise NotFound(f"There is no run {run_id}.")
    return owner
