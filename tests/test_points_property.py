"""Random sequences of forum events keep points and every counter exact (hypothesis).

After each step of a random story (ask, answer, comment, votes, best answers, hiding and
unhiding, imported votes, switching comment votes on and off, changing the points scheme)
the stored points equal the formula and ``flask forum check`` finds no drift.

Examples: 50 by default; HYPOTHESIS_MAX_EXAMPLES=500 for a deeper local run. A "ci"
profile is registered too (``pytest --hypothesis-profile=ci``) for runs that want
Hypothesis' own settings; the explicit settings below still decide the count.
"""
import os

import hypothesis
from flask import g
from hypothesis import HealthCheck, given
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from forum.extensions import db
from forum.models import Answer, Comment, Level, Post, Question
from forum.permissions import (
    can_answer_question,
    can_comment_on,
    can_select_answer,
    can_view_post,
    can_vote_on,
)
from forum.services import answers, comments, integrity, points, questions, selection, settings, votes
from forum.services.errors import NotFound, PermissionDenied
from forum.services.posting import Guest
from tests.fixtures.app import truncate_all

hypothesis.settings.register_profile("ci", max_examples=50)

MAX_EXAMPLES = int(os.environ.get("HYPOTHESIS_MAX_EXAMPLES", 50))

#: Two basic members (up votes only, until they earn 500 points), an expert (down votes
#: too) and a moderator (sees hidden posts, may select any best answer).
LEVELS = [Level.BASIC, Level.BASIC, Level.EXPERT, Level.MODERATOR]

author = st.integers(-1, len(LEVELS) - 1)  # -1: a guest
member = st.integers(0, len(LEVELS) - 1)
target = st.integers(0, 10_000)  # a post so far, modulo their number

step = st.one_of(
    st.tuples(st.just("ask"), author),
    st.tuples(st.just("answer"), author, target),
    st.tuples(st.just("comment"), author, target),
    st.tuples(st.just("vote"), member, target, st.sampled_from(["up", "down", "none"])),
    st.tuples(st.just("vote"), member, target, st.sampled_from(["up", "down", "none"])),
    st.tuples(st.just("select"), member, target, st.none() | st.integers(0, 10_000)),
    st.tuples(st.just("hide"), target, st.sampled_from(["hidden", "deleted", "queued"])),
    st.tuples(st.just("unhide"), target),
    st.tuples(st.just("import"), target, st.integers(0, 12), st.integers(0, 4)),
    st.tuples(st.just("comment_votes"), st.booleans()),
    st.tuples(st.just("scheme"), st.sampled_from([
        "points_multiple", "points_post_a", "points_a_selected", "points_vote_down_cast",
        "points_q_voted_max_gain", "points_a_voted_max_loss", "points_a_voted_up"]), st.integers(0, 5)),
)


