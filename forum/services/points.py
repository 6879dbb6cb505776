"""Reputation points: Question2Answer's formula, kept exact as votes and posts change.

Points are derived data. ``recompute`` applies the formula to the rows the
database holds; the event functions move ``User.points`` by the same amounts in
SQL (``points = points + delta``) in the transaction of the event, so concurrent
events never lose an update. Hidden, deleted and queued posts, and anonymous
ones, earn and cost nothing (Question2Answer still counts some hidden posts).
"""
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.orm import aliased

from forum.extensions import db
from forum.models import Post, User, Vote
from forum.services import settings


@dataclass(frozen=True)
class Scheme:
    base: int
    multiple: int
    post_q: int
    post_a: int
    select_a: int
    a_selected: int
    vote_up_cast: int
    vote_down_cast: int
    q_up: int
    q_down: int
    q_gain: int
    q_loss: int
    a_up: int
    a_down: int
    a_gain: int
    a_loss: int

    def voted(self, post_type, ups, downs):
        """Points a post of ``post_type`` earns its author from its votes (before ×multiple)."""
        if post_type == "question":
            return min(self.q_up * ups, self.q_gain) - min(self.q_down * downs, self.q_loss)
        if post_type == "answer":
            return min(self.a_up * ups, self.a_gain) - min(self.a_down * downs, self.a_loss)
        return 0

    def posted(self, post_type):
        return {"question": self.post_q, "answer": self.post_a}.get(post_type, 0)

    def cast(self, value):
        return {1: self.vote_up_cast, -1: self.vote_down_cast}.get(value, 0)


def scheme():
    get = settings.get
    return Scheme(
        base=get("points_base"), multiple=get("points_multiple"),
        post_q=get("points_post_q"), post_a=get("points_post_a"),
        select_a=get("points_select_a"), a_selected=get("points_a_selected"),
        vote_up_cast=get("points_vote_up_cast"), vote_down_cast=get("points_vote_down_cast"),
        q_up=get("points_q_voted_up"), q_down=get("points_q_voted_down"),
        q_gain=get("points_q_voted_max_gain"), q_loss=get("points_q_voted_max_loss"),
        a_up=get("points_a_voted_up"), a_down=get("points_a_voted_down"),
        a_gain=get("points_a_voted_max_gain"), a_loss=get("points_a_voted_max_loss"),
    )


def starting_points():
    """Return what a new member starts with: the scheme's base."""
    return settings.get("points_base")


def earns(post):
    """Tell whether a post counts toward its author's points."""
    return post.status == "visible" and post.author_id is not None and not post.is_anonymous


def add_points(user_id, delta):
    """Move a member's stored points by ``delta`` (already multiplied) in SQL."""
    add_points_many([(user_id, delta)])


def add_points_many(changes):
    """Move several members' points, given as (user id, delta) pairs, in ascending id order.

    One event may touch two or three members (the voter and the author, say). Taking
    their row locks in one global order means two events that touch the same members
    from opposite sides (two members voting for each other's answers at once) wait
    for each other instead of deadlocking.
    """
    totals = defaultdict(int)
    for user_id, delta in changes:
        if user_id is not None:
            totals[user_id] += delta
    for user_id in sorted(totals):
        if totals[user_id]:
            db.session.execute(update(User).where(User.id == user_id).values(points=User.points + totals[user_id]))


# --- Events -------------------------------------------------------------------------

def post_created(post):
    if earns(post):
        s = scheme()
        add_points(post.author_id, s.multiple * s.posted(post.type))


def vote_changed(post, old_value, new_value, old_counts, new_counts, voter_id):
    """Apply a vote change: the voter's cast points and the author's voted points.

    ``old_counts``/``new_counts`` are the post's (ups, downs) before and after.
    """
    if post.status != "visible" or post.type == "comment":
        return
    s = scheme()
    changes = [(voter_id, s.multiple * (s.cast(new_value) - s.cast(old_value)))]
    if earns(post):
        delta = s.voted(post.type, *new_counts) - s.voted(post.type, *old_counts)
        changes.append((post.author_id, s.multiple * delta))
    add_points_many(changes)


