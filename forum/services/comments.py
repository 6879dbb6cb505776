"""Comments on questions and answers."""
from sqlalchemy import update

from forum.extensions import db
from forum.models import Comment, Post
from forum.services import notifications, posting, row_locks
from forum.services.questions import touch_activity


def post_comment(parent, author, body, guest=None, token=None, ip_address=None, created_at=None, content_warning=None, anonymous=False):
    """Comment on a question or an answer; return the comment.

    :raise ValidationFailed: with field errors (body, guest_name).
    :raise posting.DuplicateSubmission: when the form was already submitted.
    """
    errors = {}
    body = posting.clean_body("comment", body, errors)
    guest = posting.check_guest(author, guest, errors)
    content_warning = posting.clean_warning(content_warning, errors)
    posting.raise_if(errors)
    question_id = parent.question_id or parent.id
    row_locks.lock_thread_rows(parent)  # before the comment points at them (README, "Row locks")
    comment = posting.new_post(
        Comment, author=author, guest=guest, body=body, token=token, ip_address=ip_address, content_warning=content_warning, anonymous=anonymous,
        question_id=question_id, parent_id=parent.id, created_at=created_at,
    )
    if comment.status == "visible":
        db.session.execute(
            update(Post).where(Post.id == parent.id).values(comment_count=Post.comment_count + 1)
        )
        touch_activity(question_id, comment.created_at)
    db.session.flush()
    notifications.post_published(comment)
    return comment
