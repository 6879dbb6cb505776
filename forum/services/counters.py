"""Recount denormalised counters after moderation moves posts in or out of view.

Posting moves counters by SQL increments; rarer changes (hide, delete, merge,
recategorise) recount the rows they touch. Each recount first locks the rows it
will write (``row_locks``), then counts in later statements, so it sees
every transaction that committed before it and nothing is counted twice.
"""
from sqlalchemy import func, select, union_all, update

from forum.extensions import db
from forum.models import Answer, Category, Comment, Post, Question, Tag, post_tags
from forum.models.types import as_utc
from forum.services import categories as categories_service
from forum.services.row_locks import lock_rows


def refresh_thread(question_id):
    """Recount a question's answers, every comment count in it, and its last activity."""
    lock_rows(Post, [question_id])
    db.session.execute(
        update(Question).where(Question.id == question_id).values(
            answer_count=select(func.count(Answer.id))
            .where(Answer.question_id == question_id, Answer.status == "visible")
            .scalar_subquery()
        )
    )
    parents = select(Post.id).where((Post.id == question_id) | (Post.question_id == question_id))
    for (parent_id,) in db.session.execute(parents.where(Post.type != "comment").order_by(Post.id)).all():
        db.session.execute(
            update(Post).where(Post.id == parent_id).values(
                comment_count=select(func.count(Comment.id))
                .where(Comment.parent_id == parent_id, Comment.status == "visible")
                .scalar_subquery()
            )
        )
    activity = union_all(
        select(Question.created_at.label("at")).where(Question.id == question_id),
        select(Post.created_at.label("at")).where(Post.question_id == question_id, Post.status == "visible"),
    ).subquery()
    newest = as_utc(db.session.scalar(select(func.max(activity.c.at))))
    if newest is not None:
        db.session.execute(update(Question).where(Question.id == question_id).values(last_activity_at=newest))


def refresh_categories(category_ids):
    """Recount the given categories and all their ancestors (visible questions, incl. sub-categories)."""
    index = categories_service.by_id()
    ids = set()
    for category_id in category_ids:
        if category_id in index:
            ids.update(c.id for c in categories_service.ancestors(index[category_id]))
    for category_id in lock_rows(Category, ids):
        below = categories_service.descendant_ids(index[category_id])
        db.session.execute(
            update(Category).where(Category.id == category_id).values(
                question_count=select(func.count(Question.id))
                .where(Question.category_id.in_(below), Question.status == "visible")
                .scalar_subquery()
            )
        )


def refresh_tags(tag_ids):
    """Recount visible questions for the given tags."""
    for tag_id in lock_rows(Tag, tag_ids):
        db.session.execute(
            update(Tag).where(Tag.id == tag_id).values(
                question_count=select(func.count(post_tags.c.post_id))
                .join(Question, Question.id == post_tags.c.post_id)
                .where(post_tags.c.tag_id == tag_id, Question.status == "visible")
                .scalar_subquery()
            )
        )


def tag_ids_of(question_id):
    return list(db.session.scalars(select(post_tags.c.tag_id).where(post_tags.c.post_id == question_id)))