def selection_changed(question, old_answer, new_answer):
    """Apply a change of best answer (either side may be None)."""
    if not earns(question) and question.status != "visible":
        return
    s = scheme()
    changes = []
    if (old_answer is None) != (new_answer is None) and earns(question):
        changes.append((question.author_id, s.multiple * s.select_a * (1 if new_answer else -1)))
    for answer, sign in ((old_answer, -1), (new_answer, +1)):
        if answer is not None and earns(answer) and answer.author_id != question.author_id:
            changes.append((answer.author_id, s.multiple * s.a_selected * sign))
    add_points_many(changes)


# --- Recomputation ------------------------------------------------------------------

def _vote_counts():
    """Per post: (ups, downs) from the votes table."""
    return (
        select(
            Vote.post_id.label("post_id"),
            func.sum(case((Vote.value > 0, 1), else_=0)).label("ups"),
            func.sum(case((Vote.value < 0, 1), else_=0)).label("downs"),
        )
        .group_by(Vote.post_id)
        .subquery()
    )


def _earning_posts(since=None):
    conditions = [Post.status == "visible", Post.author_id.is_not(None), Post.is_anonymous.is_(False)]
    if since is not None:
        conditions.append(Post.created_at >= since)
    return and_(*conditions)


def components(user_ids=None, since=None):
    """Return {user_id: {component: count}} from the rows, for all or some members.

    With ``since``, only posts and votes from that time on count (for "this week").
    """
    result = defaultdict(lambda: defaultdict(int))

    def restrict(query, column):
        return query.where(column.in_(user_ids)) if user_ids is not None else query

    earning = _earning_posts(since)
    for author_id, post_type, count in db.session.execute(
        restrict(select(Post.author_id, Post.type, func.count()).where(earning), Post.author_id)
        .group_by(Post.author_id, Post.type)
    ):
        result[author_id][f"posted_{post_type}"] += count

    question = aliased(Post)
    answer = aliased(Post)
    for asker_id, count in db.session.execute(
        restrict(select(question.author_id, func.count()), question.author_id)
        .where(question.type == "question", question.accepted_answer_id.is_not(None),
               question.status == "visible", question.author_id.is_not(None),
               question.is_anonymous.is_(False),
               *( [question.created_at >= since] if since else []))
        .group_by(question.author_id)
    ):
        result[asker_id]["selects"] += count
    for author_id, count in db.session.execute(
        restrict(select(answer.author_id, func.count()), answer.author_id)
        .join(question, question.accepted_answer_id == answer.id)
        .where(answer.status == "visible", answer.author_id.is_not(None), answer.is_anonymous.is_(False),
               or_distinct(question.author_id, answer.author_id),
               *([answer.created_at >= since] if since else []))
        .group_by(answer.author_id)
    ):
        result[author_id]["selected"] += count

    voted_post = aliased(Post)
    cast = (
        select(Vote.voter_id, Vote.value, func.count())
        .join(voted_post, voted_post.id == Vote.post_id)
        .where(Vote.voter_id.is_not(None), voted_post.status == "visible",
               voted_post.type.in_(("question", "answer")))
    )
    if since is not None:
        cast = cast.where(Vote.created_at >= since)
    for voter_id, value, count in db.session.execute(restrict(cast, Vote.voter_id).group_by(Vote.voter_id, Vote.value)):
        result[voter_id]["ups_cast" if value > 0 else "downs_cast"] += count

    s = scheme()
    counts = _vote_counts()
    for author_id, post_type, ups, downs in db.session.execute(
        restrict(select(Post.author_id, Post.type, counts.c.ups, counts.c.downs), Post.author_id)
        .join(counts, counts.c.post_id == Post.id)
        .where(_earning_posts(), Post.type.in_(("question", "answer")))
    ):
        result[author_id]["voted"] += s.voted(post_type, int(ups or 0), int(downs or 0))
    if since is not None:
        # Earned this week: what the votes give now minus what they gave before, so
        # a cap reached earlier is respected.
        before = _vote_counts_before(since)
        for author_id, post_type, ups, downs in db.session.execute(
            restrict(select(Post.author_id, Post.type, before.c.ups, before.c.downs), Post.author_id)
            .join(before, before.c.post_id == Post.id)
            .where(_earning_posts(), Post.type.in_(("question", "answer")))
        ):
            result[author_id]["voted"] -= s.voted(post_type, int(ups or 0), int(downs or 0))
    return result


