"""Votes that really overlap, through the live server: nothing lost, nothing doubled.

Runs on whichever database the suite uses (SQLite by default, PostgreSQL with
FORUM_TEST_DATABASE_URL). Every member logs in through the real login form and votes
with a real CSRF token; the requests start together behind a barrier, and a WSGI
middleware proves that at least two of them were being served at the same time.
"""
import json
import re
import threading
import time

import pytest
from sqlalchemy import func, select, text, update

from forum.extensions import db
from forum.models import Level, Post, Question, User, Vote
from forum.services import integrity, points, votes
from forum.services.errors import NotFound
from forum.text import slugify
from tests.factories import make_answer, make_question
from tests.fixtures.live import Browserless, csrf_token
from tests.fixtures.users import PASSWORD

THREADS = 20


class InFlight:
    """WSGI middleware: how many vote requests were being served at once, at most."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.lock = threading.Lock()
        self.current = 0
        self.max = 0
        self.seen = 0

    def __call__(self, environ, start_response):
        counted = environ.get("PATH_INFO", "").endswith("/vote")
        if counted:
            with self.lock:
                self.current += 1
                self.seen += 1
                self.max = max(self.max, self.current)
        try:
            return self.wsgi_app(environ, start_response)  # Flask has built the whole response here
        finally:
            if counted:
                with self.lock:
                    self.current -= 1


@pytest.fixture
def in_flight(live_server):
    meter = InFlight(live_server.app.wsgi_app)
    live_server.app.wsgi_app = meter
    yield meter
    live_server.app.wsgi_app = meter.wsgi_app


@pytest.fixture
def served_app_settings(live_server):
    """The live server's app is built like the test app: vote limits off."""
    config = live_server.app.config
    assert config["RATELIMIT_ENABLED"] is False
    assert config["WTF_CSRF_ENABLED"] is True
    return config


@pytest.fixture
def thread(make_user):
    asker = make_user("asker")
    answerer = make_user("answerer")
    question = make_question(asker)
    answer = make_answer(question, answerer)
    return question, answer, answerer


def log_in(live_server, user):
    client = Browserless(live_server.url)
    _, html = client.get("/login")
    status, body = client.post("/login", {"csrf_token": csrf_token(html), "username": user.username,
                                          "password": PASSWORD})
    assert status == 302, body[:500]
    return client


def vote_token(client, question, answer):
    """A fresh token from the vote form of ``answer`` on the question page."""
    status, html = client.get(f"/questions/{question.id}/{slugify(question.title)}")
    assert status == 200
    form = re.search(rf'<form[^>]*action="/posts/{answer.id}/vote">.*?</form>', html, re.S)
    assert form, "no vote form on the page"
    return csrf_token(form.group(0))


