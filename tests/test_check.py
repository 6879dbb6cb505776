"""`flask forum check` finds every kind of drift in denormalised counters."""
from datetime import timedelta

import pytest
from sqlalchemy import update

from forum.extensions import db
from forum.models import Category, Post, Question, Tag
from forum.services import integrity
from tests.factories import make_answer, make_category, make_comment, make_question


@pytest.fixture
def thread(make_user):
    parent = make_category("Feelings")
    child = make_category("Worry", parent=parent)
    question = make_question(make_user(), category=child, tags="sleep")
    answer = make_answer(question, make_user())
    make_comment(answer, None)
    return question, answer, parent, child


def test_a_consistent_forum_passes(runner, thread):
    assert integrity.find_drift() == []
    result = runner.invoke(args=["forum", "check"])
    assert result.exit_code == 0 and "All counters match" in result.output


@pytest.mark.parametrize(
    "corrupt, expected",
    [
        (lambda q, a, p, c: update(Question).where(Question.id == q.id).values(answer_count=5), "answer_count of question"),
        (lambda q, a, p, c: update(Post).where(Post.id == a.id).values(comment_count=0), "comment_count of post"),
        (lambda q, a, p, c: update(Post).where(Post.id == a.id).values(score=3), "score of post"),
        (lambda q, a, p, c: update(Category).where(Category.id == p.id).values(question_count=0), "question_count of category"),
        (lambda q, a, p, c: update(Tag).values(question_count=9), "question_count of tag"),
        (lambda q, a, p, c: update(Question).where(Question.id == q.id).values(
            last_activity_at=q.created_at - timedelta(days=1)), "last_activity_at of question"),
    ],
)
def test_a_corrupted_counter_is_reported_and_fails_the_command(runner, thread, corrupt, expected):
    db.session.execute(corrupt(*thread))
    db.session.commit()
    drift = integrity.find_drift()
    assert any(line.startswith(expected) for line in drift), drift
    result = runner.invoke(args=["forum", "check"])
    assert result.exit_code == 1
    assert expected in result.output
