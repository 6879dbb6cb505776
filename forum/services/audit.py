"""The audit log: record each moderator and admin action in the action's transaction."""
import json

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.models import ModerationAction


def record(actor, action, post=None, user=None, reason=None, **details):
    """Add an audit entry for ``action`` by ``actor`` (None for the system)."""
    entry = ModerationAction(
        actor_id=actor.id if actor is not None else None,
        action=action,
        post_id=post.id if post is not None else None,
        user_id=user.id if user is not None else None,
        reason=(reason or None) and reason[:500],
        details=json.dumps(details, default=str, sort_keys=True),
    )
    db.session.add(entry)
    return entry


def entries(action=None, actor_id=None, post_id=None, user_id=None, page=1, per_page=50):
    """Return one page of the log, newest first, filtered; and whether more follow."""
    query = select(ModerationAction).options(
        joinedload(ModerationAction.actor), joinedload(ModerationAction.user)
    )
    if action:
        query = query.where(ModerationAction.action == action)
    if actor_id:
        query = query.where(ModerationAction.actor_id == actor_id)
    if post_id:
        query = query.where(ModerationAction.post_id == post_id)
    if user_id:
        query = query.where(ModerationAction.user_id == user_id)
    rows = list(db.session.scalars(
        query.order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc())
        .limit(per_page + 1).offset((page - 1) * per_page)
    ))
    return rows[:per_page], len(rows) > per_page


def actions_in_log():
    return list(db.session.scalars(select(ModerationAction.action).distinct().order_by(ModerationAction.action)))


def details_of(entry):
    try:
        return json.loads(entry.details or "{}")
    except ValueError:
        return {}