def _vote_counts_before(since):
    return (
        select(
            Vote.post_id.label("post_id"),
            func.sum(case((Vote.value > 0, 1), else_=0)).label("ups"),
            func.sum(case((Vote.value < 0, 1), else_=0)).label("downs"),
        )
        .where(Vote.created_at < since)
        .group_by(Vote.post_id)
        .subquery()
    )


def or_distinct(a, b):
    """SQL for "a is distinct from b" on both engines (NULL-safe inequality)."""
    return a.is_distinct_from(b)


def total(parts, s=None, with_base=True):
    s = s or scheme()
    value = (
        s.post_q * parts.get("posted_question", 0)
        + s.post_a * parts.get("posted_answer", 0)
        + s.select_a * parts.get("selects", 0)
        + s.a_selected * parts.get("selected", 0)
        + s.vote_up_cast * parts.get("ups_cast", 0)
        + s.vote_down_cast * parts.get("downs_cast", 0)
        + parts.get("voted", 0)
    )
    return (s.base if with_base else 0) + s.multiple * value


def expected_points(user_ids=None):
    """Return {user_id: points} by the formula, for all members or the given ones."""
    s = scheme()
    parts = components(user_ids)
    ids = user_ids if user_ids is not None else db.session.scalars(select(User.id)).all()
    return {user_id: total(parts.get(user_id, {}), s) for user_id in ids}


def find_mismatches():
    """Return [(user_id, username, stored, expected)] for members whose points are wrong."""
    expected = expected_points()
    rows = db.session.execute(select(User.id, User.username, User.points)).all()
    return [(uid, name, stored, expected[uid]) for uid, name, stored in rows if stored != expected.get(uid)]


def recompute(user_ids=None):
    """Store the formula's points for all members (or some); return how many changed.

    Locks the rows first on PostgreSQL, so votes arriving meanwhile apply their
    deltas after this transaction and nothing is lost.
    """
    lock = select(User.id).order_by(User.id).with_for_update(key_share=True)
    if user_ids is not None:
        lock = lock.where(User.id.in_(user_ids))
    locked = db.session.scalars(lock).all()
    expected = expected_points(None if user_ids is None else locked)
    stored = dict(db.session.execute(select(User.id, User.points).where(User.id.in_(locked))).all()) \
        if user_ids is not None else dict(db.session.execute(select(User.id, User.points)).all())
    changed = {uid: value for uid, value in expected.items() if stored.get(uid) != value}
    for uid, value in changed.items():
        db.session.execute(update(User).where(User.id == uid).values(points=value))
    db.session.flush()
    return len(changed)


def check_points(drift):
    """An integrity check: stored points against the formula."""
    for uid, name, stored, expected in find_mismatches():
        drift.append(f"points of member {uid} ({name}): stored {stored}, recount {expected}")


def top_members(limit=50, since: datetime | None = None):
    """Return [(user, points)] best first: all time, or earned since ``since``."""
    if since is None:
        users = db.session.scalars(
            select(User).where(User.deleted_at.is_(None))
            .order_by(User.points.desc(), User.id).limit(limit)
        ).all()
        return [(user, user.points) for user in users]
    s = scheme()
    parts = components(since=since)
    scored = sorted(((total(p, s, with_base=False), uid) for uid, p in parts.items()), key=lambda x: (-x[0], x[1]))
    scored = [(points, uid) for points, uid in scored if points > 0][:limit]
    users = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_([uid for _, uid in scored]), User.deleted_at.is_(None)))}
    return [(users[uid], points) for points, uid in scored if uid in users]
