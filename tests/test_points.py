"""Points: Question2Answer's formula against hand-computed values, recompute, check, the scheme.

Default scheme, every number multiplied by 10, on top of a base of 100: asking +20,
answering +40; an up vote received on a question +10 (at most +100), a down vote −10
(at most −30); on an answer +20 (at most +200) and −20 (at most −50); casting a vote
+10; selecting a best answer +30 to the asker, being selected +300 to the answerer.
"""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from forum.extensions import db
from forum.models import Level, Post, User, Vote, utcnow
from forum.services import integrity, points, selection, settings, votes
from tests.factories import make_answer, make_comment, make_question

BASE = 100


def points_of(user):
    return db.session.scalar(select(User.points).where(User.id == user.id))


def all_points():
    return dict(db.session.execute(select(User.id, User.points)).all())


def assert_consistent():
    assert points.find_mismatches() == []
    assert integrity.find_drift() == []


def set_status(post, status):
    db.session.execute(update(Post).where(Post.id == post.id).values(status=status))
    db.session.commit()


@pytest.fixture
def members(make_user):
    """Names to members; voters are experts, so they may vote down as well as up."""
    def make(*names, level=Level.BASIC):
        return [make_user(name, level=level) for name in names]
    return make


# --- Posting ---------------------------------------------------------------------------

def test_new_members_start_with_the_base(make_user):
    assert points.starting_points() == BASE
    assert points_of(make_user()) == BASE
    assert_consistent()


def test_asking_answering_and_commenting(members):
    asker, answerer, commenter = members("asker", "answerer", "commenter")
    first = make_question(asker)
    make_question(asker, title="Why do I wake at four every morning?")
    answer = make_answer(first, answerer)
    make_comment(first, commenter)
    make_comment(answer, commenter)
    make_question(None, title="A question from a guest visitor", guest_name="Visitor")
    make_answer(first, None, guest_name="Visitor")
    assert points_of(asker) == BASE + 2 * 20
    assert points_of(answerer) == BASE + 40
    assert points_of(commenter) == BASE  # comments earn nothing
    assert points.components([asker.id, answerer.id, commenter.id]) == {
        asker.id: {"posted_question": 2},
        answerer.id: {"posted_answer": 1},
        commenter.id: {"posted_comment": 2},
    }
    assert points.expected_points([asker.id, answerer.id]) == {asker.id: 140, answerer.id: 140}
    assert_consistent()


# --- Votes received --------------------------------------------------------------------

@pytest.mark.parametrize("ups, downs, delta", [
    (1, 0, 10), (7, 0, 70), (10, 0, 100), (11, 0, 100), (25, 0, 100),
    (0, 1, -10), (0, 3, -30), (0, 4, -30), (0, 9, -30),
    (12, 5, 100 - 30), (2, 2, 20 - 20), (4, 1, 40 - 10),
])
def test_votes_on_a_question_are_capped(members, ups, downs, delta):
    (asker,) = members("asker")
    question = make_question(asker)
    votes.add_imported_votes(question, ups, downs)
    db.session.commit()
    assert points_of(asker) == BASE + 20 + delta
    assert_consistent()


@pytest.mark.parametrize("ups, downs, delta", [
    (1, 0, 20), (5, 0, 100), (10, 0, 200), (11, 0, 200), (30, 0, 200),
    (0, 1, -20), (0, 2, -40), (0, 3, -50), (0, 4, -50),
    (15, 4, 200 - 50), (3, 1, 60 - 20), (1, 3, 20 - 50),
])
def test_votes_on_an_answer_are_capped(members, ups, downs, delta):
    asker, answerer = members("asker", "answerer")
    answer = make_answer(make_question(asker), answerer)
    votes.add_imported_votes(answer, ups, downs)
    db.session.commit()
    assert points_of(answerer) == BASE + 40 + delta
    assert points_of(asker) == BASE + 20
    assert_consistent()


def test_capped_votes_added_one_by_one_stay_exact(members):
    """Crossing the cap one vote at a time gives what the formula gives for the total."""
    asker, answerer = members("asker", "answerer")
    question = make_question(asker)
    answer = make_answer(question, answerer)
    for i in range(13):
        votes.add_imported_votes(question, 1)
        votes.add_imported_votes(answer, 0, 1)
        db.session.commit()
        assert points_of(asker) == BASE + 20 + min(10 * (i + 1), 100)
        assert points_of(answerer) == BASE + 40 - min(20 * (i + 1), 50)
    assert_consistent()


