"""Address books and their contacts: the list of books (how many contacts, where they come
from; the deleted books, each with Restore), a book's contacts with search and paging, and
one contact to view (with its history: web/admin/history.py restores a version), edit and
delete.

Everything goes through the services the JSON API calls (services.books, services.contacts):
the same search, the same ownership checks (404 for anybody else's book or contact), the
same replace with If-Match, so an edit never overwrites a change a phone made meanwhile.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import vobject
from flask import Blueprint, flash, redirect, request, url_for
from werkzeug.http import parse_etags
from werkzeug.wrappers import Response

from contacthub.errors import Invalid
from contacthub.services import book_trash, books, contacts, exports, groups, history
from contacthub.services.contacts import ChangedElsewhere
from contacthub.services.custom_fields import custom_field_names
from contacthub.store import ItemRecord
from contacthub.vcard.edit import EditableFields, editable_fields, edited, problems, rebased
from contacthub.vcard.parse import InvalidVCard
from contacthub.web.admin.pages import FORM, FormErrors, page
from contacthub.web.auth import current_user
from contacthub.web.context import run_context, settings
from contacthub.web.downloads import download
from contacthub.web.inputs import if_match_of, page_args
from contacthub.web.shapes import book_json, contact_json, contacts_page_json

bp = Blueprint("books", __name__, url_prefix="/books")

CHANGED_ELSEWHERE = "This contact was changed elsewhere since you opened it."


# --- books and searches -----------------------------------------------------------------------

PAGE_ARGS = {"offset": FORM, "limit": FORM}  # no field of their own: said above the form


def paging(found: dict[str, Any] | None, endpoint: str, **values: str) -> dict[str, str | None]:
    """The addresses of the previous and next pages of a list (None where there is none)."""
    if not found:
        return {"previous": None, "next": None}
    kept = {key: request.args[key] for key in ("q", "limit") if request.args.get(key)}

    def at(offset: int) -> str:
        arguments: dict[str, Any] = {**values, **kept, "offset": offset or None}
        return url_for(endpoint, **arguments)

    offset, limit, total = found["offset"], found["limit"], found["total"]
    return {
        "previous": at(max(offset - limit, 0)) if offset > 0 else None,
        "next": at(offset + limit) if offset + limit < total else None,
    }


@bp.get("/")
def index() -> Response:
    user = current_user()
    query = request.args.get("q", "")
    errors = FormErrors()
    found = None
    if query.strip():
        with errors.catching(rename=PAGE_ARGS):
            found = contacts_page_json(contacts.search(run_context(), user, *page_args()))
    shown = [book_json(book) for book in books.books_of(run_context(), user)]
    return page(
        "books.html",
        status=errors.status,
        books=shown,
        deleted_books=book_trash.deleted_books(run_context(), user),
        query=query,
        found=found,
        paging=paging(found, ".index"),
        errors=errors,
        title="Address books",
        book_names={book["id"]: book["display_name"] or book["id"] for book in shown},
    )


@bp.get("/<book_id>/")
def book(book_id: str) -> Response:
    user = current_user()
    shown = _book(book_id)
    errors = FormErrors()
    found = None
    with errors.catching(rename=PAGE_ARGS):
        words, limit, offset = page_args()
        found = contacts_page_json(
            contacts.search(run_context(), user, words, limit, offset, book_id=book_id)
        )
    return page(
        "books_contacts.html",
        status=errors.status,
        book=shown,
        groups=groups.book_groups(run_context(), user, book_id),
        group_form=groups.book_group_form(run_context(), user, book_id),
        group_forms=GROUP_FORM_CHOICES,
        export_formats=EXPORT_CHOICES,
        query=request.args.get("q", ""),
        found=found,
        paging=paging(found, ".book", book_id=book_id),
        errors=errors,
        title=shown["display_name"],
    )


# One choice for the file's format and, for vCards, its version: (format, version).
EXPORT_FORMATS = {
    "vcf": (exports.VCF, exports.AS_STORED),
    "vcf-3.0": (exports.VCF, "3.0"),
    "vcf-4.0": (exports.VCF, "4.0"),
    "google-csv": ("google-csv", exports.AS_STORED),
    "outlook-csv": ("outlook-csv", exports.AS_STORED),
}
EXPORT_CHOICES = [
    ("vcf", "vCard (.vcf), each card as stored"),
    ("vcf-3.0", "vCard 3.0 (.vcf)"),
    ("vcf-4.0", "vCard 4.0 (.vcf)"),
    ("google-csv", "CSV for Google Contacts"),
    ("outlook-csv", "CSV for Outlook"),
]


@bp.get("/<book_id>/export")
def export(book_id: str) -> Response:
    """The book as one file, streamed (a GET form: works without scripts)."""
    chosen = request.args.get("format", "vcf")
    file_format, version = EXPORT_FORMATS.get(chosen, (chosen, exports.AS_STORED))
    user = current_user()
    ctx = run_context()
    found = exports.books_to_export(ctx, user, book_id)
    return download(exports.export(ctx.store, user, found, file_format, version, one_book=True))


@bp.post("/deleted/<int:deleted_book_id>/restore")
def restore_deleted(deleted_book_id: int) -> Response:
    done = book_trash.restore_deleted_book(run_context(), current_user(), deleted_book_id)
    flash(done.message + " Phones and programs find it again at their next sync.")
    return redirect(url_for(".book", book_id=done.book))


GROUP_FORM_CHOICES = [
    ("both", "A group card and categories"),
    ("categories", "Categories only"),
]


@bp.post("/<book_id>/settings")
def book_settings(book_id: str) -> Response:
    form = groups.set_group_form(
        run_context(), current_user(), book_id, request.form.get("group_form", "")
    )
    chosen = dict(GROUP_FORM_CHOICES)[form]
    flash(f"New groups now take this form: {chosen[0].lower()}{chosen[1:]}.")
    return redirect(url_for(".book", book_id=book_id))


# --- one contact ------------------------------------------------------------------------------


def _book(book_id: str) -> dict[str, Any]:
    return book_json(books.book_of(run_context(), current_user(), book_id))


def _contact(book_id: str, contact_id: str) -> ItemRecord:
    return contacts.get_contact(run_context(), current_user(), book_id, contact_id)


@dataclass(frozen=True)
class Detail:
    """One value of a contact as the page shows it: "Work" "ann@example.org"."""

    value: str
    kinds: str = ""  # "work, mobile", or an iOS label
    link: str | None = None


@dataclass(frozen=True)
class Details:
    organization: str
    emails: list[Detail]
    phones: list[Detail]
    note: str
    others: list[tuple[str, Detail]]  # (what it is, its value), in the card's order
    technical: list[tuple[str, Detail]] = field(default_factory=list)  # UID, our own keys


SHOWN_ABOVE = {"VERSION", "FN", "ORG", "EMAIL", "TEL", "NOTE", "X-ABLABEL"}
# What a person has no use for, out of the way in a collapsed section: identifiers, and
# the properties contacthub keeps for itself (X-CONTACTHUB-KEY: the row a card came from).
TECHNICAL = {"UID", "PRODID", "REV"}
OWN_PREFIX = "X-CONTACTHUB-"
TECHNICAL_LABELS = {"X-CONTACTHUB-KEY": "Import key (X-CONTACTHUB-KEY)"}
LABELS = {
    "X-CONTACTHUB-MESSAGES": "Messages in the mailbox",
    "X-CONTACTHUB-LAST-CONTACT": "Last message",
    "UID": "UID",
    "PRODID": "Written by",
    "REV": "Last changed",
    "N": "Name in parts",
    "NICKNAME": "Nickname",
    "ADR": "Address",
    "LABEL": "Address label",
    "BDAY": "Birthday",
    "ANNIVERSARY": "Anniversary",
    "URL": "Website",
    "TITLE": "Job title",
    "ROLE": "Role",
    "CATEGORIES": "Groups",
    "PHOTO": "Photo",
    "LOGO": "Logo",
    "IMPP": "Instant messaging",
    "X-SOCIALPROFILE": "Social profile",
    "GEO": "Location",
    "TZ": "Time zone",
    "LANG": "Language",
    "GENDER": "Gender",
    "KIND": "Kind",
    "MEMBER": "Member",
    "RELATED": "Related person",
    "X-ABRELATEDNAMES": "Related person",
    "X-ABDATE": "Date",
    "KEY": "Public key",
    "SOUND": "Sound",
    "CLASS": "Class",
    "SORT-STRING": "Sorted as",
    "X-PHONETIC-FIRST-NAME": "Phonetic first name",
    "X-PHONETIC-LAST-NAME": "Phonetic last name",
    "X-ABSHOWAS": "Show as",
}
KIND_WORDS = {"cell": "mobile", "internet": "", "pref": "", "voice": "", "x-internet": ""}


def _size(data: bytes) -> str:
    return f"{len(data)} bytes" if len(data) < 1024 else f"{round(len(data) / 1024)} KB"


def _words(prop: Any) -> str:
    """A property's value as words: addresses on one line, pictures by their size."""
    value = prop.value
    if isinstance(value, bytes):
        return (
            f"A picture ({_size(value)})"
            if prop.name in ("PHOTO", "LOGO")
            else f"Binary data ({_size(value)})"
        )
    if isinstance(value, vobject.vcard.Address):
        parts = (
            value.box,
            value.extended,
            value.street,
            value.city,
            value.region,
            value.code,
            value.country,
        )
        return ", ".join(_flat(part) for part in parts if _flat(part))
    if isinstance(value, vobject.vcard.Name):
        names = (value.prefix, value.given, value.additional, value.family, value.suffix)
        return " ".join(_flat(part) for part in names if _flat(part))
    return _flat(value)


