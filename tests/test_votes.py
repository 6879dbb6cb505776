"""Votes and best answers: the service rules, the views, the vote limit, and their points."""
import re
import time
from html import unescape
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from forum.extensions import db, limiter
from forum.models import Level, Post, User, Vote
from forum.services import integrity, points, selection, settings, votes
from forum.services.errors import PermissionDenied, ValidationFailed
from tests.factories import make_answer, make_comment, make_question

JSON = {"Accept": "application/json"}
SLUG = "how-can-i-sleep-better-at-night"

# Default scheme (multiple 10): answer voted up +20, question +10, casting +10,
# best answer +300 to its author, selecting one +30 to the asker.
CAST = 10
A_UP = 20
Q_UP = 10
A_SELECTED = 300
SELECT_A = 30


# --- Helpers -------------------------------------------------------------------------

@pytest.fixture
def thread(make_user):
    """A question by ``asker`` with two answers, and a ``voter`` who may vote up."""
    asker = make_user("asker")
    answerer = make_user("answerer")
    other = make_user("otheranswerer")
    voter = make_user("voter")
    question = make_question(asker)
    answer = make_answer(question, answerer, body="Keep a routine.")
    second = make_answer(question, other, body="Try reading before bed.")
    return SimpleNamespace(asker=asker, answerer=answerer, other=other, voter=voter,
                           question=question, answer=answer, second=second)


def vote(client, post_or_id, value, headers=None):
    post_id = post_or_id if isinstance(post_or_id, int) else post_or_id.id
    data = {} if value is None else {"value": value}
    return client.post(f"/posts/{post_id}/vote", data=data, headers=headers or {})


def select_best(client, question, answer_id):
    return client.post(f"/questions/{question.id}/best-answer", data={"answer_id": answer_id})


def state(post):
    """(score, ups, downs, vote rows) of a post, read from the database."""
    row = db.session.execute(
        select(Post.score, Post.upvote_count, Post.downvote_count).where(Post.id == post.id)
    ).one()
    rows = db.session.scalar(select(func.count(Vote.id)).where(Vote.post_id == post.id))
    return (*row, rows)


def points_of(user):
    return db.session.scalar(select(User.points).where(User.id == user.id))


def all_points():
    return dict(db.session.execute(select(User.id, User.points)).all())


def assert_consistent():
    assert points.find_mismatches() == []
    assert integrity.find_drift() == []