class Story:
    """One example's forum: fresh members and a first question, then the steps."""

    def __init__(self, make_user):
        db.session.rollback()
        truncate_all()
        db.session.expunge_all()
        for key in [key for key in g if key.startswith("forum_")]:
            g.pop(key)  # cached settings and categories belong to the rows just deleted
        self.members = [make_user(level=level) for level in LEVELS]
        self.post_ids = []
        self.titles = 0
        self.ask(self.members[0])
        db.session.commit()

    # --- Helpers ---------------------------------------------------------------------

    def user(self, index):
        return None if index < 0 else self.members[index]

    def post(self, index):
        return db.session.get(Post, self.post_ids[index % len(self.post_ids)])

    def thread_question(self, post):
        return post if post.type == "question" else db.session.get(Question, post.question_id)

    def ask(self, user):
        self.titles += 1
        question = questions.ask_question(user, f"Question number {self.titles} about sleep", "Body.",
                                          guest=Guest("Visitor" if user is None else None, None))
        self.post_ids.append(question.id)

    def resync_thread(self, question):
        """Keep the thread's counters as the curation feature will when it hides a post."""
        visible = Post.status == "visible"
        db.session.execute(update(Question).where(Question.id == question.id).values(
            answer_count=select(func.count(Answer.id))
            .where(Answer.question_id == question.id, Answer.status == "visible").scalar_subquery()))
        thread_ids = [question.id] + list(db.session.scalars(
            select(Answer.id).where(Answer.question_id == question.id)))
        for post_id in thread_ids:
            db.session.execute(update(Post).where(Post.id == post_id).values(
                comment_count=select(func.count(Comment.id))
                .where(Comment.parent_id == post_id, Comment.status == "visible").scalar_subquery()))
        newest = db.session.scalars(
            select(Post.created_at).where(Post.question_id == question.id, visible)).all()
        db.session.execute(update(Question).where(Question.id == question.id).values(
            last_activity_at=max([question.created_at, *newest])))

    # --- Steps -----------------------------------------------------------------------

    def run(self, action, *args):
        done = getattr(self, f"do_{action}")(*args)
        db.session.commit()
        hypothesis.event(f"{action}: {'done' if done is not False else 'refused'}")

    def do_ask(self, who):
        self.ask(self.user(who))

    def do_answer(self, who, index):
        user, question = self.user(who), self.thread_question(self.post(index))
        if not can_answer_question(user, question):
            return False
        answer = answers.post_answer(question, user, "An answer.",
                                     guest=Guest("Visitor" if user is None else None, None))
        self.post_ids.append(answer.id)

    def do_comment(self, who, index):
        user, parent = self.user(who), self.post(index)
        if parent.type == "comment":
            parent = db.session.get(Post, parent.parent_id)
        if not can_comment_on(user, parent):
            return False
        comment = comments.post_comment(parent, user, "A comment.",
                                        guest=Guest("Visitor" if user is None else None, None))
        self.post_ids.append(comment.id)

    def do_vote(self, who, index, raw):
        """What POST /posts/<id>/vote lets through, then the service."""
        voter, post, value = self.members[who], self.post(index), votes.parse_value(raw)
        if not can_view_post(voter, post) or (value != 0 and not can_vote_on(voter, post, value)):
            return False
        try:
            votes.cast_vote(voter, post, value)
        except (PermissionDenied, NotFound):  # one's own post, or one no longer visible
            db.session.rollback()
            return False

    def do_select(self, who, index, choice):
        actor, question = self.members[who], self.thread_question(self.post(index))
        if not can_select_answer(actor, question):
            return False
        candidates = list(db.session.scalars(
            select(Answer).where(Answer.question_id == question.id, Answer.status == "visible")
            .order_by(Answer.id)))
        answer = candidates[choice % len(candidates)] if candidates and choice is not None else None
        selection.select_answer(question, answer)

    def do_hide(self, index, status):
        post = self.post(index)
        post.status = status
        db.session.flush()
        self.resync_thread(self.thread_question(post))
        db.session.commit()
        points.recompute()  # what hiding and unhiding will call

    def do_unhide(self, index):
        self.do_hide(index, "visible")

    def do_import(self, index, ups, downs):
        if not ups and not downs:
            return False
        votes.add_imported_votes(self.post(index), ups, downs)

    def do_comment_votes(self, on):
        settings.update_settings(None, {"comment_votes": on})

    def do_scheme(self, key, value):
        """What saving the admin's points page does: the new number, then everyone recomputed."""
        if not settings.update_settings(None, {key: value}):
            return False
        points.recompute()


@hypothesis.settings(
    max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=st.lists(step, min_size=1, max_size=16))
def test_points_and_counters_stay_exact(app, make_user, steps):
    # find_drift() runs points.check_points, i.e. find_mismatches(): one call checks both.
    assert points.check_points in integrity.CHECKS
    story = Story(make_user)
    assert points.find_mismatches() == []
    for number, (action, *args) in enumerate(steps, 1):
        story.run(action, *args)
        assert integrity.find_drift() == [], f"after step {number}: {action} {args}"
