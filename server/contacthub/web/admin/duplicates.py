"""Duplicates: the groups of possible duplicates across the account's books, lane by lane,
each with why its contacts matched, a "Review and merge" link (the merge view) and a
dismiss button; and the account's settings for finding them. The same services as
/api/v1/duplicates and /api/v1/account/settings."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, request, url_for
from werkzeug.routing import BuildError
from werkzeug.wrappers import Response

from contacthub.duplicates.lanes import LANES
from contacthub.duplicates.normalize import REGIONS as KNOWN_REGIONS
from contacthub.errors import NotFound
from contacthub.services import duplicates
from contacthub.services.duplicates import LANE_WORDS
from contacthub.web.admin.pages import FormErrors, page
from contacthub.web.context import run_context

bp = Blueprint("duplicates", __name__, url_prefix="/duplicates")

REGIONS = sorted(KNOWN_REGIONS)
PER_LANE = 100  # the groups a lane shows at once


def merge_link(group_id: str) -> str | None:
    """The merge view of a group, where the admin page has one."""
    try:
        return url_for("admin.merge_review", group=group_id)
    except BuildError:
        return None


def _page(errors: FormErrors | None = None) -> Response:
    user = g.caller.user
    errors = errors or FormErrors()
    shown = [
        (lane, duplicates.groups_page(run_context(), user, lane, PER_LANE, 0)) for lane in LANES
    ]
    lanes = [(lane, LANE_WORDS[lane], found.groups, found.total) for lane, found in shown]
    return page(
        "duplicates.html",
        status=errors.status,
        lanes=lanes,
        settings=duplicates.settings_of(run_context(), user),
        regions=REGIONS,
        merge_link=merge_link,
        book_id=duplicates.book_id,
        errors=errors,
        title="Duplicates",
    )


@bp.get("/")
def index() -> Response:
    return _page()


@bp.post("/<group_id>/dismiss")
def dismiss(group_id: str) -> Response:
    try:
        group = duplicates.dismiss(run_context(), g.caller.user, group_id)
    except NotFound as gone:
        flash(gone.message, "error")
    else:
        names = ", ".join(f"“{contact.fn}”" for contact in group.contacts)
        flash(f"Dismissed: {names} are not offered as one person again.")
    return redirect(url_for(".index"))


@bp.post("/settings")
def settings() -> Response:
    errors = FormErrors()
    with errors.catching():
        duplicates.change_settings(
            run_context(),
            g.caller.user,
            {
                "phone_region": request.form.get("phone_region", ""),
                "match_similar_names": request.form.get("match_similar_names") == "yes",
                "auto_merge": request.form.get("auto_merge") == "yes",
            },
        )
        flash("Saved. The groups below are found with these settings.")
        return redirect(url_for(".index"))
    return _page(errors)
