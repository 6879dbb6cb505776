"""Answers: posting one, and keeping its question's counters right."""
from sqlalchemy import update

from forum.extensions import db
from forum.models import Answer, Question
from forum.services import notifications, posting, row_locks, search
from forum.services.questions import touch_activity


def post_answer(question, author, body, guest=None, token=None, ip_address=None, created_at=None,
                import_key=None, content_warning=None, anonymous=False):
    """Answer ``question``; return the answer.

    :raise ValidationFailed: with field errors (body, guest_name).
    :raise posting.DuplicateSubmission: when the form was already submitted.
    """
    errors = {}
    body = posting.clean_body("answer", body, errors)
    guest = posting.check_guest(author, guest, errors)
    content_warning = posting.clean_warning(content_warning, errors)
    posting.raise_if(errors)
    row_locks.lock_rows(Question, [question.id])  # before the answer points at it (README, "Row locks")
    answer = posting.new_post(
        Answer, author=author, guest=guest, body=body, token=token, ip_address=ip_address, content_warning=content_warning, anonymous=anonymous,
        question_id=question.id, parent_id=question.id, created_at=created_at, import_key=import_key,
    )
    if answer.status == "visible":
        db.session.execute(
            update(Question).where(Question.id == question.id)
            .values(answer_count=Question.answer_count + 1)
        )
        touch_activity(question.id, answer.created_at)
    search.add_answer(answer)
    db.session.flush()
    notifications.post_published(answer)
    return answer
