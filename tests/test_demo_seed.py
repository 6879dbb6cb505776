"""`flask forum seed-demo`: the CounselChat demo, the built-in one, idempotency, privacy."""
import os
from pathlib import Path

import pytest
from sqlalchemy import String, Text, func, select

from forum.extensions import db
from forum.models import Answer, Question, User
from forum.services import demo, integrity

SHARED = Path(os.environ.get("FORUM_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")
CSV = SHARED / demo.COUNSELCHAT_CSV


def counts():
    return (db.session.scalar(select(func.count(Question.id))),
            db.session.scalar(select(func.count(Answer.id))),
            db.session.scalar(select(func.count(User.id))))


def test_the_builtin_demo_seeds_once(runner, app):
    app.config["FORUM_SHARED_DIR"] = "/nonexistent"
    result = runner.invoke(args=["forum", "seed-demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "builtin" in result.output
    first = counts()
    assert first[0] >= 10 and first[1] >= 10
    assert runner.invoke(args=["forum", "seed-demo", "--if-empty"]).exit_code == 0
    assert runner.invoke(args=["forum", "seed-demo"]).exit_code == 0
    assert counts() == first
    assert integrity.find_drift() == []


def test_demo_members_cannot_log_in(runner, app, client):
    app.config["FORUM_SHARED_DIR"] = "/nonexistent"
    runner.invoke(args=["forum", "seed-demo"])
    user = db.session.scalars(select(User)).first()
    assert user.password_hash is None and user.email is None
    response = client.post("/login", data={"username": user.username, "password": ""})
    assert response.status_code == 400


@pytest.mark.slow
@pytest.mark.skipif(not CSV.is_file(), reason=f"CounselChat data not found at {CSV}")
def test_counselchat_demo_is_complete_idempotent_and_holds_no_therapist_identity(runner, app, client):
    app.config["FORUM_SHARED_DIR"] = str(SHARED)
    result = runner.invoke(args=["forum", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert counts() == (824, 2009, 307)
    assert integrity.find_drift() == []
    # Re-running adds nothing twice.
    assert runner.invoke(args=["forum", "seed-demo"]).exit_code == 0
    assert counts() == (824, 2009, 307)

    from forum.demo.counselchat import iter_identity_strings

    identities = {s.lower() for s in iter_identity_strings(CSV)}
    assert len(identities) > 300
    text_parts = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, (String, Text))]
        if not columns:
            continue
        for row in db.session.execute(select(*columns)):
            text_parts.extend(value.lower() for value in row if value)
    everything = "\n".join(text_parts)
    leaked = sorted(s for s in identities if s in everything)
    assert leaked == []

    # The home page lists its questions by category; a question page renders.
    html = client.get("/").get_data(as_text=True)
    assert "Depression" in html or "Anxiety" in html or "Counseling fundamentals" in html
    question = db.session.scalars(select(Question).order_by(Question.answer_count.desc())).first()
    page = client.get(f"/questions/{question.id}", follow_redirects=True)
    assert page.status_code == 200 and question.title in page.get_data(as_text=True)
