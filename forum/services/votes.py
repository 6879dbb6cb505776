"""Votes: set a member's vote on a post; scores and points move in the same transaction."""
from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from forum.extensions import db
from forum.models import Post, Vote
from forum.services import points
from forum.services.errors import NotFound, PermissionDenied, ValidationFailed

VALUES = {"up": 1, "down": -1, "none": 0}


def parse_value(raw):
    """Turn "up", "down" or "none" into 1, -1 or 0.

    :raise ValidationFailed: for anything else.
    """
    try:
        return VALUES[raw]
    except (KeyError, TypeError):
        raise ValidationFailed("Vote up, down or none.", errors={"value": ["Vote up, down or none."]}) from None


def current_vote(voter, post):
    if voter is None:
        return 0
    return db.session.scalar(
        select(Vote.value).where(Vote.voter_id == voter.id, Vote.post_id == post.id)
    ) or 0


def votes_by(voter, post_ids):
    """Return {post_id: value} of ``voter``'s votes on the given posts, in one query."""
    if voter is None or not post_ids:
        return {}
    return dict(db.session.execute(
        select(Vote.post_id, Vote.value).where(Vote.voter_id == voter.id, Vote.post_id.in_(post_ids))
    ).all())


def cast_vote(voter, post, value, attempts=3):
    """Set ``voter``'s vote on ``post`` to 1, -1 or 0; return (score, value).

    Repeating the same vote changes nothing. A race with a simultaneous vote by the
    same member on the same post is retried, never surfaced.

    :raise PermissionDenied: for one's own post.
    """
    if post.author_id is not None and post.author_id == voter.id:
        raise PermissionDenied("You can't vote on your own post.")
    for attempt in range(attempts):
        try:
            with db.session.begin_nested():
                return _set_vote(voter, post, value)
        except IntegrityError:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _set_vote(voter, post, value):
    # Votes on one post take turns (a row lock on PostgreSQL; SQLite writes one at
    # a time anyway), so the old vote read here is still the old vote when we write.
    db.session.execute(select(Post.id).where(Post.id == post.id).with_for_update(key_share=True))
    # What we read before the lock may be stale (a hide, another vote): read it again.
    db.session.refresh(post, ["status", "score", "upvote_count", "downvote_count"])
    if post.status != "visible":
        raise NotFound("That post is no longer visible.")
    old = current_vote(voter, post)
    if old == value:
        return post.score, value
    if old == 0:
        db.session.execute(insert(Vote).values(voter_id=voter.id, post_id=post.id, value=value, source="member"))
    elif value == 0:
        db.session.execute(delete(Vote).where(Vote.voter_id == voter.id, Vote.post_id == post.id))
    else:
        db.session.execute(update(Vote).where(Vote.voter_id == voter.id, Vote.post_id == post.id).values(value=value))
    ups = (value == 1) - (old == 1)
    downs = (value == -1) - (old == -1)
    new_ups, new_downs, new_score = db.session.execute(
        update(Post).where(Post.id == post.id)
        .values(upvote_count=Post.upvote_count + ups, downvote_count=Post.downvote_count + downs,
                score=Post.score + ups - downs)
        .returning(Post.upvote_count, Post.downvote_count, Post.score)
    ).one()
    points.vote_changed(post, old, value, (new_ups - ups, new_downs - downs), (new_ups, new_downs), voter.id)
    db.session.flush()
    db.session.expire(post, ["upvote_count", "downvote_count", "score"])
    return new_score, value


def add_imported_votes(post, ups, downs=0, source="import"):
    """Add votes without a voter (imported or demo votes) and move score and points."""
    if not ups and not downs:
        return
    db.session.execute(insert(Vote), [
        {"post_id": post.id, "voter_id": None, "value": v, "source": source}
        for v in [1] * ups + [-1] * downs
    ])
    new_ups, new_downs = db.session.execute(
        update(Post).where(Post.id == post.id)
        .values(upvote_count=Post.upvote_count + ups, downvote_count=Post.downvote_count + downs,
                score=Post.score + ups - downs)
        .returning(Post.upvote_count, Post.downvote_count)
    ).one()
    points.vote_changed(post, 0, 0, (new_ups - ups, new_downs - downs), (new_ups, new_downs), None)
    db.session.expire(post, ["upvote_count", "downvote_count", "score"])
