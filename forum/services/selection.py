"""The best answer: the asker (or a moderator) selects, changes or clears it."""
from sqlalchemy import select, update

from forum.extensions import db
from forum.models import Answer, Question
from forum.services import notifications, points
from forum.services.errors import ValidationFailed


def select_answer(question, answer):
    """Make ``answer`` the question's best answer (None clears it); return the answer.

    Selecting the current best answer again changes nothing.

    :raise ValidationFailed: when the answer belongs to another question or is not visible.
    """
    if answer is not None and (answer.question_id != question.id or answer.status != "visible"):
        raise ValidationFailed("That answer is not one of this question's answers.")
    db.session.execute(select(Question.id).where(Question.id == question.id).with_for_update(key_share=True))
    db.session.refresh(question, ["accepted_answer_id"])
    old_id = question.accepted_answer_id
    new_id = answer.id if answer is not None else None
    if old_id == new_id:
        return answer
    old = db.session.get(Answer, old_id) if old_id else None
    db.session.execute(update(Question).where(Question.id == question.id).values(accepted_answer_id=new_id))
    question.accepted_answer_id = new_id
    points.selection_changed(question, old, answer)
    db.session.flush()
    notifications.answer_selected(question, answer)
    return answer