def test_casting_votes_earns_the_voter(members):
    asker, answerer = members("asker", "answerer")
    (voter,) = members("voter", level=Level.EXPERT)
    question = make_question(asker)
    answer = make_answer(question, answerer)

    votes.cast_vote(voter, question, 1)
    votes.cast_vote(voter, answer, -1)
    db.session.commit()
    assert points_of(voter) == BASE + 10 + 10
    assert points_of(asker) == BASE + 20 + 10
    assert points_of(answerer) == BASE + 40 - 20
    assert points.components([voter.id]) == {voter.id: {"ups_cast": 1, "downs_cast": 1}}
    assert_consistent()

    votes.cast_vote(voter, answer, 1)  # down -> up: still one vote cast
    db.session.commit()
    assert points_of(voter) == BASE + 20
    assert points_of(answerer) == BASE + 40 + 20
    assert_consistent()

    votes.cast_vote(voter, question, 0)
    votes.cast_vote(voter, answer, 0)
    db.session.commit()
    assert points_of(voter) == BASE
    assert points_of(asker) == BASE + 20
    assert points_of(answerer) == BASE + 40
    assert_consistent()


def test_member_and_imported_votes_share_one_cap(members):
    (asker,) = members("asker")
    voters = members("v1", "v2")
    question = make_question(asker)
    votes.add_imported_votes(question, 9)
    for voter in voters:
        votes.cast_vote(voter, question, 1)
    db.session.commit()
    assert points_of(asker) == BASE + 20 + 100  # 11 up votes, capped at 10
    assert [points_of(v) for v in voters] == [BASE + 10, BASE + 10]
    votes.cast_vote(voters[0], question, 0)
    db.session.commit()
    assert points_of(asker) == BASE + 20 + 100  # 10 up votes
    votes.cast_vote(voters[1], question, 0)
    db.session.commit()
    assert points_of(asker) == BASE + 20 + 90
    assert [points_of(v) for v in voters] == [BASE, BASE]
    assert_consistent()


def test_imported_votes_count_for_the_author_but_as_nobodys_cast_vote(members):
    asker, answerer, bystander = members("asker", "answerer", "bystander")
    question = make_question(asker)
    answer = make_answer(question, answerer)
    votes.add_imported_votes(question, 2, 1, source="counselchat")
    votes.add_imported_votes(answer, 1, source="demo")
    db.session.commit()
    assert points_of(asker) == BASE + 20 + 20 - 10
    assert points_of(answerer) == BASE + 40 + 20
    assert points_of(bystander) == BASE
    assert db.session.scalars(select(Vote.voter_id)).all() == [None] * 4
    parts = points.components()
    assert not any("ups_cast" in p or "downs_cast" in p for p in parts.values())
    assert parts[asker.id]["voted"] == 2 - 1
    assert parts[answerer.id]["voted"] == 2
    assert_consistent()


def test_votes_on_comments_and_guest_posts_earn_nothing(members):
    asker, voter = members("asker", "voter")
    guest_question = make_question(None, title="A question from a guest visitor", guest_name="Sam")
    comment = make_comment(guest_question, asker)
    votes.cast_vote(voter, guest_question, 1)
    votes.cast_vote(voter, comment, 1)
    votes.add_imported_votes(comment, 3)
    db.session.commit()
    assert points_of(voter) == BASE + 10  # the vote on the question is cast; on the comment, nothing
    assert points_of(asker) == BASE
    assert_consistent()


# --- Best answers --------------------------------------------------------------------

def test_selection_points(members):
    asker, first, second = members("asker", "first", "second")
    question = make_question(asker)
    a1, a2 = make_answer(question, first), make_answer(question, second)
    own = make_answer(question, asker)
    expected = {asker.id: BASE + 20 + 40, first.id: BASE + 40, second.id: BASE + 40}

    def check(asker_extra, first_extra, second_extra):
        assert points_of(asker) == expected[asker.id] + asker_extra
        assert points_of(first) == expected[first.id] + first_extra
        assert points_of(second) == expected[second.id] + second_extra
        assert_consistent()

    for answer, wanted in ((a1, (30, 300, 0)), (a2, (30, 0, 300)), (own, (30, 0, 0)),
                           (None, (0, 0, 0)), (own, (30, 0, 0)), (a1, (30, 300, 0)), (None, (0, 0, 0))):
        selection.select_answer(question, answer)
        db.session.commit()
        check(*wanted)


