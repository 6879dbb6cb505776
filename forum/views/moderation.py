"""The moderators' pages: the queue and the audit log."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from forum.extensions import db
from forum.forms import QueueActionForm
from forum.models import QUEUE_KINDS, Level
from forum.permissions import at_least, can_see_queues, can_view_audit_log, require
from forum.services import audit, moderation, queue
from forum.services import flags as flags_service
from forum.services.errors import ValidationFailed
from forum.views.forms_util import parse_id
from forum.views.limits import staff_limit

bp = Blueprint("moderation", __name__, url_prefix="/moderation")


@bp.before_request
def _moderators_only():
    require(at_least(current_user, Level.MODERATOR) or can_see_queues(current_user))
    g.private_page = True


@bp.get("/log")
def log():
    require(can_view_audit_log(current_user))
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


# --- The queue ----------------------------------------------------------------------

def _item_or_404(item_id):
    item = queue.get_item(item_id)
    if item is None:
        abort(404)
    return item


@bp.get("/queue")
def queue_index():
    require(can_see_queues(current_user))
    kind = request.args.get("kind") or None
    if kind is not None and kind not in QUEUE_KINDS:
        abort(404)
    return render_template("moderation/queue.html", items=queue.open_items(kind), kind=kind,
                           kinds=QUEUE_KINDS)


@bp.get("/queue/<int:item_id>")
def queue_item(item_id):
    require(can_see_queues(current_user))
    item = _item_or_404(item_id)
    return render_template("moderation/item.html", item=item, flags=flags_service.flags_on(item.post),
                           outcomes=moderation.OUTCOMES_BY_KIND.get(item.kind, ()),
                           flag_reasons=flags_service.REASONS)


@bp.post("/queue/<int:item_id>/<any(claim, resolve, escalate):step>")
@staff_limit()
def queue_step(item_id, step):
    require(can_see_queues(current_user))
    item = _item_or_404(item_id)
    form = QueueActionForm()
    if not form.validate_on_submit():
        abort(400, "The note is too long or holds characters that aren't allowed.")
    try:
        if step == "claim":
            queue.claim(current_user, item)
            message = "You have claimed this item."
        elif step == "escalate":
            queue.escalate(current_user, item, form.note.data)
            message = "Escalated to the admins."
        else:
            moderation.resolve(current_user, item, form.outcome.data, form.note.data)
            message = f"Resolved: {form.outcome.data}."
    except ValidationFailed as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("moderation.queue_item", item_id=item.id), 303)
    db.session.commit()
    flash(message, "success")
    if step == "resolve":
        return redirect(url_for("moderation.queue_index"), 303)
    return redirect(url_for("moderation.queue_item", item_id=item.id), 303)
