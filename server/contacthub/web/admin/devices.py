"""Phone sync (a helper fills this in)."""

from __future__ import annotations

from flask import Blueprint
from werkzeug.wrappers import Response

from .pages import page

bp = Blueprint("devices", __name__, url_prefix="/phone")


@bp.get("/")
def index() -> Response:
    return page("placeholder.html", title="Phone sync")
