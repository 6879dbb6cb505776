"""Categories: the tree, look-ups, and question counts that include sub-categories."""
from flask import g, has_app_context
from sqlalchemy import select, update

from forum.extensions import db
from forum.models import MAX_DEPTH, Category
from forum.services import row_locks
from forum.services.errors import ValidationFailed
from forum.text import slugify


def all_categories():
    """Return every category ordered for display, loaded once per app context."""
    if has_app_context() and "forum_categories" in g:
        return g.forum_categories
    rows = list(db.session.scalars(select(Category).order_by(Category.position, Category.title)))
    if has_app_context():
        g.forum_categories = rows
    return rows


def forget_cached():
    if has_app_context():
        g.pop("forum_categories", None)


def by_id():
    return {category.id: category for category in all_categories()}


def get_by_slug(slug):
    return next((c for c in all_categories() if c.slug == slug), None)


def ancestors(category):
    """Return the category's chain from itself up to its root."""
    index = by_id()
    chain, current = [], category
    while current is not None and len(chain) <= MAX_DEPTH:
        chain.append(current)
        current = index.get(current.parent_id)
    return chain


def descendant_ids(category):
    """Return the ids of the category and all categories below it."""
    children = {}
    for c in all_categories():
        children.setdefault(c.parent_id, []).append(c.id)
    ids, stack = [], [category.id]
    while stack:
        current = stack.pop()
        ids.append(current)
        stack.extend(children.get(current, []))
    return ids


def choices():
    """Return (id, label) pairs in tree order, labels indented by depth."""
    children = {}
    for c in all_categories():
        children.setdefault(c.parent_id, []).append(c)
    result = []

    def walk(parent_id, depth):
        for c in children.get(parent_id, []):
            result.append((c.id, "\u2003" * depth + c.title))
            walk(c.id, depth + 1)

    walk(None, 0)
    return result


def roots():
    return [c for c in all_categories() if c.parent_id is None]


def children_of(category):
    return [c for c in all_categories() if c.parent_id == category.id]


def create_category(title, slug=None, parent=None, description="", position=None):
    """Create a category under ``parent`` (at most four levels deep).

    :raise ValidationFailed: when the slug is taken or the tree would be too deep.
    """
    title = (title or "").strip()
    if not title or len(title) > 80:
        raise ValidationFailed(errors={"title": ["Give the category a title of up to 80 characters."]})
    slug = slugify(slug or title, max_length=80)
    if db.session.scalar(select(Category.id).where(Category.slug == slug)) is not None:
        raise ValidationFailed(errors={"slug": ["Another category uses this slug."]})
    if parent is not None and len(ancestors(parent)) >= MAX_DEPTH:
        raise ValidationFailed(errors={"parent": [f"Categories nest at most {MAX_DEPTH} levels deep."]})
    if position is None:
        position = len(all_categories())
    category = Category(title=title, slug=slug, parent_id=parent.id if parent else None,
                        description=description or "", position=position)
    db.session.add(category)
    db.session.flush()
    forget_cached()
    return category


def change_question_counts(category, delta):
    """Move the counts of the category and all its ancestors by ``delta`` in SQL."""
    if category is None:
        return
    ids = row_locks.lock_rows(Category, [c.id for c in ancestors(category)])
    db.session.execute(
        update(Category).where(Category.id.in_(ids)).values(
            question_count=Category.question_count + delta
        )
    )
