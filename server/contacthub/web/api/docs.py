"""The OpenAPI document of this API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from contacthub.web.openapi import document

bp = Blueprint("docs", __name__)


@bp.get("/openapi.json")
def openapi() -> dict[str, Any]:
    return document()