def _flat(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(part).strip() for part in value if str(part).strip())
    return str(value).strip()


def _label_of(text: str) -> str:
    """An iOS label without its wrapping: "_$!<Work>!$_" is "Work"."""
    return text.removeprefix("_$!<").removesuffix(">!$_")


def _detail(prop: Any, labels: dict[str, str], link: str | None = None) -> Detail:
    label = labels.get((prop.group or "").upper())
    kinds = [KIND_WORDS.get(kind.lower(), kind.lower()) for kind in prop.params.get("TYPE", [])]
    return Detail(_words(prop), label or ", ".join(kind for kind in kinds if kind), link)


def _is_technical(name: str) -> bool:
    return name in TECHNICAL or (name.startswith(OWN_PREFIX) and name not in LABELS)


def _what(name: str, custom_names: Mapping[str, str]) -> str:
    """What a property is called: the name a person gave a custom field ("Shoe size"),
    ours for the known ones, or its own."""
    if name in custom_names:
        return custom_names[name]
    # An X- property nobody named keeps its own name: another program's words for it.
    return LABELS.get(name) or TECHNICAL_LABELS.get(name) or name


def details(text: str, custom_names: Mapping[str, str] | None = None) -> Details | None:
    """What a card says, ready to show; None for a card that cannot be read.
    `custom_names`: X- property → the name given to that custom field."""
    try:
        card = vobject.readOne(text, validate=False)
    except Exception:  # stored before cards were checked: the page shows the text
        return None
    children = list(card.getChildren())
    labels = {
        child.group.upper(): _label_of(str(child.value))
        for child in children
        if child.name == "X-ABLABEL" and child.group
    }
    name = _flat(card.contents["fn"][0].value) if "fn" in card.contents else ""
    named = custom_names or {}
    shown = [
        (child.name, (_what(child.name, named), _detail(child, labels)))
        for child in children
        if child.name not in SHOWN_ABOVE and not (child.name == "N" and _words(child) in ("", name))
    ]
    shown = [(prop, pair) for prop, pair in shown if pair[1].value]
    return Details(
        organization=_flat(card.contents["org"][0].value) if "org" in card.contents else "",
        emails=[
            _detail(prop, labels, f"mailto:{_words(prop)}")
            for prop in card.contents.get("email", [])
            if _words(prop)
        ],
        phones=[
            _detail(prop, labels, f"tel:{_words(prop).replace(' ', '')}")
            for prop in card.contents.get("tel", [])
            if _words(prop)
        ],
        note="\n\n".join(_words(prop) for prop in card.contents.get("note", [])),
        others=[pair for prop, pair in shown if not _is_technical(prop)],
        technical=[pair for prop, pair in shown if _is_technical(prop)],
    )


