"""Row locks taken in one global order, so writes that meet wait instead of deadlocking.

On PostgreSQL a write that touches several rows of a table takes them in ascending id
(a thread's question before its answers and comments, which come after it), and takes
members after posts, categories and tags after members (README, "Row locks"). FOR NO KEY
UPDATE: no key changes here, and the stronger FOR UPDATE would also block every insert
whose foreign key points at the row. SQLite writes one transaction at a time and ignores
the clause.
"""
from sqlalchemy import select

from forum.extensions import db
from forum.models import Post


def lock_rows(model, ids):
    """Lock the rows of ``model`` with these ids (None is skipped) in ascending id order;
    return the ids, sorted."""
    ids = sorted({i for i in ids if i is not None})
    if ids:
        db.session.execute(select(model.id).where(model.id.in_(ids)).order_by(model.id)
                           .with_for_update(key_share=True))
    return ids


def lock_thread_rows(post):
    """Lock the post and its thread's question (the question first: its id is lower)."""
    return lock_rows(Post, [post.question_id, post.id])
