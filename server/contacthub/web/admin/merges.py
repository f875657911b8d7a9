"""Merging duplicates on the admin page: the contacts side by side with a choice per
field, the book the merged contact lives in, and the list of merges, each with Undo.

The contacts are named in the address as `card=<book id>:<href>`, repeated (a book's page
and a search send the ones selected). The form sends them back with the choices: for
each field it shows, `field=<key>` and `choice.<key>=<value id>` per value chosen, so an
emptied union is a choice too (none of its values), not the default. What a merge does is
services.merges, as for the API and the CLI.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, flash, redirect, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from contacthub.duplicates.refs import CardRef
from contacthub.errors import Invalid
from contacthub.services import books, duplicates, merges
from contacthub.store import DEFAULT_BOOK
from contacthub.web.admin.pages import FORM, FormErrors, page
from contacthub.web.auth import current_user
from contacthub.web.context import run_context

VIA = "admin"


def _refs(values: MultiDict[str, str]) -> list[CardRef]:
    """The contacts of `card=` (book:contact, repeated), or of the group `group=`."""
    user, found = current_user(), []
    if values.get("group"):
        group = duplicates.group_of(run_context(), user, values["group"])
        return [contact.ref for contact in group.contacts]
    for value in values.getlist("card"):
        book, sep, href = value.partition(":")
        if not sep:
            raise Invalid(f"{value!r} names no contact (book:contact).", field="card")
        found.append(merges.card_ref(user, book, href))
    return found


def _choices(form: MultiDict[str, str]) -> dict[str, list[str]]:
    return {
        key: [value for value in form.getlist(f"choice.{key}") if value]
        for key in form.getlist("field")
    }


def _epoch(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def _book_options(user: str) -> list[tuple[str, str]]:
    options = [
        (book.id, book.record.display_name or book.id)
        for book in books.books_of(run_context(), user)
    ]
    if DEFAULT_BOOK not in dict(options):
        options.insert(0, (DEFAULT_BOOK, "Contacts (made for the merged contact)"))
    return options


def _page(
    refs: list[CardRef],
    errors: FormErrors,
    *,
    chosen: dict[str, list[str]] | None = None,
    into: str | None = None,
    status: int = 200,
) -> Response:
    user = current_user()
    preview: dict[str, Any] | None = None
    if refs:
        preview = merges.preview(run_context(), user, refs)
        for contact in preview["contacts"]:
            contact["edited"] = _epoch(contact["edited_at"])
        for row in preview["fields"]:
            row["picked"] = (chosen or {}).get(row["key"], row["chosen"])
    return page(
        "merge.html",
        status=status,
        preview=preview,
        cards=[f"{merges.book_id(ref.book)}:{ref.href}" for ref in refs],
        books=_book_options(user) if refs else [],
        into=into or (preview["into"] if preview else ""),
        merges=_merges(user),
        errors=errors,
        title="Merge contacts" if refs else "Merges",
    )


def _merges(user: str) -> list[dict[str, Any]]:
    found = merges.merges(run_context(), user)
    for merge in found:
        merge["created"] = _epoch(merge["created_at"])
    return found


def review() -> Response:
    """The contacts of `card=` side by side with the default choices (none: the merges)."""
    refs, errors = _refs(request.args), FormErrors()
    if len(set(refs)) == 1:
        errors[FORM] = "Choose two or more contacts to merge."
        return _page([], errors, status=errors.status)
    return _page(refs, errors)


def apply() -> Response:
    refs, form = _refs(request.form), request.form
    chosen, into = _choices(form), form.get("into") or None
    errors = FormErrors()
    with errors.catching():
        done = merges.merge(run_context(), current_user(), refs, chosen, into, via=VIA)
    if errors:
        return _page(refs, errors, chosen=chosen, into=into, status=errors.status)
    merged = done["merged"]
    flash(
        f"{len(done['members'])} contacts are now one: “{merged['fn']}”. Phones and "
        "computers see it at their next sync; the sources that fed them update this contact."
    )
    return redirect(url_for("admin.merges"))


def undo(merge_id: int) -> Response:
    errors = FormErrors()
    with errors.catching():
        done = merges.undo(run_context(), current_user(), merge_id, via=VIA)
    if errors:
        flash(errors[FORM] if FORM in errors else next(iter(errors.values())), "error")
        return redirect(url_for("admin.merges"))
    later = ", ".join(f"“{contact['fn']}”" for contact in done["changed_later"])
    flash(
        f"Merge undone: the {len(done['members'])} contacts are back as they were."
        + (f" Left as changed after the merge: {later}." if later else "")
    )
    return redirect(url_for("admin.merges"))


def register(blueprint: Blueprint) -> None:
    """The merge view's addresses on the admin blueprint (`admin.merge_review`: the
    Duplicates page links a group's review to it)."""
    blueprint.add_url_rule("/duplicates/merge", "merge_review", review, methods=["GET"])
    blueprint.add_url_rule("/duplicates/merge", "merge_apply", apply, methods=["POST"])
    blueprint.add_url_rule("/duplicates/merges", "merges", review, methods=["GET"])
    blueprint.add_url_rule(
        "/duplicates/merges/<int:merge_id>/undo", "merge_undo", undo, methods=["POST"]
    )