@bp.get("/<book_id>/contacts/<contact_id>")
def contact(book_id: str, contact_id: str) -> Response:
    item = _contact(book_id, contact_id)
    return page(
        "contact.html",
        book=_book(book_id),
        contact=contact_json(item, book_id, with_vcard=True),
        details=details(item.text, custom_field_names(run_context(), current_user())),
        history=history.contact_history(run_context(), current_user(), book_id, item.uid),
        title=item.display_name,
    )


# --- editing and deleting ---------------------------------------------------------------------


class UnreadableCard(Invalid):
    code = "unreadable"


def _fields_of(item: ItemRecord) -> EditableFields:
    try:
        return editable_fields(item.text)
    except InvalidVCard:
        raise UnreadableCard(
            "This contact's card cannot be read, so it cannot "
            "be edited here; a phone or computer that has it can still change "
            "it.",
        ) from None


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text.splitlines() if line.strip())


def _submitted(prefix: str = "") -> EditableFields:
    """The fields as the form sent them; with prefix "opened_", as the form first showed
    them (its hidden copy of the version it was opened with)."""
    form = request.form
    return EditableFields(
        full_name=form.get(f"{prefix}full_name", "").strip(),
        organization=form.get(f"{prefix}organization", "").strip(),
        emails=_lines(form.get(f"{prefix}emails", "")),
        phones=_lines(form.get(f"{prefix}phones", "")),
        note=form.get(f"{prefix}note", "").replace("\r\n", "\n").strip(),
    )


