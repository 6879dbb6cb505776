"""The question page costs the same few queries however many answers it shows."""
import pytest

from forum.extensions import db
from forum.services import settings
from tests.factories import make_answer, make_category, make_comment, make_question

#: 12, plus one batched look-up of the authors' professional credentials (badges).
BUDGET = 13


def _thread(make_user, answers, category):
    asker = make_user()
    question = make_question(asker, category=category, tags="sleep anxiety grief")
    make_comment(question, None, guest_name="Visitor")
    for i in range(answers):
        author = make_user() if i % 2 else None
        answer = make_answer(question, author, body=f"Answer number {i}", guest_name=None if author else f"Guest {i}")
        for j in range(3):
            make_comment(answer, make_user() if j == 0 else None, body=f"Comment {j} on {i}")
    return question


@pytest.mark.parametrize("logged_in", [False, True], ids=["guest", "member"])
def test_question_page_query_count_does_not_grow_with_answers(client, auth, make_user, count_queries, logged_in):
    settings.update_settings(None, {"answers_per_page": 100})
    db.session.commit()
    category = make_category("Psychiatrists")
    small = _thread(make_user, 2, category)
    large = _thread(make_user, 60, category)
    if logged_in:
        auth.login(make_user("reader"))
    counts = {}
    for name, question in (("small", small), ("large", large)):
        url = f"/questions/{question.id}/how-can-i-sleep-better-at-night"
        client.get(url)  # warm anything cached per process
        with count_queries() as counter:
            response = client.get(url)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "Comment 2 on 1" in html
        counts[name] = counter.count
    assert counts["small"] == counts["large"], counts
    assert counts["large"] <= BUDGET, counts
