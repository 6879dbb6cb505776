"""Moderators' actions on posts: hide, delete, close, merge; counters and points stay exact."""
from sqlalchemy import select, update

from forum.extensions import db
from forum.models import Answer, Post, Question, Vote, utcnow
from forum.services import audit, counters, points, row_locks, search
from forum.services.errors import ValidationFailed

CLOSE_REASONS = {
    "duplicate": "a duplicate of another question",
    "off-topic": "off-topic for this community",
    "needs-detail": "in need of more detail",
    "other": "closed for another reason",
}


def _clean_reason(reason, required=True):
    reason = " ".join((reason or "").split())[:300]
    if required and not reason:
        raise ValidationFailed("Give a reason.", errors={"reason": ["Give a reason; it goes in the audit log."]})
    return reason or None


def lock_post(post):
    """Lock the post's row (after its question's) and read it again, so votes racing with
    us wait or see our change."""
    row_locks.lock_thread_rows(post)
    db.session.refresh(post)


def affected_members(post):
    """Members whose points may move when ``post`` changes visibility."""
    ids = {post.author_id}
    ids.update(db.session.scalars(select(Vote.voter_id).where(Vote.post_id == post.id, Vote.voter_id.is_not(None))))
    if isinstance(post, Question) and post.accepted_answer_id:
        ids.add(db.session.scalar(select(Post.author_id).where(Post.id == post.accepted_answer_id)))
    if isinstance(post, Answer):
        ids.add(db.session.scalar(select(Post.author_id).where(Post.id == post.question_id)))
    return {i for i in ids if i is not None}


def refresh_after(post, members):
    """Recount what a change of ``post``'s visibility touches, then the members' points."""
    question_id = post.question_id or post.id
    counters.refresh_thread(question_id)
    # Members before categories and tags (README, "Row locks"): asking a question moves
    # its author's points and then its category's count.
    points.recompute(sorted(members))
    if isinstance(post, Question):
        counters.refresh_categories([post.category_id])
        counters.refresh_tags(counters.tag_ids_of(post.id))
    search.reindex_question(question_id)


def set_status(moderator, post, status, reason, action):
    """Move a post to ``status`` (visible, hidden or deleted), audited.

    :raise ValidationFailed: when it already has that status.
    """
    lock_post(post)
    if post.status == status:
        raise ValidationFailed(f"That post is already {status}.")
    reason = _clean_reason(reason, required=status != "visible")
    members = affected_members(post)
    old = post.status
    post.status = status
    if status == "visible":
        post.hidden_at = post.hidden_by_id = post.hidden_reason = None
    else:
        post.hidden_at, post.hidden_reason = utcnow(), reason
        post.hidden_by_id = moderator.id if moderator is not None else None
        if isinstance(post, Answer):
            _unselect_if_best(post)
    db.session.flush()
    refresh_after(post, members)
    audit.record(moderator, action, post=post, reason=reason, old_status=old, new_status=status)
    db.session.flush()


def _unselect_if_best(answer):
    """A hidden or deleted answer can't stay the best answer."""
    db.session.execute(
        update(Question).where(Question.accepted_answer_id == answer.id).values(accepted_answer_id=None)
    )


def hide_post(moderator, post, reason):
    set_status(moderator, post, "hidden", reason, "hide")


def unhide_post(moderator, post, reason=None):
    if post.status != "hidden":
        raise ValidationFailed("That post is not hidden.")
    set_status(moderator, post, "visible", reason, "unhide")


def delete_post(moderator, post, reason):
    set_status(moderator, post, "deleted", reason, "delete")


def undelete_post(moderator, post, reason=None):
    if post.status != "deleted" or post.merged_into_id:
        raise ValidationFailed("That post is not deleted (or was merged, which can't be undone here).")
    set_status(moderator, post, "visible", reason, "undelete")


