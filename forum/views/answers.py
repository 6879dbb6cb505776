"""Answering a question, commenting, and the stable /answers/<id> link."""
from flask import Blueprint, abort, redirect, render_template
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum.extensions import db, limiter
from forum.forms import AnswerForm, CommentForm
from forum.models import Answer, Post, Question
from forum.permissions import can_answer_question, can_comment_on, can_view_post, require
from forum.security import rerender_on_csrf_error
from forum.services import answers, comments, questions
from forum.services.errors import ValidationFailed
from forum.services.posting import DuplicateSubmission, Guest
from forum.urls import answer_url, post_anchor, question_url
from forum.views.forms_util import (
    apply_errors,
    client_ip,
    crisis_interstitial,
    flash_if_queued,
    remember_guest_post,
    wants_to_edit_again,
)
from forum.views.limits import by_trust
from forum.views.previews import is_preview, preview_for, wants_preview
from forum.views.questions import get_visible_question_or_404, new_token, render_show

bp = Blueprint("answers", __name__)


def _author():
    return current_user if current_user.is_authenticated else None


def _guest(form):
    return Guest(form.guest_name.data, form.guest_email.data)


@bp.post("/questions/<int:question_id>/answers")
@limiter.limit(by_trust(guest="5 per hour;20 per day", new="10 per hour;40 per day",
                        member="20 per hour;60 per day"), key_func=lambda: client_ip(),
               deduct_when=lambda response: not is_preview(response))
# The Preview button costs no posting slot; it has its own, looser allowance.
@limiter.limit("60 per hour", key_func=lambda: client_ip(), deduct_when=is_preview)
@rerender_on_csrf_error
def create(question_id):
    question = get_visible_question_or_404(question_id)
    require(can_answer_question(current_user, question))
    form = AnswerForm()
    if wants_preview():
        preview = preview_for(form, "answer")
        return render_show(question, answer_form=form, preview=preview, status=200 if preview is not None else 400)
    if not form.validate_on_submit():
        return render_show(question, answer_form=form, status=400)
    if wants_to_edit_again():
        return render_show(question, answer_form=form)
    if (page := crisis_interstitial(form, form.body.data)) is not None:
        return page
    try:
        answer = answers.post_answer(
            question, _author(), form.body.data, guest=_guest(form),
            token=form.submission_token.data, ip_address=client_ip(),
            content_warning=form.content_warning.data,
            anonymous=current_user.is_authenticated and bool(form.anonymous.data),
        )
    except DuplicateSubmission as duplicate:
        db.session.rollback()
        return redirect(answer_url(duplicate.post), 303)
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        return render_show(question, answer_form=form, status=400)
    db.session.commit()
    remember_guest_post(answer)
    flash_if_queued(answer)
    return redirect(answer_url(answer), 303)


def get_commentable_or_404(post_id):
    """Return the question or answer to comment on, and its question.

    :raise 404: when either is missing or not visible to the current user.
    """
    parent = db.session.scalar(
        select(Post).where(Post.id == post_id).options(joinedload(Post.author))
    )
    if parent is None or parent.type == "comment" or not can_view_post(current_user, parent):
        abort(404)
    question = get_visible_question_or_404(parent.question_id or parent.id)
    return parent, question


def render_comment_form(parent, question, form, status=200):
    if not form.submission_token.data:
        form.submission_token.data = new_token()
    return render_template("questions/comment.html", parent=parent, question=question,
                           form=form), status


@bp.get("/posts/<int:post_id>/comment")
def new_comment(post_id):
    parent, question = get_commentable_or_404(post_id)
    require(can_comment_on(current_user, parent))
    return render_comment_form(parent, question, CommentForm(formdata=None))


@bp.post("/posts/<int:post_id>/comments")
@limiter.limit(by_trust(guest="10 per hour;30 per day", new="15 per hour;50 per day",
                        member="30 per hour;100 per day"), key_func=lambda: client_ip())
@rerender_on_csrf_error
def comment(post_id):
    parent, question = get_commentable_or_404(post_id)
    require(can_comment_on(current_user, parent))
    form = CommentForm()
    if not form.validate_on_submit():
        return render_comment_form(parent, question, form, 400)
    if wants_to_edit_again():
        return render_comment_form(parent, question, form)
    if (page := crisis_interstitial(form, form.body.data)) is not None:
        return page
    try:
        new = comments.post_comment(
            parent, _author(), form.body.data, guest=_guest(form),
            token=form.submission_token.data, ip_address=client_ip(),
            content_warning=form.content_warning.data,
            anonymous=current_user.is_authenticated and bool(form.anonymous.data),
        )
    except DuplicateSubmission as duplicate:
        db.session.rollback()
        new = duplicate.post
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        return render_comment_form(parent, question, form, 400)
    else:
        db.session.commit()
        remember_guest_post(new)
        flash_if_queued(new)
    return redirect(post_location(new), 303)


def post_location(post):
    """Return the URL of the page and anchor where ``post`` is shown."""
    target = post if post.type != "comment" else db.session.get(Post, post.parent_id)
    if isinstance(target, Question):
        question, page = target, 1
    else:
        question, page = questions.answer_page(target)
    args = {"page": page} if page > 1 else {}
    return question_url(question, _anchor=post_anchor(post), **args)


@bp.get("/answers/<int:answer_id>")
def show(answer_id):
    """Redirect to the page and anchor of an answer, so old links never break."""
    answer = db.session.get(Answer, answer_id)
    if answer is None or not can_view_post(current_user, answer):
        abort(404)
    question = questions.get_question(answer.question_id)
    if question is None or not can_view_post(current_user, question):
        abort(404)
    # Not permanent: the page an answer sits on changes as votes come in.
    return redirect(post_location(answer), 302)