def test_a_guests_question_selected_by_a_moderator_pays_the_answerer_only(members):
    (answerer,) = members("answerer")
    question = make_question(None, title="A question from a guest visitor", guest_name="Sam")
    answer = make_answer(question, answerer)
    selection.select_answer(question, answer)
    db.session.commit()
    assert points_of(answerer) == BASE + 40 + 300
    assert_consistent()


# --- Recompute, mismatches and the check command ----------------------------------

@pytest.fixture
def busy_forum(members):
    """A little of everything: posts, member and imported votes, a best answer."""
    asker, answerer, other = members("asker", "answerer", "other")
    voters = members("v1", "v2", "v3", level=Level.EXPERT)
    question = make_question(asker)
    answer = make_answer(question, answerer)
    second = make_answer(question, other)
    make_comment(answer, asker)
    for voter in voters:
        votes.cast_vote(voter, question, 1)
        votes.cast_vote(voter, answer, 1)
    votes.cast_vote(voters[0], second, -1)
    votes.add_imported_votes(answer, 2, 1)
    selection.select_answer(question, answer)
    db.session.commit()
    return {"asker": asker, "answerer": answerer, "other": other, "voters": voters,
            "question": question, "answer": answer, "second": second}


def test_the_busy_forum_by_hand(busy_forum):
    f = busy_forum
    assert points_of(f["asker"]) == BASE + 20 + 3 * 10 + 30
    assert points_of(f["answerer"]) == BASE + 40 + 5 * 20 - 20 + 300
    assert points_of(f["other"]) == BASE + 40 - 20
    assert [points_of(v) for v in f["voters"]] == [BASE + 30, BASE + 20, BASE + 20]
    assert_consistent()


def test_recompute_changes_nothing_when_consistent(busy_forum):
    before = all_points()
    assert points.recompute() == 0
    db.session.commit()
    assert all_points() == before
    assert points.recompute([busy_forum["asker"].id]) == 0
    db.session.commit()
    assert all_points() == before


def test_corrupted_points_are_found_reported_and_repaired(busy_forum, runner):
    answerer = busy_forum["answerer"]
    right = points_of(answerer)
    before = all_points()
    db.session.execute(update(User).where(User.id == answerer.id).values(points=7))
    db.session.commit()

    assert points.find_mismatches() == [(answerer.id, "answerer", 7, right)]
    assert f"points of member {answerer.id} (answerer): stored 7, recount {right}" in integrity.find_drift()
    result = runner.invoke(args=["forum", "check"])
    assert result.exit_code == 1
    assert f"points of member {answerer.id}" in result.output

    assert points.recompute() == 1
    db.session.commit()
    assert all_points() == before
    assert_consistent()
    result = runner.invoke(args=["forum", "check"])
    assert result.exit_code == 0, result.output


def test_recompute_of_some_members_repairs_only_them(busy_forum):
    asker, answerer = busy_forum["asker"], busy_forum["answerer"]
    before = all_points()
    db.session.execute(update(User).where(User.id.in_([asker.id, answerer.id])).values(points=0))
    db.session.commit()
    assert points.recompute([asker.id]) == 1
    db.session.commit()
    assert points_of(asker) == before[asker.id]
    assert points_of(answerer) == 0
    assert [m[0] for m in points.find_mismatches()] == [answerer.id]
    assert points.recompute() == 1
    db.session.commit()
    assert all_points() == before


@pytest.mark.parametrize("change, expected", [
    # points_post_a 4 -> 10: each answer is worth 100.
    ({"points_post_a": 10}, {"asker": 180, "answerer": 100 + 100 + 80 + 300, "other": 100 + 100 - 20}),
    # multiple 10 -> 1 (base stays 100).
    ({"points_multiple": 1}, {"asker": 100 + 2 + 3 + 3, "answerer": 100 + 4 + 8 + 30, "other": 100 + 4 - 2}),
    # Nothing for casting votes or posting: voters fall back to the base.
    (dict(settings.CARE_PRESET), {"asker": 100 + 30, "answerer": 100 + 80 + 300, "other": 100 - 20, "v1": 100}),
    # A higher base for everyone.
    ({"points_base": 500}, {"asker": 580, "answerer": 920, "other": 520, "v1": 530}),
    # Tighter caps: at most one vote's worth either way.
    ({"points_q_voted_max_gain": 1, "points_a_voted_max_gain": 2, "points_a_voted_max_loss": 2},
     {"asker": 100 + 20 + 10 + 30, "answerer": 100 + 40 + 20 - 20 + 300, "other": 100 + 40 - 20}),
])
def test_changing_the_scheme_then_recomputing(busy_forum, change, expected):
    settings.update_settings(None, change)
    db.session.commit()
    assert points.find_mismatches() != []  # stored points follow the old scheme until recomputed
    assert points.recompute() > 0
    db.session.commit()
    got = {name: points_of(busy_forum[name]) if name in busy_forum else points_of(busy_forum["voters"][0])
           for name in expected}
    assert got == expected
    assert_consistent()


