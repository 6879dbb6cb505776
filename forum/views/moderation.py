"""The moderators' pages: the audit log."""
from flask import Blueprint, abort, g, render_template, request
from flask_login import current_user

from forum.permissions import can_view_audit_log, require
from forum.services import audit
from forum.views.forms_util import parse_id

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


@bp.before_request
def _moderators_only():
    require(can_view_audit_log(current_user))
    g.private_page = True


@bp.get("/log")
def log():
    page = parse_id(request.args.get("page", "1"), maximum=100_000)
    if page is None:
        abort(404)
    action = request.args.get("action") or None
    known = audit.actions_in_log()
    if action is not None and action not in known:
        action = None
    filters = {}
    for key in ("actor_id", "post_id", "user_id"):
        raw = request.args.get(key)
        if raw:
            filters[key] = parse_id(raw) or -1
    rows, has_next = audit.entries(action=action, page=page, **filters)
    return render_template("moderation/log.html", rows=rows, has_next=has_next, page=page,
                           action=action, actions=known, details_of=audit.details_of)