def all_at_once(calls):
    """Run the calls in threads released together; return their results (or exceptions)."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = calls[i]()
        except Exception as error:  # noqa: BLE001 - reported by the test, not lost in a thread
            results[i] = error

    db.session.rollback()  # the test's session holds no transaction while the server writes
    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request never finished"
    db.session.rollback()  # and reads what they committed
    return results


def statuses(results):
    return [r[0] if isinstance(r, tuple) else repr(r) for r in results]


def bodies(results):
    return json.dumps([r[1][:300] if isinstance(r, tuple) else repr(r) for r in results])


def score_of(post):
    return db.session.execute(
        select(Post.score, Post.upvote_count, Post.downvote_count).where(Post.id == post.id)).one()


def assert_consistent():
    assert points.find_mismatches() == []
    assert integrity.find_drift() == []


def test_the_same_up_vote_twenty_times_at_once_counts_once(
        live_server, served_app_settings, in_flight, thread, make_user):
    question, answer, answerer = thread
    member = make_user("clicker")
    client = log_in(live_server, member)
    token, path = vote_token(client, question, answer), f"/posts/{answer.id}/vote"

    results = all_at_once([lambda: client.post(path, {"csrf_token": token, "value": "up"})
                           for _ in range(THREADS)])

    assert statuses(results) == [303] * THREADS, bodies(results)
    assert db.session.scalar(select(func.count(Vote.id)).where(
        Vote.voter_id == member.id, Vote.post_id == answer.id)) == 1
    assert tuple(score_of(answer)) == (1, 1, 0)
    assert db.session.scalar(select(User.points).where(User.id == member.id)) == 100 + 10
    assert db.session.scalar(select(User.points).where(User.id == answerer.id)) == 100 + 40 + 20
    assert_consistent()
    assert in_flight.seen == THREADS
    assert in_flight.max >= 2, "the requests did not overlap"


def test_the_same_json_vote_twenty_times_at_once(
        live_server, served_app_settings, in_flight, thread, make_user, is_postgres):
    question, answer, _ = thread
    member = make_user("clicker")
    client = log_in(live_server, member)
    token, path = vote_token(client, question, answer), f"/posts/{answer.id}/vote"

    results = all_at_once([
        lambda: client.post(path, {"csrf_token": token, "value": "up"}, headers={"Accept": "application/json"})
        for _ in range(THREADS)])

    assert statuses(results) == [200] * THREADS, bodies(results)
    answers = [json.loads(body) for _, body in results]
    assert {a["vote"] for a in answers} == {"up"}
    assert tuple(score_of(answer)) == (1, 1, 0)
    assert_consistent()
    assert in_flight.max >= 2
    if not is_postgres:  # SQLite runs the requests one after another: every answer is exact
        assert {a["score"] for a in answers} == {1}
    # On PostgreSQL a racing repeat may report a stale score: see the test below.


def in_order(app, is_postgres, first, second):
    """Run ``first`` in one session and keep its transaction (and locks) open; run ``second`` in
    another, which reads and then waits for those locks; commit ``first``; finish ``second``.

    Returns what ``second`` returned. On SQLite the second session waits at its first
    statement (BEGIN IMMEDIATE), so it reads only after the first committed.
    """
    holding = threading.Event()
    outcome = {}

    def run_first():
        with app.app_context():
            try:
                first()
                db.session.flush()
            except Exception as error:  # noqa: BLE001 - reported below
                outcome["first"] = error
            finally:
                holding.set()
            try:
                if "first" not in outcome:
                    wait_until_blocked(is_postgres)
                    db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                outcome["first"] = error
            finally:
                db.session.remove()

    def run_second():
        with app.app_context():
            try:
                holding.wait(10)
                outcome["result"] = second()
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                outcome["second"] = error
            finally:
                db.session.remove()

    db.session.rollback()
    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    assert "first" not in outcome and "second" not in outcome, outcome
    db.session.rollback()
    return outcome["result"]


def test_a_repeated_vote_racing_the_first_reports_the_committed_score(app, thread, make_user, is_postgres,
                                                                     request):
    _, answer, _ = thread
    member_id, answer_id = make_user("clicker").id, answer.id

    def vote():
        return votes.cast_vote(db.session.get(User, member_id), db.session.get(Post, answer_id), 1)

    result = in_order(app, is_postgres, vote, vote)
    assert tuple(score_of(answer)) == (1, 1, 0)
    assert_consistent()
    assert result == (1, 1)


def test_a_vote_racing_a_hide_earns_nothing(app, thread, make_user, is_postgres, request):
    """The post is hidden (and points recomputed) while a vote waits for the post's row lock."""
    _, answer, answerer = thread
    voter_id, answer_id, question_id = make_user("voter").id, answer.id, answer.question_id

    def hide():  # what curation does: the status, then the points
        db.session.execute(update(Post).where(Post.id == answer_id).values(status="hidden"))
        db.session.execute(update(Question).where(Question.id == question_id).values(
            answer_count=0, last_activity_at=Question.created_at))  # the thread's counters, as curation keeps them
        points.recompute()

    def vote():
        try:
            return votes.cast_vote(db.session.get(User, voter_id), db.session.get(Post, answer_id), 1)
        except NotFound:  # the vote is refused: the post it waited for is hidden now
            return None

    in_order(app, is_postgres, hide, vote)
    assert points.find_mismatches() == []
    assert integrity.find_drift() == []


def wait_until_blocked(is_postgres, timeout=10):
    """Return once another session waits for a lock (PostgreSQL), or after a short pause (SQLite)."""
    if not is_postgres:
        time.sleep(0.3)  # the second session's BEGIN IMMEDIATE waits for this one's commit
        return
    deadline = time.monotonic() + timeout
    with db.engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()")).scalar()
            conn.rollback()
            if waiting:
                return
            time.sleep(0.01)
    raise AssertionError("the second vote never waited for the first")


