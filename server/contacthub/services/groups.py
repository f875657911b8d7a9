"""A book's groups as people see them, and the form new groups take in it.

Groups live in the cards themselves (store/groups.py keeps a group card and its members'
CATEGORIES in step); this lists the group cards and reads or sets the book's group form.
"""

from __future__ import annotations

from contacthub.errors import Invalid, quoted
from contacthub.services.books import require_book
from contacthub.sources.context import RunContext
from contacthub.store import GROUP_FORM, GROUP_FORMS, GroupSummary, group_form


def book_groups(ctx: RunContext, user: str, book_id: str) -> list[GroupSummary]:
    with ctx.store.read() as tx:
        return tx.list_groups(require_book(tx, user, book_id).id)


def book_group_form(ctx: RunContext, user: str, book_id: str) -> str:
    with ctx.store.read() as tx:
        return group_form(require_book(tx, user, book_id))


def check_group_form(value: str) -> str:
    if value not in GROUP_FORMS:
        choices = " or ".join(quoted(form) for form in GROUP_FORMS)
        raise Invalid(f"The group form is {choices}.", field="group_form")
    return value


def set_group_form(ctx: RunContext, user: str, book_id: str, form: str) -> str:
    """Set which forms a new group takes in the book: "both" (a group card and
    categories) or "categories" (categories only)."""
    form = check_group_form(form)
    with ctx.store.write([f"{user}/{book_id}"]) as tx:
        book = require_book(tx, user, book_id)
        return group_form(tx.set_props(book, {**book.props, GROUP_FORM: form}))
