"""Editing posts and their revision history: diff, rollback, redaction."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from forum.extensions import db, limiter
from forum.forms import EditForm, ReasonForm
from forum.models import Post, Question
from forum.permissions import (
    can_edit_post,
    can_moderate_post,
    can_retag_question,
    can_view_history,
    can_view_post,
    can_view_redacted,
    require,
)
from forum.security import rerender_on_csrf_error
from forum.services import categories, diffs, editing
from forum.services.errors import ValidationFailed
from forum.views.answers import post_location
from forum.views.forms_util import (
    apply_errors,
    client_ip,
    crisis_interstitial,
    parse_id,
    wants_to_edit_again,
)
from forum.views.limits import staff_limit

bp = Blueprint("edits", __name__)


def get_post_or_404(post_id):
    """Return the post, with its author (and tags for questions), if the user may see it.

    :raise 404: when missing or not visible to the current user.
    """
    post = db.session.scalar(
        select(Post).where(Post.id == post_id).options(joinedload(Post.author), joinedload(Post.edited_by))
    )
    if isinstance(post, Question):
        db.session.scalar(select(Question).where(Question.id == post.id).options(selectinload(Question.tags)))
    if post is None or not can_view_post(current_user, post):
        abort(404)
    return post


def _edit_form(post, formdata=True):
    form = EditForm() if formdata else EditForm(formdata=None)
    form.category.choices = [("", "Choose a category")] + [(str(i), label) for i, label in categories.choices()]
    if not formdata:
        form.title.data = post.title
        form.body.data = post.body
        if isinstance(post, Question):
            form.tags.data = " ".join(tag.name for tag in post.tags)
            form.category.data = str(post.category_id or "")
    return form


def _render_edit(post, form, status=200):
    return render_template("edits/edit.html", post=post, form=form,
                           may_edit_text=can_edit_post(current_user, post),
                           may_moderate=can_moderate_post(current_user, post)), status


@bp.get("/posts/<int:post_id>/edit")
def edit(post_id):
    post = get_post_or_404(post_id)
    require(can_edit_post(current_user, post) or can_retag_question(current_user, post))
    return _render_edit(post, _edit_form(post, formdata=False))


@bp.post("/posts/<int:post_id>/edit")
@limiter.limit("30 per hour", key_func=lambda: client_ip())
@rerender_on_csrf_error
def update(post_id):
    post = get_post_or_404(post_id)
    may_edit = can_edit_post(current_user, post)
    require(may_edit or can_retag_question(current_user, post))
    form = _edit_form(post)
    if not form.validate_on_submit():
        return _render_edit(post, form, 400)
    is_question = isinstance(post, Question)
    category = None
    if is_question and form.category.data:
        category = categories.by_id().get(parse_id(form.category.data))
        if category is None:
            form.category.errors = ["Choose one of the listed categories."]
            return _render_edit(post, form, 400)
    silent = bool(form.silent.data) and can_moderate_post(current_user, post)
    if wants_to_edit_again():
        return _render_edit(post, form)
    if may_edit and (page := crisis_interstitial(form, form.title.data or "", form.body.data or "")):
        return page
    try:
        editing.edit_post(
            current_user, post,
            title=form.title.data if is_question and may_edit else None,
            body=form.body.data if may_edit else None,
            tag_text=form.tags.data if is_question else None,
            category=category, change_category=is_question and bool(categories.all_categories()),
            reason=form.reason.data, silent=silent,
        )
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        if not error.errors:
            form.body.errors = [error.message]
        if not may_edit:
            # The text fields are not shown to someone who may only retag.
            form.tags.errors = list(form.tags.errors) + list(form.body.errors) + list(form.title.errors)
        return _render_edit(post, form, 400)
    db.session.commit()
    flash("Your edit is saved." if not silent else "Saved silently.", "success")
    return redirect(post_location(post), 303)


def _visible_revisions(post):
    """The revisions this viewer may read, each with a diff against the last one they may read."""
    all_revisions = editing.revisions_of(post)
    moderator = can_view_redacted(current_user)
    shown, previous = [], None
    for revision in all_revisions:
        if revision.is_redacted and not moderator:
            shown.append({"revision": revision, "redacted": True})
            continue
        entry = {"revision": revision, "redacted": False,
                 "body_diff": diffs.word_diff(previous.body if previous else "", revision.body),
                 "title_diff": diffs.word_diff(previous.title or "" if previous else "", revision.title or "")
                 if revision.title is not None else None,
                 "tags_changed": previous is not None and previous.tags != revision.tags,
                 "previous": previous}
        shown.append(entry)
        previous = revision
    return list(reversed(shown))


@bp.get("/posts/<int:post_id>/revisions")
def history(post_id):
    post = get_post_or_404(post_id)
    require(can_view_history(current_user, post))
    return render_template("edits/history.html", post=post, entries=_visible_revisions(post),
                           reason_form=ReasonForm(formdata=None),
                           may_moderate=can_moderate_post(current_user, post),
                           latest=max((r.number for r in editing.revisions_of(post)), default=1))


def _revision_or_404(post, number):
    revision = editing.get_revision(post, number)
    if revision is None:
        abort(404)
    return revision


def _revision_step(post_id, number, act, done):
    """Roll back to or redact a revision: moderators only, a reason, back to the history."""
    post = get_post_or_404(post_id)
    require(can_moderate_post(current_user, post))
    revision = _revision_or_404(post, number)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400, "The reason is too long or holds characters that aren't allowed.")
    try:
        act(current_user, post, revision, form.reason.data)
    except ValidationFailed as error:
        db.session.rollback()
        messages = [m for field in error.errors.values() for m in field]
        flash(messages[0] if messages else error.message or "Nothing was changed.", "error")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for("edits.history", post_id=post.id), 303)


@bp.post("/posts/<int:post_id>/revisions/<int:number>/rollback")
@staff_limit()
def rollback(post_id, number):
    return _revision_step(post_id, number, editing.rollback_to, f"Rolled back to revision {number}.")


@bp.post("/posts/<int:post_id>/revisions/<int:number>/redact")
@staff_limit()
def redact(post_id, number):
    return _revision_step(post_id, number, editing.redact_revision,
                          f"Revision {number} is now visible to moderators only.")
