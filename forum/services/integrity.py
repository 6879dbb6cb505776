"""Check every denormalised counter against a recount from the rows it summarises."""
from sqlalchemy import func, select, union_all
from sqlalchemy.orm import aliased

from forum.extensions import db
from forum.models import Answer, Category, Comment, Post, Question, Tag, Vote, post_tags
from forum.models.types import as_utc
from forum.services import points


def _counts(query):
    return {key: count for key, count in db.session.execute(query).all()}


def _compare(label, stored, recounted, drift):
    for key, value in stored.items():
        expected = recounted.get(key, 0)
        if value != expected:
            drift.append(f"{label} {key}: stored {value}, recount {expected}")


def check_post_counters(drift):
    answers = _counts(
        select(Answer.question_id, func.count()).where(Answer.status == "visible")
        .group_by(Answer.question_id)
    )
    _compare("answer_count of question", _counts(select(Question.id, Question.answer_count)),
             answers, drift)
    comments = _counts(
        select(Comment.parent_id, func.count()).where(Comment.status == "visible")
        .group_by(Comment.parent_id)
    )
    _compare("comment_count of post",
             _counts(select(Post.id, Post.comment_count).where(Post.type != "comment")),
             comments, drift)
    _compare("score of post", _counts(select(Post.id, Post.score)),
             _counts(select(Post.id, Post.upvote_count - Post.downvote_count)), drift)


def check_vote_counts(drift):
    """A post's up and down counts equal its votes, with and without a voter."""
    ups = _counts(select(Vote.post_id, func.count()).where(Vote.value > 0).group_by(Vote.post_id))
    downs = _counts(select(Vote.post_id, func.count()).where(Vote.value < 0).group_by(Vote.post_id))
    _compare("upvote_count of post", _counts(select(Post.id, Post.upvote_count)), ups, drift)
    _compare("downvote_count of post", _counts(select(Post.id, Post.downvote_count)), downs, drift)


def check_last_activity(drift):
    """A question's last activity is its newest visible post in the thread."""
    child = aliased(Post)
    activity = union_all(
        select(Question.id.label("qid"), Question.created_at.label("at")),
        select(child.question_id.label("qid"), child.created_at.label("at"))
        .where(child.question_id.is_not(None), child.status == "visible"),
    ).subquery()
    newest = select(activity.c.qid, func.max(activity.c.at).label("at")).group_by(activity.c.qid).subquery()
    rows = db.session.execute(
        select(Question.id, Question.last_activity_at, newest.c.at)
        .join(newest, newest.c.qid == Question.id)
    ).all()
    for question_id, stored, recount in rows:
        recount = as_utc(recount)
        if stored != recount:
            drift.append(f"last_activity_at of question {question_id}: stored {stored}, recount {recount}")


def check_category_counts(drift):
    """Each category counts visible questions in itself and all sub-categories."""
    direct = _counts(
        select(Question.category_id, func.count()).where(Question.status == "visible")
        .group_by(Question.category_id)
    )
    categories = list(db.session.scalars(select(Category)))
    parent = {c.id: c.parent_id for c in categories}
    totals = {c.id: 0 for c in categories}
    for category_id, count in direct.items():
        current, seen = category_id, 0
        while current is not None and seen < 10:
            totals[current] = totals.get(current, 0) + count
            current, seen = parent.get(current), seen + 1
    _compare("question_count of category", {c.id: c.question_count for c in categories}, totals, drift)


def check_tag_counts(drift):
    counts = _counts(
        select(post_tags.c.tag_id, func.count())
        .join(Question, Question.id == post_tags.c.post_id)
        .where(Question.status == "visible")
        .group_by(post_tags.c.tag_id)
    )
    _compare("question_count of tag", _counts(select(Tag.id, Tag.question_count)), counts, drift)


#: Every check `flask forum check` runs; later features add theirs here.
CHECKS = [check_post_counters, check_vote_counts, check_last_activity, check_category_counts,
          check_tag_counts, points.check_points]


def find_drift():
    """Return a description of every stored counter that differs from its recount."""
    drift = []
    for check in CHECKS:
        check(drift)
    return drift