def close_question(moderator, question, reason, note=None, duplicate_of=None):
    """Close a question to new answers, with a reason; duplicates link to their original.

    :raise ValidationFailed: when already closed, for an unknown reason, or a bad original.
    """
    if question.closed_at is not None:
        raise ValidationFailed("That question is already closed.")
    if reason not in CLOSE_REASONS:
        raise ValidationFailed("Choose a reason.", errors={"reason": ["Choose one of the reasons."]})
    if reason == "duplicate":
        if duplicate_of is None or duplicate_of.status != "visible":
            raise ValidationFailed("Name the original.", errors={"duplicate_of": ["Give the number or link of the original question."]})
        if duplicate_of.id == question.id:
            raise ValidationFailed("A question can't duplicate itself.", errors={"duplicate_of": ["A question can't be a duplicate of itself."]})
    question.closed_reason = reason
    question.closed_note = _clean_reason(note, required=False)
    question.closed_at = utcnow()
    question.closed_by_id = moderator.id
    question.duplicate_of_id = duplicate_of.id if reason == "duplicate" else None
    audit.record(moderator, "close", post=question, reason=question.closed_note or CLOSE_REASONS[reason],
                 close_reason=reason, duplicate_of=question.duplicate_of_id)
    db.session.flush()


def reopen_question(moderator, question, reason=None):
    if question.closed_at is None:
        raise ValidationFailed("That question is open.")
    old = question.closed_reason
    question.closed_reason = question.closed_note = question.closed_at = None
    question.closed_by_id = question.duplicate_of_id = None
    audit.record(moderator, "reopen", post=question, reason=_clean_reason(reason, required=False), was=old)
    db.session.flush()


def duplicates_of(question):
    """Return visible questions closed as duplicates of ``question``."""
    return list(db.session.scalars(
        select(Question).where(Question.duplicate_of_id == question.id, Question.status == "visible")
        .order_by(Question.created_at)
    ))


def merge_questions(moderator, duplicate, original, reason=None):
    """Move the duplicate's answers (with their comments) to the original.

    The duplicate is deleted and its URL leads to the original from then on.

    :raise ValidationFailed: when merging a question into itself or into a hidden one.
    """
    if duplicate.id == original.id:
        raise ValidationFailed("A question can't be merged into itself.",
                               errors={"original": ["Choose another question."]})
    # Both questions, in id order (README, "Row locks"), read again once locked: two
    # merges of the same pair in opposite directions wait for each other, and the second
    # then finds its original merged.
    row_locks.lock_rows(Post, [duplicate.id, original.id])
    db.session.refresh(duplicate)
    db.session.refresh(original)
    if original.status != "visible" or original.merged_into_id:
        raise ValidationFailed("Merge into a visible question.", errors={"original": ["That question is not visible."]})
    if duplicate.merged_into_id:
        raise ValidationFailed("That question was already merged.")
    members = affected_members(duplicate)
    answer_ids = list(db.session.scalars(select(Answer.id).where(Answer.question_id == duplicate.id)))
    if duplicate.accepted_answer_id:
        duplicate.accepted_answer_id = None
    if answer_ids:
        db.session.execute(update(Post).where(Post.id.in_(answer_ids)).values(question_id=original.id, parent_id=original.id))
        db.session.execute(update(Post).where(Post.type == "comment", Post.parent_id.in_(answer_ids))
                           .values(question_id=original.id))
    duplicate.status = "deleted"
    duplicate.merged_into_id = original.id
    duplicate.hidden_at, duplicate.hidden_by_id = utcnow(), moderator.id
    duplicate.hidden_reason = _clean_reason(reason, required=False) or f"Merged into question {original.id}"
    db.session.flush()
    refresh_after(duplicate, members)
    counters.refresh_thread(original.id)
    search.reindex_question(original.id)
    audit.record(moderator, "merge", post=duplicate, reason=duplicate.hidden_reason,
                 into=original.id, answers_moved=len(answer_ids))
    db.session.flush()


def reveal_author(moderator, post, reason):
    """Tell a moderator who wrote an anonymous post; only with a reason, always audited.

    :raise ValidationFailed: without a reason, or when the post is not anonymous.
    """
    if not post.is_anonymous or post.author_id is None:
        raise ValidationFailed("That post is not anonymous.")
    reason = _clean_reason(reason)
    from forum.models import User

    author = db.session.get(User, post.author_id)
    audit.record(moderator, "reveal", post=post, reason=reason)
    db.session.flush()
    return author
