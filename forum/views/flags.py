"""Members flag posts for the moderators."""
from flask import Blueprint, flash, redirect, render_template
from flask_login import current_user, login_required

from forum.extensions import db, limiter
from forum.forms import FlagForm
from forum.permissions import can_flag_post, require
from forum.security import rerender_on_csrf_error
from forum.services import flags
from forum.services.errors import ValidationFailed
from forum.views.answers import post_location
from forum.views.edits import get_post_or_404
from forum.views.forms_util import apply_errors

bp = Blueprint("flags", __name__)


def _render(post, form, status=200):
    return render_template("flags/new.html", post=post, form=form,
                           already=flags.has_flagged(current_user, post)), status


@bp.get("/posts/<int:post_id>/flag")
@login_required
def new(post_id):
    post = get_post_or_404(post_id)
    require(can_flag_post(current_user, post))
    return _render(post, FlagForm(formdata=None))


@bp.post("/posts/<int:post_id>/flag")
@login_required
@limiter.limit("20 per hour;50 per day", key_func=lambda: f"member:{current_user.get_id()}")
@rerender_on_csrf_error
def create(post_id):
    post = get_post_or_404(post_id)
    require(can_flag_post(current_user, post))
    form = FlagForm()
    if not form.validate_on_submit():
        return _render(post, form, 400)
    try:
        flags.flag_post(current_user, post, form.reason.data, form.note.data)
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        if not error.errors:
            form.reason.errors = [error.message]
        return _render(post, form, 400)
    db.session.commit()
    flash("Thank you. The moderators will look at it; the author won't know who flagged it.", "success")
    if post.status != "visible":
        return redirect("/", 303)
    return redirect(post_location(post), 303)