def question_page(client, question):
    response = client.get(f"/questions/{question.id}/{SLUG}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def vote_buttons(html, post):
    """{"up"|"down": aria-pressed} of the vote form of ``post`` on a page."""
    form = re.search(rf'action="/posts/{post.id}/vote">(.*?)</form>', html, re.S)
    assert form, f"no vote form for post {post.id}"
    buttons = {}
    for tag in re.findall(r"<button[^>]*>", form.group(1)):
        kind = re.search(r'class="vote-button (up|down)"', tag).group(1)
        buttons[kind] = re.search(r'aria-pressed="(true|false)"', tag).group(1)
    return buttons


# --- The service ---------------------------------------------------------------------

def test_service_votes_up_down_and_none(thread):
    voter, answer = thread.voter, thread.answer
    before = all_points()
    assert votes.cast_vote(voter, answer, 1) == (1, 1)
    db.session.commit()
    assert state(answer) == (1, 1, 0, 1)
    assert points_of(voter) == before[voter.id] + CAST
    assert points_of(thread.answerer) == before[thread.answerer.id] + A_UP
    assert_consistent()

    assert votes.cast_vote(voter, answer, -1) == (-1, -1)
    db.session.commit()
    assert state(answer) == (-1, 0, 1, 1)
    assert points_of(voter) == before[voter.id] + CAST  # casting a down vote earns the same 10
    assert points_of(thread.answerer) == before[thread.answerer.id] - A_UP
    assert_consistent()

    assert votes.cast_vote(voter, answer, 0) == (0, 0)
    db.session.commit()
    assert state(answer) == (0, 0, 0, 0)
    assert all_points() == before
    assert_consistent()


def test_service_repeating_a_vote_changes_nothing(thread):
    votes.cast_vote(thread.voter, thread.answer, 1)
    db.session.commit()
    after_first = all_points()
    assert votes.cast_vote(thread.voter, thread.answer, 1) == (1, 1)
    db.session.commit()
    assert state(thread.answer) == (1, 1, 0, 1)
    assert all_points() == after_first
    assert votes.cast_vote(thread.voter, thread.second, 0) == (0, 0)  # "none" without a vote
    db.session.commit()
    assert state(thread.second) == (0, 0, 0, 0)
    assert all_points() == after_first
    assert_consistent()


def test_service_refuses_a_vote_on_ones_own_post(thread):
    before = all_points()
    with pytest.raises(PermissionDenied):
        votes.cast_vote(thread.answerer, thread.answer, 1)
    db.session.rollback()
    assert state(thread.answer) == (0, 0, 0, 0)
    assert all_points() == before


@pytest.mark.parametrize("raw", ["sideways", "", None, "UP", " up", 1])
def test_parse_value_accepts_only_up_down_none(raw):
    with pytest.raises(ValidationFailed):
        votes.parse_value(raw)


def test_parse_value():
    assert [votes.parse_value(v) for v in ("up", "down", "none")] == [1, -1, 0]


def test_imported_votes_move_score_and_the_authors_points_only(thread):
    before = all_points()
    votes.add_imported_votes(thread.answer, 3, 1, source="counselchat")
    db.session.commit()
    assert state(thread.answer) == (2, 3, 1, 4)
    assert points_of(thread.answerer) == before[thread.answerer.id] + 3 * A_UP - A_UP
    assert {uid: p for uid, p in all_points().items() if uid != thread.answerer.id} == {
        uid: p for uid, p in before.items() if uid != thread.answerer.id}
    assert votes.current_vote(thread.voter, thread.answer) == 0
    assert_consistent()


# --- The view ------------------------------------------------------------------------

def test_member_votes_up_down_and_none_through_the_view(client, auth, thread):
    auth.login(thread.voter)
    response = vote(client, thread.answer, "up")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/questions/{thread.question.id}/{SLUG}#a{thread.answer.id}")
    assert state(thread.answer) == (1, 1, 0, 1)

    db.session.execute(update(User).where(User.id == thread.voter.id).values(level=Level.EXPERT))
    db.session.commit()
    assert vote(client, thread.answer, "down").status_code == 303
    assert state(thread.answer) == (-1, 0, 1, 1)  # up -> down moves the score by 2
    assert vote(client, thread.answer, "up").status_code == 303
    assert state(thread.answer) == (1, 1, 0, 1)  # and back
    assert vote(client, thread.answer, "none").status_code == 303
    assert state(thread.answer) == (0, 0, 0, 0)
    assert_consistent()


def test_repeating_the_same_vote_is_a_harmless_success(client, auth, thread):
    auth.login(thread.voter)
    first = vote(client, thread.question, "up")
    after_first = all_points()
    second = vote(client, thread.question, "up")
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert state(thread.question) == (1, 1, 0, 1)
    assert all_points() == after_first
    followed = client.get(second.headers["Location"])
    assert followed.status_code == 200
    assert "You can't do that here" not in followed.get_data(as_text=True)
    # JSON too: the same answer twice.
    assert vote(client, thread.question, "up", JSON).get_json() == {"score": 1, "vote": "up"}
    assert_consistent()


def test_voting_on_ones_own_post_is_refused(client, auth, thread):
    auth.login(thread.answerer)
    before = all_points()
    response = vote(client, thread.answer, "up")
    assert response.status_code == 403
    assert state(thread.answer) == (0, 0, 0, 0)
    assert all_points() == before
    # "none" skips the privilege check in the view; the service still refuses.
    assert vote(client, thread.answer, "none").status_code == 403
    assert state(thread.answer) == (0, 0, 0, 0)


@pytest.mark.parametrize("value", ["up", "down", "none"])
def test_guests_cannot_vote(client, thread, value):
    response = vote(client, thread.answer, value)
    assert response.status_code == 403
    assert "Log in to vote" in response.get_data(as_text=True)
    assert state(thread.answer) == (0, 0, 0, 0)
    response = vote(client, thread.answer, value, JSON)
    assert response.status_code == 403
    assert response.get_json() == {"error": "Log in to vote: votes come from members."}


@pytest.mark.parametrize("value", ["sideways", "", None, "UP", "1", "up "])
def test_invalid_values_are_refused_and_change_nothing(client, auth, thread, value):
    auth.login(thread.voter)
    assert vote(client, thread.answer, "up").status_code == 303
    before = all_points()
    response = vote(client, thread.answer, value)
    assert response.status_code == 400
    assert state(thread.answer) == (1, 1, 0, 1)
    assert all_points() == before


def test_a_missing_post_is_404(client, auth, thread):
    auth.login(thread.voter)
    missing = db.session.scalar(select(func.max(Post.id))) + 1000
    assert vote(client, missing, "up").status_code == 404
    assert db.session.scalar(select(func.count(Vote.id))) == 0


def test_a_hidden_post_is_404_for_a_member(client, auth, thread):
    db.session.execute(update(Post).where(Post.id == thread.answer.id).values(status="hidden"))
    db.session.commit()
    auth.login(thread.voter)
    before = all_points()
    for value in ("up", "down", "none"):
        assert vote(client, thread.answer, value).status_code == 404
    assert state(thread.answer) == (0, 0, 0, 0)
    assert all_points() == before


@pytest.mark.parametrize("hidden", ["question", "answer"])
def test_a_post_in_a_hidden_thread_is_404(client, auth, thread, hidden):
    """An answer of a hidden question, or a comment of a hidden answer, is out of view too."""
    settings.update_settings(None, {"comment_votes": True})
    comment = make_comment(thread.answer, thread.answerer, body="A note on my answer.")
    db.session.execute(update(Post).where(Post.id == getattr(thread, hidden).id).values(status="hidden"))
    db.session.commit()
    target = thread.answer if hidden == "question" else comment
    auth.login(thread.voter)
    before = all_points()
    if hidden == "question":
        assert client.get(f"/answers/{thread.answer.id}").status_code == 404  # the answer is out of sight
    assert vote(client, target, "up").status_code == 404
    assert state(target) == (0, 0, 0, 0)
    assert all_points() == before


def test_down_votes_need_the_privilege(client, auth, thread, make_user):
    basic = make_user("basicvoter", level=Level.BASIC, points=100)
    auth.login(basic)
    assert vote(client, thread.answer, "down").status_code == 403
    assert state(thread.answer) == (0, 0, 0, 0)
    assert points_of(basic) == 100
    assert vote(client, thread.answer, "up").status_code == 303  # up needs only 100 points

    expert = make_user("expertvoter", level=Level.EXPERT, points=100)
    auth.logout()
    auth.login(expert)
    assert vote(client, thread.answer, "down").status_code == 303
    assert state(thread.answer) == (0, 1, 1, 2)

    by_points = make_user("richvoter", level=Level.BASIC, points=500)
    auth.logout()
    auth.login(by_points)
    assert vote(client, thread.question, "down").status_code == 303
    assert state(thread.question) == (-1, 0, 1, 1)
    # Only the 500 points given by the factory differ from the formula; the cast moved them by 10.
    assert points.find_mismatches() == [(by_points.id, "richvoter", 510, 100 + CAST)]


def test_up_votes_need_the_privilege(client, auth, thread, make_user):
    poor = make_user("poorvoter", level=Level.BASIC, points=99)
    auth.login(poor)
    assert vote(client, thread.answer, "up").status_code == 403
    assert state(thread.answer) == (0, 0, 0, 0)
    approved = make_user("approvedvoter", level=Level.APPROVED, points=0)
    auth.logout()
    auth.login(approved)
    assert vote(client, thread.answer, "up").status_code == 303


def test_json_response_shape(client, auth, thread):
    auth.login(thread.voter)
    response = vote(client, thread.answer, "up", JSON)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == {"score": 1, "vote": "up"}
    assert vote(client, thread.answer, "none", JSON).get_json() == {"score": 0, "vote": "none"}
    response = vote(client, thread.answer, "sideways", JSON)
    assert response.status_code == 400
    assert set(response.get_json()) == {"error"}
    response = vote(client, thread.answer, "down", JSON)  # no down-vote privilege
    assert response.status_code == 403
    assert set(response.get_json()) == {"error"}


def test_comment_votes_are_refused_unless_switched_on(client, auth, thread):
    comment = make_comment(thread.answer, thread.answerer, body="Thanks for asking.")
    auth.login(thread.voter)
    before = all_points()
    assert vote(client, comment, "up").status_code == 403
    assert state(comment) == (0, 0, 0, 0)

    settings.update_settings(None, {"comment_votes": True})
    db.session.commit()
    assert vote(client, comment, "up").status_code == 303
    assert state(comment) == (1, 1, 0, 1)
    assert all_points() == before  # comment votes are worth no points
    db.session.execute(update(User).where(User.id == thread.voter.id).values(level=Level.EXPERT))
    db.session.commit()
    assert vote(client, comment, "down").status_code == 403  # only up votes on comments
    assert state(comment) == (1, 1, 0, 1)
    assert vote(client, comment, "none").status_code == 303
    assert state(comment) == (0, 0, 0, 0)
    assert_consistent()


def test_the_page_marks_the_viewers_vote_at_the_same_query_cost(app, client, auth, thread, count_queries):
    app.config["THREAD_CACHE_ENABLED"] = False  # the render itself, not a cached member view
    db.session.execute(update(User).where(User.id == thread.voter.id).values(level=Level.EXPERT))
    db.session.commit()
    auth.login(thread.voter)
    question_page(client, thread.question)  # warm per-process caches
    with count_queries() as without_votes:
        html = question_page(client, thread.question)
    for post in (thread.question, thread.answer, thread.second):
        assert vote_buttons(html, post) == {"up": "false", "down": "false"}

    assert vote(client, thread.question, "up").status_code == 303
    assert vote(client, thread.answer, "down").status_code == 303
    question_page(client, thread.question)  # settings are read again once after a write
    with count_queries() as with_votes:
        html = question_page(client, thread.question)
    assert vote_buttons(html, thread.question) == {"up": "true", "down": "false"}
    assert vote_buttons(html, thread.answer) == {"up": "false", "down": "true"}
    assert vote_buttons(html, thread.second) == {"up": "false", "down": "false"}
    # A pressed button takes the vote back.
    form = re.search(rf'action="/posts/{thread.question.id}/vote">(.*?)</form>', html, re.S).group(1)
    assert re.search(r'class="vote-button up"[^>]*value="none"', form)
    assert with_votes.count == without_votes.count, (without_votes.statements, with_votes.statements)

    # Someone else's votes mark nothing for this viewer.
    auth.logout()
    html = question_page(client, thread.question)
    assert 'aria-pressed="true"' not in html


# --- The vote limit ------------------------------------------------------------------

class Clock:
    """Stands in for the ``time`` module of the limiter's memory storage."""

    def __init__(self):
        self.offset = 0.0

    def time(self):
        return time.time() + self.offset


@pytest.fixture
def limiter_clock(app, monkeypatch):
    import limits.storage.memory

    if not isinstance(limiter.storage, limits.storage.memory.MemoryStorage):
        pytest.skip("the limiter's clock is only movable with memory:// storage")
    clock = Clock()
    monkeypatch.setattr(limits.storage.memory, "time", clock)
    return clock


LIMIT_MESSAGE = "You've voted a lot in a short while."


@pytest.mark.ratelimit
def test_the_41st_vote_in_a_day_is_refused_with_a_human_message(client, auth, thread, limiter_clock):
    """40 votes a day per member; the hourly limit (15) is stepped over by moving the clock."""
    auth.login(thread.voter)
    statuses = []
    for i in range(40):
        if i and i % 15 == 0:
            limiter_clock.offset += 3601  # the next hour, same day
        statuses.append(vote(client, thread.answer, "up" if i % 2 == 0 else "none").status_code)
    assert statuses == [303] * 40
    assert state(thread.answer) == (0, 0, 0, 0)  # an even number of alternating votes

    limiter_clock.offset += 3601
    response = vote(client, thread.answer, "up")
    assert response.status_code == 429
    html = unescape(response.get_data(as_text=True))
    assert LIMIT_MESSAGE in html and "Slow down a little" in html
    assert state(thread.answer) == (0, 0, 0, 0)
    response = vote(client, thread.answer, "up", JSON)
    assert response.status_code == 429
    assert response.get_json()["error"].startswith(LIMIT_MESSAGE)

    limiter_clock.offset += 24 * 3600  # the next day
    assert vote(client, thread.answer, "up").status_code == 303
    assert state(thread.answer) == (1, 1, 0, 1)
    assert_consistent()


@pytest.mark.ratelimit
def test_the_16th_vote_in_an_hour_is_refused(client, auth, thread, limiter_clock):
    auth.login(thread.voter)
    statuses = [vote(client, thread.answer, "up" if i % 2 == 0 else "none").status_code
                for i in range(16)]
    assert statuses == [303] * 15 + [429]
    assert state(thread.answer) == (1, 1, 0, 1)  # 15 alternating votes end "up"
    assert LIMIT_MESSAGE in unescape(vote(client, thread.answer, "none").get_data(as_text=True))


@pytest.mark.ratelimit
def test_the_member_limit_survives_logging_out_everywhere(client, auth, thread, limiter_clock):
    """The limit is the member's, not the session's: a new session epoch is no new budget."""
    auth.login(thread.voter)
    for i in range(15):
        vote(client, thread.answer, "up" if i % 2 == 0 else "none")
    assert vote(client, thread.answer, "none").status_code == 429
    assert client.post("/account/logout-everywhere").status_code == 302
    auth.login(thread.voter)
    assert vote(client, thread.answer, "none").status_code == 429


# --- Best answers --------------------------------------------------------------------

def answer_order(html, *answers):
    return sorted(answers, key=lambda a: html.index(f'id="a{a.id}"'))


def test_the_asker_selects_changes_and_clears_the_best_answer(client, auth, thread):
    votes.cast_vote(thread.voter, thread.answer, 1)  # the first answer leads on score
    db.session.commit()
    before = all_points()
    auth.login(thread.asker)

    response = select_best(client, thread.question, thread.second.id)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"#a{thread.second.id}")
    assert db.session.get(Post, thread.question.id).accepted_answer_id == thread.second.id
    html = question_page(client, thread.question)
    assert answer_order(html, thread.answer, thread.second) == [thread.second, thread.answer]
    best = html.split(f'id="a{thread.second.id}"', 1)[1].split("</article>", 1)[0]
    assert "Best answer" in best
    assert html.count(">Best answer<") == 1
    assert points_of(thread.other) == before[thread.other.id] + A_SELECTED
    assert points_of(thread.asker) == before[thread.asker.id] + SELECT_A
    assert_consistent()

    assert select_best(client, thread.question, thread.answer.id).status_code == 303
    assert db.session.get(Post, thread.question.id).accepted_answer_id == thread.answer.id
    html = question_page(client, thread.question)
    assert answer_order(html, thread.answer, thread.second) == [thread.answer, thread.second]
    assert points_of(thread.other) == before[thread.other.id]
    assert points_of(thread.answerer) == before[thread.answerer.id] + A_SELECTED
    assert points_of(thread.asker) == before[thread.asker.id] + SELECT_A
    assert_consistent()

    # Selecting the same answer again changes nothing.
    assert select_best(client, thread.question, thread.answer.id).status_code == 303
    assert points_of(thread.answerer) == before[thread.answerer.id] + A_SELECTED

    response = select_best(client, thread.question, "none")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"#q{thread.question.id}")
    assert db.session.get(Post, thread.question.id).accepted_answer_id is None
    assert ">Best answer<" not in question_page(client, thread.question)
    assert all_points() == before
    assert_consistent()


