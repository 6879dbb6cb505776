"""Moderators' actions on posts: hide, delete, close, reopen and merge."""
import re

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user

from forum.extensions import db
from forum.forms import CloseForm, MergeForm, PostAddressBlockForm, ReasonForm
from forum.models import Question
from forum.permissions import (
    can_close_question,
    can_hide_post,
    can_moderate_post,
    can_reveal_author,
    require,
)
from forum.security import rerender_on_csrf_error
from forum.services import curation, questions
from forum.services.errors import ValidationFailed
from forum.urls import question_url
from forum.views.answers import post_location
from forum.views.edits import get_post_or_404
from forum.views.forms_util import parse_id, save_form
from forum.views.limits import staff_limit
from forum.views.reauth import recent_password_required

bp = Blueprint("curation", __name__)

#: action -> (service function, permission, what the confirmation says)
STATUS_ACTIONS = {
    "hide": (curation.hide_post, can_hide_post, "hidden from readers"),
    "unhide": (curation.unhide_post, can_hide_post, "visible again"),
    "delete": (curation.delete_post, can_moderate_post, "deleted"),
    "undelete": (curation.undelete_post, can_moderate_post, "restored"),
}


def _question_from(text):
    """Find a question from its number ("12", "#12") or any of its links (…/questions/12/…)."""
    text = (text or "").strip()
    if "questions/" in text:
        match = re.search(r"questions/(\d{1,10})", text)
    else:
        match = re.fullmatch(r"#?(\d{1,10})", text)
    question_id = parse_id(match.group(1)) if match else None
    return questions.get_question(question_id) if question_id else None


def moderation_page(post, status=200, **forms):
    """The post's moderation page; ``forms`` sent back with errors keep what was typed."""
    forms.setdefault("reason_form", ReasonForm(formdata=None))
    forms.setdefault("address_form", PostAddressBlockForm(formdata=None))
    if isinstance(post, Question):
        forms.setdefault("close_form", CloseForm(formdata=None))
        forms.setdefault("merge_form", MergeForm(formdata=None))
    return render_template("curation/moderate.html", post=post, **forms), status


@bp.get("/posts/<int:post_id>/moderate")
def moderate(post_id):
    post = get_post_or_404(post_id)
    require(can_hide_post(current_user, post) or can_moderate_post(current_user, post)
            or can_close_question(current_user, post))
    return moderation_page(post)


@bp.post("/posts/<int:post_id>/<any(hide, unhide, delete, undelete):action>")
@rerender_on_csrf_error
@staff_limit()
def change_status(post_id, action):
    post = get_post_or_404(post_id)
    service, permission, done = STATUS_ACTIONS[action]
    require(permission(current_user, post))
    form = ReasonForm()
    _, refused = save_form(form, lambda: service(current_user, post, form.reason.data),
                           lambda: moderation_page(post, 400, reason_form=form), general_field="reason")
    if refused:
        return refused
    flash(f"The post is {done}.", "success")
    if post.status == "visible" or post.type != "question":
        return redirect(post_location(post), 303)
    return redirect(url_for("curation.moderate", post_id=post.id), 303)


@bp.post("/questions/<int:question_id>/close")
@rerender_on_csrf_error
@staff_limit()
def close(question_id):
    question = get_post_or_404(question_id)
    require(isinstance(question, Question) and can_close_question(current_user, question))
    if question.closed_at is not None:
        flash("That question is already closed.", "error")
        return redirect(question_url(question), 303)
    form = CloseForm()

    def close_it():
        original = _question_from(form.duplicate_of.data) if form.reason.data == "duplicate" else None
        return curation.close_question(current_user, question, form.reason.data, form.note.data, original)

    _, refused = save_form(form, close_it, lambda: moderation_page(question, 400, close_form=form),
                           general_field="reason")
    if refused:
        return refused
    flash("The question is closed to new answers.", "success")
    return redirect(question_url(question), 303)


@bp.post("/questions/<int:question_id>/reopen")
@staff_limit()
def reopen(question_id):
    question = get_post_or_404(question_id)
    require(isinstance(question, Question) and can_close_question(current_user, question))
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400, "The reason is too long or holds characters that aren't allowed.")
    try:
        curation.reopen_question(current_user, question, form.reason.data)
    except ValidationFailed as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(question_url(question), 303)
    db.session.commit()
    flash("The question is open again.", "success")
    return redirect(question_url(question), 303)


@bp.post("/questions/<int:question_id>/merge")
@rerender_on_csrf_error
@staff_limit()
def merge(question_id):
    duplicate = get_post_or_404(question_id)
    require(isinstance(duplicate, Question) and can_moderate_post(current_user, duplicate))
    form = MergeForm()

    def merge_them():
        original = _question_from(form.original.data)
        if original is None:
            raise ValidationFailed(errors={"original": ["There is no question with that number or link."]})
        curation.merge_questions(current_user, duplicate, original, form.reason.data)
        return original

    original, refused = save_form(form, merge_them, lambda: moderation_page(duplicate, 400, merge_form=form),
                                  general_field="original")
    if refused:
        return refused
    flash("The answers were moved here; the old question's link now leads here.", "success")
    return redirect(question_url(original), 303)




@bp.get("/posts/<int:post_id>/reveal")
def reveal_form(post_id):
    post = get_post_or_404(post_id)
    require(can_reveal_author(current_user, post))
    g.private_page = True
    return render_template("curation/reveal.html", post=post, form=ReasonForm(formdata=None), author=None)


@bp.post("/posts/<int:post_id>/reveal")
@rerender_on_csrf_error
@staff_limit()
@recent_password_required
def reveal(post_id):
    post = get_post_or_404(post_id)
    require(can_reveal_author(current_user, post))
    g.private_page = True
    form = ReasonForm()
    author = None
    if form.validate_on_submit():
        try:
            author = curation.reveal_author(current_user, post, form.reason.data)
        except ValidationFailed as error:
            db.session.rollback()
            form.reason.errors = [error.errors.get("reason", [error.message])[0]]
        else:
            db.session.commit()
    status = 200 if author is not None else 400
    return render_template("curation/reveal.html", post=post, form=form, author=author), status
