"""The one moderation queue: open items by priority, claimed, resolved or escalated."""
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.models import OPEN_STATES, Post, QueueItem, utcnow
from forum.services import audit
from forum.services.errors import ValidationFailed

PRIORITY = {"risk": 100, "approval": 50, "flag": 10}
OUTCOMES = ("dismiss", "approve", "reject", "hide", "delete", "edit")


def open_item(kind, post):
    return db.session.scalar(
        select(QueueItem).where(QueueItem.kind == kind, QueueItem.post_id == post.id,
                                QueueItem.state.in_(OPEN_STATES))
    )


def enqueue(kind, post, cause=None, priority=None):
    """Open an item for ``post`` (or raise the priority of the open one); return it."""
    item = open_item(kind, post)
    priority = PRIORITY[kind] if priority is None else priority
    if item is None:
        item = QueueItem(kind=kind, post_id=post.id, priority=priority, cause=cause, state="new")
        db.session.add(item)
    else:
        item.priority = max(item.priority, priority)
        if cause and cause not in (item.cause or ""):
            item.cause = f"{item.cause}; {cause}"[:200] if item.cause else cause
    db.session.flush()
    return item


def open_items(kind=None, limit=100):
    """Open items, highest priority first, then oldest first, with their posts and authors."""
    query = (
        select(QueueItem).where(QueueItem.state.in_(OPEN_STATES))
        .options(joinedload(QueueItem.post).joinedload(Post.author), joinedload(QueueItem.claimed_by))
        .order_by(QueueItem.priority.desc(), QueueItem.created_at, QueueItem.id)
        .limit(limit)
    )
    if kind:
        query = query.where(QueueItem.kind == kind)
    return list(db.session.scalars(query))


def get_item(item_id):
    return db.session.scalar(
        select(QueueItem).where(QueueItem.id == item_id)
        .options(joinedload(QueueItem.post).joinedload(Post.author))
    )


def _add_note(item, moderator, note):
    note = " ".join((note or "").split())[:500]
    if note:
        stamp = utcnow().strftime("%Y-%m-%d %H:%M")
        item.notes = f"{item.notes}\n{stamp} {moderator.username}: {note}".strip()


def claim(moderator, item):
    """Take an item so other moderators know someone is on it."""
    if item.state == "resolved":
        raise ValidationFailed("That item is already resolved.")
    if item.state == "claimed" and item.claimed_by_id == moderator.id:
        return
    item.state, item.claimed_by_id, item.claimed_at = "claimed", moderator.id, utcnow()
    audit.record(moderator, "queue-claim", post=item.post, item=item.id, kind=item.kind)
    db.session.flush()


def escalate(moderator, item, note):
    if item.state == "resolved":
        raise ValidationFailed("That item is already resolved.")
    item.state = "escalated"
    _add_note(item, moderator, note)
    audit.record(moderator, "queue-escalate", post=item.post, reason=note, item=item.id)
    db.session.flush()


def close_item(moderator, item, outcome, note=None):
    """Mark an item resolved with its outcome (the caller has carried the outcome out)."""
    if item.state == "resolved":
        raise ValidationFailed("That item is already resolved.")
    item.state, item.outcome = "resolved", outcome
    item.resolved_by_id = moderator.id if moderator is not None else None
    item.resolved_at = utcnow()
    if moderator is not None:
        _add_note(item, moderator, note)
    audit.record(moderator, "queue-resolve", post=item.post, reason=note, item=item.id,
                 kind=item.kind, outcome=outcome)
    db.session.flush()


def resolve_open_items(moderator, post, outcome, note=None):
    """Resolve every open item of ``post`` (e.g. when a moderator hides it directly)."""
    for item in db.session.scalars(
        select(QueueItem).where(QueueItem.post_id == post.id, QueueItem.state.in_(OPEN_STATES))
    ):
        close_item(moderator, item, outcome, note)
