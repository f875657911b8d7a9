"""The JSON API under /api/v1: one blueprint per resource, all behind authentication, and
every JSON body checked against its operation's model before the view reads it."""

from __future__ import annotations

from flask import Blueprint, request

from contacthub.web.api import (
    alerts,
    app_passwords,
    autocomplete,
    book_trash,
    books,
    contacts,
    devices,
    docs,
    duplicates,
    exports,
    groups,
    history,
    imports,
    mail_accounts,
    merges,
    syncs,
    vcf_imports,
)
from contacthub.web.api.common import json_body
from contacthub.web.auth import authenticate
from contacthub.web.openapi import json_body_models, path_of
from contacthub.web.validation import check


def check_json_body() -> None:
    """422 naming the field at fault when a JSON body is not what the document says; the
    view's json_body() then answers the dict that was checked. Other media types are
    the view's to accept or refuse (415)."""
    rule = request.url_rule
    model = json_body_models().get((path_of(rule.rule), request.method)) if rule else None
    if model is not None and request.is_json and request.get_data(cache=True):
        check(model, json_body())


api = Blueprint("api", __name__, url_prefix="/api/v1")
api.before_request(authenticate)
api.before_request(check_json_body)
for module in (
    books,
    exports,
    groups,
    contacts,
    history,
    book_trash,
    autocomplete,
    devices,
    app_passwords,
    alerts,
    duplicates,
    imports,
    vcf_imports,
    syncs,
    mail_accounts,
    merges,
    docs,
):
    api.register_blueprint(module.bp)
