"""Address books and their contacts (a helper fills this in)."""

from __future__ import annotations

from flask import Blueprint
from werkzeug.wrappers import Response

from .pages import page

bp = Blueprint("books", __name__, url_prefix="/books")


@bp.get("/")
def index() -> Response:
    return page("placeholder.html", title="Address books")
