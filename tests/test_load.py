"""A bounded mixed load through a live server: no 5xx, and every acknowledged write is there.

30 seconds in CI (``CI=true``), a few seconds otherwise; ``bench/load_test.py`` runs the
same load for longer against any running forum.
"""
import importlib.util
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Answer, Vote
from forum.services import integrity
from tests.factories import make_answer, make_question
from tests.fixtures.users import PASSWORD

pytestmark = pytest.mark.slow
SECONDS = 30 if os.environ.get("CI") == "true" else 6


def _load_module():
    path = Path(__file__).resolve().parent.parent / "bench" / "load_test.py"
    spec = importlib.util.spec_from_file_location("bench_load_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_reading_voting_and_answering_at_once_loses_nothing(live_server, make_user):
    members = [make_user(f"loadmember{i}") for i in range(4)]
    questions = []
    for i in range(3):
        question = make_question(make_user(f"loadasker{i}"), title=f"How do I keep going on hard days, part {i}?")
        make_answer(question, make_user(f"loadhelper{i}"), body="Small steps, one at a time.")
        questions.append(question.id)
    db.session.commit()

    results = _load_module().run_load(live_server.url, SECONDS, [m.username for m in members], PASSWORD,
                                      questions, readers=3)

    assert results.errors == []
    assert results.server_errors == 0, results.statuses
    assert results.answers and results.votes, "the load wrote something"
    db.session.rollback()
    bodies = db.session.scalars(select(Answer.body).where(Answer.question_id.in_(questions))).all()
    missing = [marker for _, marker in results.answers if not any(marker in body for body in bodies)]
    assert missing == []
    ids = {m.username: m.id for m in members}
    cast = set(db.session.execute(select(Vote.voter_id, Vote.post_id).where(Vote.value == 1)).all())
    assert {(ids[name], post_id) for name, post_id in results.votes} <= cast
    assert integrity.find_drift() == []
