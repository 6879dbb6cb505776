"""Blocking members from writing, and blocking the address a post came from."""
from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user

from forum.extensions import db
from forum.forms import BlockForm, PostAddressBlockForm, ReasonForm
from forum.permissions import can_block_post_address, can_sanction_member, require
from forum.security import rerender_on_csrf_error
from forum.services import sanctions
from forum.services.errors import ValidationFailed
from forum.views.answers import post_location
from forum.views.curation import moderation_page
from forum.views.edits import get_post_or_404
from forum.views.forms_util import save_form
from forum.views.limits import staff_limit
from forum.views.reauth import recent_password_required
from forum.views.users import get_user_or_404

bp = Blueprint("sanctions", __name__)


def _render(member, form, status=200):
    g.private_page = True
    return render_template("sanctions/member.html", member=member, form=form,
                           history=sanctions.history(member), blocked=sanctions.is_blocked(member),
                           suggested=sanctions.suggested_duration(member)), status


@bp.get("/moderation/members/<username>")
def member(username):
    target = get_user_or_404(username)
    require(can_sanction_member(current_user, target))
    form = BlockForm(formdata=None)
    form.duration.data = sanctions.suggested_duration(target)
    return _render(target, form)


@bp.post("/moderation/members/<username>/block")
@rerender_on_csrf_error
@staff_limit()
@recent_password_required
def block(username):
    target = get_user_or_404(username)
    require(can_sanction_member(current_user, target))
    form = BlockForm()
    _, refused = save_form(form, lambda: sanctions.block_member(current_user, target, form.duration.data,
                                                                form.reason.data),
                           lambda: _render(target, form, 400), general_field="reason")
    if refused:
        return refused
    flash(f"{target.username} can read but not write until the block ends.", "success")
    return redirect(url_for("sanctions.member", username=target.username), 303)


@bp.post("/moderation/members/<username>/unblock")
@staff_limit()
@recent_password_required
def unblock(username):
    target = get_user_or_404(username)
    require(can_sanction_member(current_user, target))
    if not ReasonForm().validate_on_submit():
        abort(400)
    try:
        sanctions.lift_block(current_user, target)
    except ValidationFailed as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(f"{target.username} may write again.", "success")
    return redirect(url_for("sanctions.member", username=target.username), 303)


@bp.post("/posts/<int:post_id>/block-address")
@rerender_on_csrf_error
@staff_limit()
@recent_password_required
def block_address(post_id):
    post = get_post_or_404(post_id)
    require(can_block_post_address(current_user, post))
    form = PostAddressBlockForm()
    _, refused = save_form(form, lambda: sanctions.block_post_address(current_user, post, form.reason.data,
                                                                      form.duration.data),
                           lambda: moderation_page(post, 400, address_form=form), general_field="reason")
    if refused:
        return refused
    flash("The address this post came from can no longer write.", "success")
    return redirect(post_location(post), 303)
