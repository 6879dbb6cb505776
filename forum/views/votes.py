"""Voting on posts and choosing the best answer."""
from flask import Blueprint, abort, jsonify, redirect, request
from flask_login import current_user

from forum.extensions import db, limiter
from forum.forms import ConfirmForm
from forum.models import Answer, Post
from forum.permissions import can_select_answer, can_view_post, can_vote_on, require
from forum.services import selection, votes
from forum.services.errors import NotFound, PermissionDenied, ValidationFailed
from forum.views.answers import post_location
from forum.views.forms_util import client_ip, parse_id
from forum.views.limits import account_limit
from forum.views.questions import get_visible_question_or_404

bp = Blueprint("votes", __name__)


def wants_json():
    return request.accept_mimetypes.best == "application/json"


def _voter_key():
    # The member's id, not the session id: logging out everywhere starts no fresh budget.
    return f"member:{current_user.id}" if current_user.is_authenticated else client_ip()


@bp.post("/posts/<int:post_id>/vote")
@limiter.limit("15 per hour;40 per day", key_func=_voter_key, error_message="vote")
@limiter.limit("60 per hour;200 per day", key_func=client_ip, error_message="vote")
def vote(post_id):
    post = db.session.get(Post, post_id)
    if post is None or not can_view_post(current_user, post):
        abort(404)
    # A post whose question (or, for a comment, whose answer) is out of view is out of view too.
    get_visible_question_or_404(post.question_id or post.id)
    if post.type == "comment" and not can_view_post(current_user, db.session.get(Post, post.parent_id)):
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        value = votes.parse_value(request.form.get("value"))
    except ValidationFailed as error:
        abort(400, error.message)
    if not current_user.is_authenticated:
        abort(403, "Log in to vote: votes come from members.")
    if value != 0:
        require(can_vote_on(current_user, post, value))
    try:
        score, value = votes.cast_vote(current_user, post, value)
    except PermissionDenied as error:
        db.session.rollback()
        abort(403, error.message)
    except NotFound:
        db.session.rollback()
        abort(404)
    db.session.commit()
    if wants_json():
        return jsonify(score=score, vote={1: "up", -1: "down", 0: "none"}[value])
    return redirect(post_location(post), 303)


@bp.post("/questions/<int:question_id>/best-answer")
@account_limit()
def select_best(question_id):
    question = get_visible_question_or_404(question_id)
    require(can_select_answer(current_user, question))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    raw = request.form.get("answer_id", "")
    answer = None
    if raw != "none":
        answer_id = parse_id(raw)
        if answer_id is None:
            abort(400, "Choose an answer.")
        answer = db.session.get(Answer, answer_id)
        if answer is None or answer.question_id != question.id:
            abort(404)
    try:
        selection.select_answer(question, answer)
    except ValidationFailed as error:
        db.session.rollback()
        abort(400, error.message)
    db.session.commit()
    target = answer or question
    return redirect(post_location(target), 303)