def test_twenty_members_voting_at_once_all_count(live_server, served_app_settings, in_flight, thread, make_user):
    question, answer, answerer = thread
    voters = [make_user(f"voter{i}") for i in range(THREADS)]
    clients = [log_in(live_server, voter) for voter in voters]
    tokens = [vote_token(client, question, answer) for client in clients]
    path = f"/posts/{answer.id}/vote"  # no ORM attribute access in the threads

    def voting(i):
        return lambda: clients[i].post(path, {"csrf_token": tokens[i], "value": "up"})

    results = all_at_once([voting(i) for i in range(THREADS)])

    assert statuses(results) == [303] * THREADS, bodies(results)
    assert tuple(score_of(answer)) == (THREADS, THREADS, 0)
    assert db.session.scalar(select(func.count(Vote.id)).where(Vote.post_id == answer.id)) == THREADS
    # 100 base + 40 for the answer + 20 a vote, capped at 200: exact, whatever the order.
    assert db.session.scalar(select(User.points).where(User.id == answerer.id)) == 100 + 40 + 200
    assert set(db.session.scalars(select(User.points).where(User.id.in_([v.id for v in voters])))) == {110}
    assert_consistent()
    assert in_flight.max >= 2, "the requests did not overlap"


def test_one_member_changing_a_vote_at_once_ends_consistent(
        live_server, served_app_settings, in_flight, thread, make_user):
    """Up, down and none racing from one expert: whichever wins, counts and points agree."""
    question, answer, _ = thread
    member = make_user("expert", level=Level.EXPERT)
    client = log_in(live_server, member)
    token, path = vote_token(client, question, answer), f"/posts/{answer.id}/vote"
    values = ["up", "down", "none", "up"] * (THREADS // 4)

    results = all_at_once([
        (lambda value=value: client.post(path, {"csrf_token": token, "value": value}))
        for value in values])

    assert statuses(results) == [303] * THREADS, bodies(results)
    rows = db.session.scalars(select(Vote.value).where(Vote.voter_id == member.id)).all()
    assert len(rows) <= 1
    score = rows[0] if rows else 0
    assert tuple(score_of(answer)) == (score, int(score == 1), int(score == -1))
    assert_consistent()
    assert in_flight.max >= 2



def test_a_hide_racing_a_vote_recomputes_the_voter(app, thread, make_user, moderator, is_postgres, request):
    """The curation service hides the post while a vote on it is still uncommitted."""
    from forum.services import curation

    _, answer, _ = thread
    voter_id, answer_id, moderator_id = make_user("voter").id, answer.id, moderator.id

    def vote():
        return votes.cast_vote(db.session.get(User, voter_id), db.session.get(Post, answer_id), 1)

    def hide():
        curation.hide_post(db.session.get(User, moderator_id), db.session.get(Post, answer_id), "Off topic.")

    in_order(app, is_postgres, vote, hide)
    assert points.find_mismatches() == []
    assert integrity.find_drift() == []


def interleaved(app, is_postgres, first, second, pause_after="UPDATE USERS"):
    """Run ``first`` until it has sent its first statement starting with ``pause_after`` (or
    for which ``pause_after(statement)`` is true); then run ``second`` until it sends one too or waits for a lock; then let ``first``
    go on. Each runs in its own session and commits. Returns their outcomes: "ok" or
    the error. Two transactions that take the same rows in opposite orders deadlock
    under this interleaving on PostgreSQL; in one global order the second one waits.
    """
    from sqlalchemy import event

    first_paused, second_reached = threading.Event(), threading.Event()
    seen = set()

    def after_execute(conn, cursor, statement, parameters, context, executemany):
        name = threading.current_thread().name
        matches = pause_after(statement) if callable(pause_after) else statement.lstrip().upper().startswith(pause_after)
        if not matches or name in seen:
            return
        seen.add(name)
        if name == "first":
            first_paused.set()
            deadline = time.monotonic() + 10
            while not second_reached.is_set() and time.monotonic() < deadline:
                if _someone_waits_for_a_lock(is_postgres):
                    break
                time.sleep(0.02)
        elif name == "second":
            second_reached.set()

    outcome = {}

    def run(name, work, wait_for=None):
        with app.app_context():
            try:
                if wait_for is not None:
                    wait_for.wait(10)
                work()
                db.session.commit()
                outcome[name] = "ok"
            except Exception as error:  # noqa: BLE001 - reported by the test
                outcome[name] = repr(error)
            finally:
                db.session.remove()

    db.session.commit()
    event.listen(db.engine, "after_cursor_execute", after_execute)
    try:
        threads = [threading.Thread(target=run, name="first", args=("first", first)),
                   threading.Thread(target=run, name="second", args=("second", second, first_paused))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        event.remove(db.engine, "after_cursor_execute", after_execute)
    assert not any(t.is_alive() for t in threads)
    db.session.rollback()
    return outcome


def _someone_waits_for_a_lock(is_postgres):
    if not is_postgres:
        return True  # SQLite: the second transaction's BEGIN IMMEDIATE waits for the first's commit
    with db.engine.connect() as conn:
        return bool(conn.execute(text(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database()")).scalar())


def test_two_members_voting_for_each_other_at_once_do_not_deadlock(app, make_user, is_postgres):
    """Each vote moves two members' points (the voter's and the author's): taken in
    opposite orders, this was a deadlock on PostgreSQL (one vote failed)."""
    first, second = make_user("early"), make_user("late")
    question = make_question(make_user("asker"))
    ids = {"first_answer": make_answer(question, first).id, "second_answer": make_answer(question, second).id,
           "first": first.id, "second": second.id}

    def vote(voter, answer):
        return lambda: votes.cast_vote(db.session.get(User, ids[voter]), db.session.get(Post, ids[answer]), 1)

    outcome = interleaved(app, is_postgres, vote("first", "second_answer"), vote("second", "first_answer"))
    assert outcome == {"first": "ok", "second": "ok"}
    assert tuple(score_of(db.session.get(Post, ids["first_answer"]))) == (1, 1, 0)
    assert tuple(score_of(db.session.get(Post, ids["second_answer"]))) == (1, 1, 0)
    assert_consistent()


def test_an_asker_answering_while_their_question_gets_a_vote_do_not_deadlock(app, make_user, is_postgres):
    """The answer moved its author's points and then the question's counters; a vote on the
    question locked it and then moved the same member's points."""
    from forum.services import answers

    asker = make_user("asker")
    ids = {"question": make_question(asker).id, "asker": asker.id, "voter": make_user("voter").id}

    def answer():
        answers.post_answer(db.session.get(Question, ids["question"]), db.session.get(User, ids["asker"]),
                            "Writing it down helped me more than I expected.")

    def vote():
        votes.cast_vote(db.session.get(User, ids["voter"]), db.session.get(Post, ids["question"]), 1)

    outcome = interleaved(app, is_postgres, answer, vote)
    assert outcome == {"first": "ok", "second": "ok"}
    assert db.session.get(Question, ids["question"]).answer_count == 1
    assert tuple(score_of(db.session.get(Post, ids["question"]))) == (1, 1, 0)
    assert_consistent()


def test_two_questions_bringing_the_same_new_tag_at_once_share_it(app, make_user, is_postgres):
    from forum.models import Tag
    from forum.services import questions

    ids = {name: make_user(name).id for name in ("firstasker", "secondasker")}

    def ask(name):
        return lambda: questions.ask_question(db.session.get(User, ids[name]), f"Where do I start, asks {name}?",
                                              "Everything feels heavy lately.", tag_text="burnout")

    outcome = interleaved(app, is_postgres, ask("firstasker"), ask("secondasker"), pause_after="INSERT INTO TAGS")
    assert outcome == {"first": "ok", "second": "ok"}
    tag = db.session.scalars(select(Tag).where(Tag.name == "burnout")).one()
    assert tag.question_count == 2
    assert_consistent()


def test_two_retags_in_opposite_directions_do_not_deadlock(app, make_user, is_postgres):
    """One edit moves a question from "alpha" to "beta", another a second question from
    "beta" to "alpha": each moves one tag's count down and the other's up."""
    from forum.models import Tag
    from forum.services import editing, questions

    first, second = make_user("firstasker"), make_user("secondasker")
    ids = {
        "first": first.id, "second": second.id,
        "q1": questions.ask_question(first, "How do I stop replaying old arguments?", "At night.",
                                     tag_text="alpha").id,
        "q2": questions.ask_question(second, "How do I stop checking my phone?", "All day.",
                                     tag_text="beta").id,
    }

    def retag(user, question, tag):
        return lambda: editing.edit_post(db.session.get(User, ids[user]), db.session.get(Question, ids[question]),
                                         tag_text=tag)

    outcome = interleaved(app, is_postgres, retag("first", "q1", "beta"), retag("second", "q2", "alpha"),
                          pause_after="UPDATE TAGS")
    assert outcome == {"first": "ok", "second": "ok"}
    counts = dict(db.session.execute(select(Tag.name, Tag.question_count)).all())
    assert counts == {"alpha": 1, "beta": 1}
    assert_consistent()


def test_two_merges_of_one_pair_in_opposite_directions_do_not_deadlock(app, make_user, moderator, is_postgres):
    """Each merge locked its duplicate and then, to recount it, its original: the other
    merge's duplicate. Both questions are now locked together, in id order, and read again:
    the second merge finds its original merged and is refused."""
    from forum.services import curation

    asker = make_user("asker")
    ids = {"moderator": moderator.id}
    for name in ("one", "two"):
        question = make_question(asker, title=f"How do I cope with loneliness, take {name}?")
        make_answer(question, make_user(f"helper{name}"), body=f"Call one friend a day ({name}).")
        ids[name] = question.id

    def merge(duplicate, original):
        return lambda: curation.merge_questions(db.session.get(User, ids["moderator"]),
                                                db.session.get(Question, ids[duplicate]),
                                                db.session.get(Question, ids[original]))

    outcome = interleaved(app, is_postgres, merge("one", "two"), merge("two", "one"), pause_after="UPDATE POSTS")
    assert outcome["first"] == "ok"
    assert outcome["second"].startswith("ValidationFailed"), outcome
    assert db.session.get(Post, ids["one"]).merged_into_id == ids["two"]
    assert db.session.get(Post, ids["two"]).merged_into_id is None
    assert db.session.get(Question, ids["two"]).answer_count == 2
    assert_consistent()


def test_a_category_merge_racing_an_edit_that_moves_a_question_out_do_not_deadlock(
        app, make_user, admin, is_postgres):
    """The edit locks its question, then the categories whose counts it moves (it used to
    lock the categories first, so it could deadlock with a hide); the merge locked the
    categories and then the questions it moves. It now locks the questions first."""
    from forum.models import Category
    from forum.services import category_admin, editing
    from tests.factories import make_category

    asker = make_user("asker")
    source, elsewhere, target = (make_category(title) for title in ("Family", "Work", "Relationships"))
    ids = {"asker": asker.id, "admin": admin.id, "source": source.id, "elsewhere": elsewhere.id,
           "target": target.id, "moved": make_question(asker, title="How do I talk to my mother?",
                                                        category=source).id}
    make_question(asker, title="How do I set boundaries with my father?", category=source)

    def edit():
        editing.edit_post(db.session.get(User, ids["asker"]), db.session.get(Question, ids["moved"]),
                          category=db.session.get(Category, ids["elsewhere"]), change_category=True)

    def locks_posts(statement):
        return statement.upper().startswith("SELECT POSTS.ID") and "FOR NO KEY UPDATE" in statement.upper()

    def merge():
        category_admin.merge_category(db.session.get(User, ids["admin"]), db.session.get(Category, ids["source"]),
                                      db.session.get(Category, ids["target"]))

    outcome = interleaved(app, is_postgres, edit, merge, pause_after=locks_posts)
    assert outcome == {"first": "ok", "second": "ok"}
    assert db.session.get(Question, ids["moved"]).category_id == ids["elsewhere"]
    counts = dict(db.session.execute(select(Category.title, Category.question_count)).all())
    assert counts == {"Work": 1, "Relationships": 1}
    assert_consistent()


def test_a_hide_racing_the_same_members_new_question_in_its_category_do_not_deadlock(
        app, make_user, moderator, is_postgres):
    """Asking moves the author's points and then the category's count; a hide recounted the
    category and then the author's points."""
    from forum.models import Category
    from forum.services import curation, questions
    from tests.factories import make_category

    asker = make_user("asker")
    category = make_category("Family")
    ids = {"asker": asker.id, "moderator": moderator.id, "category": category.id,
           "hidden": make_question(asker, title="How do I forgive my brother?", category=category).id}

    def ask():
        questions.ask_question(db.session.get(User, ids["asker"]), "How do I talk to my sister again?",
                               "We have not spoken for a year.", category=db.session.get(Category, ids["category"]))

    def hide():
        curation.hide_post(db.session.get(User, ids["moderator"]), db.session.get(Question, ids["hidden"]), "spam")

    outcome = interleaved(app, is_postgres, ask, hide)
    assert outcome == {"first": "ok", "second": "ok"}
    assert db.session.get(Category, ids["category"]).question_count == 1
    assert_consistent()