def test_a_moderator_may_select_the_best_answer(client, auth, thread, moderator):
    before = all_points()
    auth.login(moderator)
    assert select_best(client, thread.question, thread.answer.id).status_code == 303
    assert db.session.get(Post, thread.question.id).accepted_answer_id == thread.answer.id
    assert points_of(thread.answerer) == before[thread.answerer.id] + A_SELECTED
    assert points_of(thread.asker) == before[thread.asker.id] + SELECT_A  # it is the asker's question
    assert points_of(moderator) == before[moderator.id]
    assert_consistent()


def test_another_member_cannot_select(client, auth, thread):
    auth.login(thread.voter)
    assert select_best(client, thread.question, thread.answer.id).status_code == 403
    assert db.session.get(Post, thread.question.id).accepted_answer_id is None
    auth.logout()
    assert select_best(client, thread.question, thread.answer.id).status_code == 403  # a guest


def test_an_answer_of_another_question_is_404(client, auth, thread):
    elsewhere = make_question(thread.voter, title="Why do I wake up so early?")
    foreign = make_answer(elsewhere, thread.answerer)
    auth.login(thread.asker)
    assert select_best(client, thread.question, foreign.id).status_code == 404
    assert select_best(client, thread.question, "987654321").status_code == 404
    assert db.session.get(Post, thread.question.id).accepted_answer_id is None
    with pytest.raises(ValidationFailed):
        selection.select_answer(thread.question, foreign)
    db.session.rollback()


@pytest.mark.parametrize("raw", ["abc", "", "-1", "0", "1.5", "²"])
def test_a_malformed_answer_id_is_400(client, auth, thread, raw):
    auth.login(thread.asker)
    assert select_best(client, thread.question, raw).status_code == 400
    assert db.session.get(Post, thread.question.id).accepted_answer_id is None


def test_selecting_ones_own_answer_earns_only_the_selection(client, auth, thread):
    own = make_answer(thread.question, thread.asker, body="I found my own way.")
    before = all_points()
    auth.login(thread.asker)
    assert select_best(client, thread.question, own.id).status_code == 303
    assert points_of(thread.asker) == before[thread.asker.id] + SELECT_A
    assert_consistent()
    assert select_best(client, thread.question, "none").status_code == 303
    assert all_points() == before
    assert_consistent()


def test_a_hidden_answer_cannot_be_selected(client, auth, thread):
    db.session.execute(update(Post).where(Post.id == thread.answer.id).values(status="hidden"))
    db.session.commit()
    auth.login(thread.asker)
    assert select_best(client, thread.question, thread.answer.id).status_code == 400
    assert db.session.get(Post, thread.question.id).accepted_answer_id is None
