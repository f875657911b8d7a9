"""The import wizard (a helper fills this in)."""

from __future__ import annotations

from flask import Blueprint
from werkzeug.wrappers import Response

from .pages import page

bp = Blueprint("wizard", __name__, url_prefix="/import")


@bp.get("/")
def start() -> Response:
    return page("placeholder.html", title="Import")


@bp.get("/<int:sync_id>/source")
def source(sync_id: int) -> Response:
    return page("placeholder.html", title="Import")
