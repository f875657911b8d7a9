"""The admin web page under /admin/: server-rendered pages over the same services as the
JSON API (contacthub.services: the same checks, the same changes).

    session   sign in and out; every other page needs a signed-in account
    headers   the security headers of every answer (CSP, no framing)
    pages     what every page uses: rendering, form errors, times in words
    books     address books and their contacts
    history   a book's trash, a contact's versions, a book restored to a time
    undo      the page of a restore or an undo, and the undo of any run
    wizard    the import wizard: source, preview, mapping, run or schedule
    syncs     the list of synchronizations
    runs      a run started by hand: its progress bar and its report
    mail_accounts  mail accounts (IMAP, Exchange)
    devices   the phone's pushes into "From iOS"
    app_passwords  a password per device, and CardDAV's own-password setting
    alerts    a client that deleted much of a book: restore them, or dismiss
    merges    contacts merged into one after a review of their fields, and undone
    duplicates  possible duplicates across the books, lane by lane; dismiss; settings
    api_docs  the JSON API's reference, read from its OpenAPI document
"""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from werkzeug.wrappers import Response

from contacthub.errors import NotFound
from contacthub.services.runs import undoable
from contacthub.web.admin import (
    alerts,
    api_docs,
    app_passwords,
    books,
    devices,
    duplicates,
    headers,
    history,
    mail_accounts,
    merges,
    pages,
    runs,
    session,
    syncs,
    undo,
    wizard,
    wrapping,
)

admin = Blueprint(
    "admin", __name__, url_prefix="/admin", template_folder="templates", static_folder="static"
)
admin.before_request(session.protect_forms)
admin.before_request(session.require_sign_in)
admin.after_request(headers.add_security_headers)
admin.context_processor(pages.context)
admin.add_app_template_filter(pages.ago, "ago")
admin.add_app_template_filter(wrapping.breakable, "breakable")
# Globals, not only context: macros imported without "with context" use them too.
admin.add_app_template_global(pages.exact, "exact")
admin.add_app_template_global(pages.iso, "iso")
admin.add_app_template_global(undoable, "undoable")
admin.add_app_template_filter(history.property_words, "property_words")
admin.add_app_template_filter(history.action_words, "action_words")
admin.add_app_template_filter(history.client_name, "client_name")
pages.register_errors(admin)
for module in (
    session,
    books,
    history,
    wizard,
    syncs,
    runs,
    undo,
    mail_accounts,
    devices,
    app_passwords,
    alerts,
    duplicates,
    api_docs,
):
    admin.register_blueprint(module.bp)
merges.register(admin)


@admin.get("/")
def home() -> Response:
    return redirect(url_for("admin.books.index"))


@admin.route("/<path:anything>", methods=["GET", "POST"])
def unknown(anything: str) -> Response:
    """An address under /admin/ that is no page: our 404 page, not the API's JSON."""
    raise NotFound("There is no such page.")
