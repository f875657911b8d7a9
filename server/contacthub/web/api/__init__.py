"""The JSON API under /api/v1: one blueprint per resource, all behind authentication."""

from __future__ import annotations

from flask import Blueprint

from contacthub.web.api import (
    autocomplete,
    books,
    contacts,
    devices,
    docs,
    imports,
    mail_accounts,
    syncs,
)
from contacthub.web.auth import authenticate

api = Blueprint("api", __name__, url_prefix="/api/v1")
api.before_request(authenticate)
for module in (books, contacts, autocomplete, devices, imports, syncs, mail_accounts, docs):
    api.register_blueprint(module.bp)