def _save(
    book_id: str, current: ItemRecord, fields: EditableFields, opened: str, errors: FormErrors
) -> ItemRecord | None:
    """The contact with `fields` saved over the version the form was opened with (ETag
    `opened`); None, with the reason in `errors`, when that cannot be."""
    if current.etag != opened:
        errors[FORM] = CHANGED_ELSEWHERE
        return None
    text = edited(current.text, fields)
    limit = settings().max_resource_size
    if len(text.encode()) > limit:
        errors[FORM] = f"The contact would be larger than this server keeps ({limit} bytes)."
        return None
    with errors.catching(rename={"vcard": FORM}):
        try:
            return contacts.replace_contact(
                run_context(),
                current_user(),
                book_id,
                current.href,
                text,
                if_match_of(parse_etags(opened)),
                via="admin",
            )
        except ChangedElsewhere:
            errors[FORM] = CHANGED_ELSEWHERE
    return None


def _edit_page(
    book_id: str,
    item: ItemRecord,
    fields: EditableFields,
    opened: tuple[EditableFields, str],
    errors: FormErrors,
    *,
    changed: bool = False,
) -> Response:
    """The form showing `fields`, for the version `opened` (its fields and ETag)."""
    return page(
        "contact_edit.html",
        status=errors.status,
        book=_book(book_id),
        contact=contact_json(item, book_id, with_vcard=False),
        fields=fields,
        opened=opened[0],
        etag=opened[1],
        errors=errors,
        current=details(item.text) if changed else None,
        title=f"Edit {item.display_name}",
    )


@bp.route("/<book_id>/contacts/<contact_id>/edit", methods=["GET", "POST"])
def edit(book_id: str, contact_id: str) -> Response:
    item = _contact(book_id, contact_id)
    if request.method == "GET":
        shown = _fields_of(item)
        return _edit_page(book_id, item, shown, (shown, item.etag), FormErrors())
    fields, opened, etag = _submitted(), _submitted("opened_"), request.form.get("etag", "")
    errors = FormErrors(problems(fields))
    if not errors:
        saved = _save(book_id, item, fields, etag, errors)
        if saved is not None:
            flash(f"Saved “{saved.display_name}”.")
            return redirect(url_for(".contact", book_id=book_id, contact_id=saved.href))
    if errors.get(FORM) != CHANGED_ELSEWHERE:
        return _edit_page(book_id, item, fields, (opened, etag), errors)
    # The form now edits the version that is there: its fields, with this person's changes.
    current = _contact(book_id, contact_id)
    theirs = _fields_of(current)
    return _edit_page(
        book_id,
        current,
        rebased(opened, fields, theirs),
        (theirs, current.etag),
        errors,
        changed=True,
    )


@bp.post("/<book_id>/contacts/<contact_id>/delete")
def delete(book_id: str, contact_id: str) -> Response:
    opened = request.form.get("etag")
    try:
        old = contacts.remove_contact(
            run_context(),
            current_user(),
            book_id,
            contact_id,
            if_match_of(parse_etags(opened)) if opened else None,
            via="admin",
        )
    except ChangedElsewhere:
        flash(
            f"{CHANGED_ELSEWHERE} This is its current version: delete it again if you "
            "still mean to.",
            "error",
        )
        return redirect(url_for(".contact", book_id=book_id, contact_id=contact_id))
    flash(f"Deleted “{old.display_name}”.")
    return redirect(url_for(".book", book_id=book_id))