def test_after_a_scheme_change_new_events_use_the_new_numbers(members):
    asker, answerer = members("asker", "answerer")
    question = make_question(asker)
    settings.update_settings(None, {"points_post_a": 10, "points_a_selected": 50})
    db.session.commit()
    points.recompute()
    db.session.commit()
    answer = make_answer(question, answerer)
    selection.select_answer(question, answer)
    db.session.commit()
    assert points_of(answerer) == BASE + 100 + 500
    assert_consistent()


# --- Rankings --------------------------------------------------------------------------

def test_top_members_are_ordered_by_points_then_seniority(members):
    asker, answerer, quiet, late = members("asker", "answerer", "quiet", "late")
    question = make_question(asker)
    answer = make_answer(question, answerer)
    make_answer(question, late)
    votes.add_imported_votes(answer, 1)
    db.session.commit()
    # answerer 160, asker 120, late 140, quiet 100
    assert [(u.username, p) for u, p in points.top_members()] == [
        ("answerer", 160), ("late", 140), ("asker", 120), ("quiet", 100)]
    assert [u.username for u, _ in points.top_members(limit=2)] == ["answerer", "late"]
    db.session.execute(update(User).where(User.id == quiet.id).values(points=160))
    db.session.commit()
    # A tie goes to the older account (lower id).
    assert [u.username for u, _ in points.top_members(limit=2)] == ["answerer", "quiet"]


def test_top_members_since_counts_only_what_was_earned(members):
    asker, answerer, quiet = members("asker", "answerer", "quiet")
    question = make_question(asker)
    answer = make_answer(question, answerer)
    votes.cast_vote(quiet, answer, 1)
    db.session.commit()
    week = points.top_members(since=utcnow() - timedelta(days=7))
    assert [(u.username, p) for u, p in week] == [("answerer", 60), ("asker", 20), ("quiet", 10)]
    assert points.top_members(since=utcnow() + timedelta(days=1)) == []


def test_points_earned_this_week_respect_caps_reached_before(members):
    """Votes past a cap reached before the week earn nothing this week."""
    (asker,) = members("asker")
    question = make_question(asker)
    votes.add_imported_votes(question, 10)  # +100: the cap
    month_ago = utcnow() - timedelta(days=30)
    db.session.execute(update(Vote).values(created_at=month_ago))
    db.session.execute(update(Post).values(created_at=month_ago, last_activity_at=month_ago))
    db.session.commit()
    before = points_of(asker)
    votes.add_imported_votes(question, 5)  # past the cap: worth nothing
    db.session.commit()
    assert points_of(asker) == before
    assert points.top_members(since=utcnow() - timedelta(days=7)) == []


# --- Hidden, deleted and queued posts --------------------------------------------------

@pytest.mark.parametrize("status", ["hidden", "deleted", "queued"])
def test_a_hidden_answers_points_stop_counting_after_recompute(busy_forum, status):
    f = busy_forum
    before = all_points()
    set_status(f["answer"], status)
    points.recompute()
    db.session.commit()
    assert points_of(f["answerer"]) == BASE  # no answer, no votes, no best answer
    # The votes on it no longer count as cast; v1's down vote on the other answer does.
    assert [points_of(v) for v in f["voters"]] == [BASE + 20, BASE + 10, BASE + 10]
    # The question is untouched: its post, its votes, and the selection the asker made.
    assert points_of(f["asker"]) == before[f["asker"].id]
    assert points_of(f["other"]) == before[f["other"].id]
    assert points.find_mismatches() == []

    set_status(f["answer"], "visible")
    points.recompute()
    db.session.commit()
    assert all_points() == before


def test_a_hidden_questions_points_stop_counting_after_recompute(busy_forum):
    f = busy_forum
    before = all_points()
    set_status(f["question"], "hidden")
    points.recompute()
    db.session.commit()
    assert points_of(f["asker"]) == BASE  # no question, no votes on it, no selection
    assert [points_of(v) for v in f["voters"]] == [BASE + 20, BASE + 10, BASE + 10]
    assert points_of(f["answerer"]) == before[f["answerer"].id]
    assert points.find_mismatches() == []
    set_status(f["question"], "visible")
    points.recompute()
    db.session.commit()
    assert all_points() == before
