"""The inbox, following, email preferences and the one-click unsubscribe."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from forum.extensions import csrf, db, limiter
from forum.forms import ConfirmForm
from forum.models import FOLLOW_TARGETS
from forum.services import categories, notifications, tags
from forum.services import mail as mail_service
from forum.services.errors import ValidationFailed
from forum.urls import safe_next
from forum.views.forms_util import parse_id
from forum.views.limits import account_limit
from forum.views.users import get_user_or_404

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@login_required
def index():
    g.private_page = True
    return render_template("notifications/index.html", items=notifications.inbox(current_user),
                           prefs=notifications.prefs(current_user), kinds=notifications.EMAIL_KINDS)


@bp.get("/notifications/<int:notification_id>")
@login_required
def open_notification(notification_id):
    """Follow a notification to its post; a GET never writes, so it stays unread until marked."""
    item = next((n for n in notifications.inbox(current_user) if n.id == notification_id), None)
    if item is None or item.post_id is None:
        abort(404)
    from forum.models import Post
    from forum.views.answers import post_location

    post = db.session.get(Post, item.post_id)
    if post is None:
        abort(404)
    return redirect(post_location(post), 303)


@bp.post("/notifications/read")
@login_required
@account_limit()
def mark_read():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    raw = request.form.get("id")
    notification_id = parse_id(raw) if raw else None
    if raw and notification_id is None:
        abort(400)
    notifications.mark_read(current_user, notification_id)
    db.session.commit()
    return redirect(safe_next(request.form.get("next"), url_for("notifications.index")), 303)


@bp.post("/notifications/preferences")
@login_required
@account_limit()
def preferences():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    chosen = {kind for kind in notifications.EMAIL_KINDS if request.form.get(kind)}
    notifications.set_prefs(current_user, chosen)
    db.session.commit()
    flash("Your email choices are saved.", "success")
    return redirect(url_for("notifications.index"), 303)


def _target(target_type, raw):
    """Resolve what to follow; return (id, description) or abort 404."""
    if target_type == "question" or target_type == "category":
        target_id = parse_id(raw)
        if target_id is None:
            abort(404)
        if target_type == "category" and target_id not in categories.by_id():
            abort(404)
        if target_type == "question":
            from forum.views.questions import get_visible_question_or_404

            get_visible_question_or_404(target_id)
        return target_id
    if target_type == "tag":
        tag = tags.get_tag_or_none(raw)
        if tag is None:
            abort(404)
        return tag.id
    if target_type == "user":
        user = get_user_or_404(raw)
        if user.id == current_user.id:
            abort(400, "You can't follow yourself.")
        return user.id
    abort(404)


@bp.post("/follow/<target_type>/<path:target>")
@login_required
@limiter.limit("60 per hour", key_func=lambda: f"member:{current_user.get_id()}")
def follow(target_type, target):
    if target_type not in FOLLOW_TARGETS or not ConfirmForm().validate_on_submit():
        abort(404 if target_type not in FOLLOW_TARGETS else 400)
    target_id = _target(target_type, target)
    if request.form.get("action") == "unfollow":
        notifications.unfollow(current_user, target_type, target_id)
        message = "You no longer follow it."
    else:
        mode = "digest" if request.form.get("mode") == "digest" else "instant"
        notifications.follow(current_user, target_type, target_id, mode=mode)
        message = "You follow it now." if mode == "instant" else "You'll get a daily digest."
    db.session.commit()
    flash(message, "success")
    return redirect(safe_next(request.form.get("next"), url_for("notifications.updates")), 303)


@bp.get("/updates")
@login_required
def updates():
    g.private_page = True
    return render_template("notifications/updates.html", items=notifications.my_updates(current_user))


@bp.get("/unsubscribe/<token>")
def unsubscribe_form(token):
    """Show a confirmation: a GET (e.g. a link checker) changes nothing."""
    if mail_service.read_unsubscribe_token(token) is None:
        return render_template("notifications/unsubscribe.html", invalid=True), 400
    return render_template("notifications/unsubscribe.html", token=token, done=False)


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # RFC 8058 one-click: the signed, per-recipient token is the check
@limiter.limit("600 per hour")  # mail providers post these from shared servers
def unsubscribe(token):
    payload = mail_service.read_unsubscribe_token(token)
    if payload is None:
        return render_template("notifications/unsubscribe.html", invalid=True), 400
    try:
        notifications.unsubscribe(payload)
    except ValidationFailed:
        db.session.rollback()
        abort(400)
    db.session.commit()
    return render_template("notifications/unsubscribe.html", done=True)
