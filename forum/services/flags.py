"""Flags: members report posts; enough distinct flags hide a post until a moderator decides."""
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from forum.extensions import db
from forum.models import Flag, Post
from forum.services import curation, queue, row_locks, settings
from forum.services.errors import ValidationFailed

REASONS = {
    "spam": "Spam or advertising",
    "rude": "Rude or abusive",
    "not-an-answer": "Not an answer",
    "other": "Something else",
}


def flags_on(post):
    """The flags on a post, oldest first (moderators only: flaggers stay private)."""
    if post is None:
        return []
    return list(db.session.scalars(select(Flag).where(Flag.post_id == post.id).order_by(Flag.created_at)))


def has_flagged(member, post):
    return db.session.scalar(
        select(Flag.id).where(Flag.flagger_id == member.id, Flag.post_id == post.id)
    ) is not None


def flag_post(member, post, reason, note=None):
    """Record ``member``'s flag; queue the post; hide it at the threshold.

    :raise ValidationFailed: for one's own post, a second flag, or an unknown reason.
    """
    if reason not in REASONS:
        raise ValidationFailed("Choose a reason.", errors={"reason": ["Choose one of the reasons."]})
    if post.author_id == member.id:
        raise ValidationFailed("You can't flag your own post; you can edit or delete it instead.")
    note = " ".join((note or "").split())[:300] or None
    if reason == "other" and not note:
        raise ValidationFailed("Say what is wrong.", errors={"note": ["Tell the moderators what is wrong."]})
    row_locks.lock_thread_rows(post)
    try:
        with db.session.begin_nested():
            db.session.add(Flag(post_id=post.id, flagger_id=member.id, reason=reason, note=note))
            db.session.flush()
    except IntegrityError:
        raise ValidationFailed("You have already flagged this post; the moderators will look at it.") from None
    count = db.session.execute(
        update(Post).where(Post.id == post.id).values(flag_count=Post.flag_count + 1).returning(Post.flag_count)
    ).scalar_one()
    db.session.expire(post, ["flag_count"])
    queue.enqueue("flag", post, cause=REASONS[reason], priority=queue.PRIORITY["flag"] + 5 * count)
    threshold = settings.get("flags_to_hide")
    if threshold and count >= threshold and post.status == "visible":
        curation.set_status(None, post, "hidden",
                            f"Hidden automatically after {count} flags, until a moderator decides.",
                            "auto-hide")
    db.session.flush()
    return count
