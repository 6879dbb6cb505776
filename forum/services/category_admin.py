"""Category administration: create, edit, move, reorder, merge and delete, audited.

Every change keeps the question counts right (a recount of the old and new
ancestors) and writes an audit entry in the same transaction. Functions flush;
the caller commits.
"""
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError

from forum.extensions import db
from forum.models import MAX_DEPTH, Category, Post, Revision
from forum.services import audit, categories, counters, row_locks
from forum.services.errors import Conflict, ValidationFailed
from forum.text import has_control_characters, slugify

TITLE_MAX = 80
SLUG_MAX = 80
DESCRIPTION_MAX = 500

SLUG_TAKEN = "Another category uses this slug."


# --- Reading the tree --------------------------------------------------------

def depth_of(category):
    """Return the category's level: 1 for a top-level category."""
    return len(categories.ancestors(category))


def height_of(category):
    """Return how many levels the category's subtree spans, itself included."""
    children = {}
    for c in categories.all_categories():
        children.setdefault(c.parent_id, []).append(c.id)
    height, level = 0, [category.id]
    while level:
        height += 1
        level = [child for current in level for child in children.get(current, [])]
    return height


def siblings_of(category):
    """Return the category and its siblings in display order."""
    return [c for c in categories.all_categories() if c.parent_id == category.parent_id]


def question_total(category_ids):
    """Count the questions of any status (visible, queued, hidden...) in these categories."""
    return db.session.scalar(
        select(func.count(Post.id)).where(Post.category_id.in_(list(category_ids)))
    ) or 0


# --- Steps ---------------------------------------------------------------------

def _lock(*category_ids):
    """Lock the categories' rows (in id order, so two admins cannot deadlock) and reload them.

    Reloading matters on PostgreSQL: another admin may have moved one of them since
    this request read the tree.
    """
    ids = sorted({i for i in category_ids if i is not None})
    if ids:
        db.session.scalars(
            select(Category).where(Category.id.in_(ids)).order_by(Category.id).with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    categories.forget_cached()


def _clean_title(title, errors):
    title = " ".join((title or "").split())
    if not title or len(title) > TITLE_MAX:
        errors["title"] = [f"Give the category a title of up to {TITLE_MAX} characters."]
    elif has_control_characters(title):
        errors["title"] = ["Remove the invisible control characters from the title."]
    return title


def _clean_description(description, errors):
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = [f"Keep the description under {DESCRIPTION_MAX} characters."]
    elif has_control_characters(description):
        errors["description"] = ["Remove the invisible control characters from the description."]
    return description


def _slug_taken(slug, other_than=None):
    query = select(Category.id).where(Category.slug == slug)
    if other_than is not None:
        query = query.where(Category.id != other_than.id)
    return db.session.scalar(query) is not None


def _flush_or_slug_clash():
    """Flush; a unique-slug race with another admin becomes a slug error."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise ValidationFailed(errors={"slug": [SLUG_TAKEN]}) from None


def _append_position(parent_id, exclude_id=None):
    """Return a position after every current child of ``parent_id``."""
    positions = [c.position for c in categories.all_categories()
                 if c.parent_id == parent_id and c.id != exclude_id]
    return max(positions, default=-1) + 1


def _summary(category):
    return {"category_id": category.id, "slug": category.slug, "title": category.title}


def _recount(*category_ids):
    categories.forget_cached()
    counters.refresh_categories([i for i in category_ids if i is not None])


# --- Actions -------------------------------------------------------------------

def create_category(actor, title, slug=None, parent=None, description=""):
    """Create a category under ``parent`` (None for the top level) and audit it.

    :raise ValidationFailed: for a bad title or description, a taken slug, or a fifth level.
    """
    errors = {}
    title = _clean_title(title, errors)
    description = _clean_description(description, errors)
    if errors:
        raise ValidationFailed(errors=errors)
    if parent is not None:
        _lock(parent.id)
    try:
        with db.session.begin_nested():
            category = categories.create_category(
                title, slug=(slug or "").strip() or None, parent=parent, description=description,
                position=_append_position(parent.id if parent else None),
            )
    except IntegrityError:
        categories.forget_cached()
        raise ValidationFailed(errors={"slug": [SLUG_TAKEN]}) from None
    audit.record(actor, "category-create", **_summary(category),
                 parent_id=parent.id if parent else None)
    db.session.flush()
    return category


def edit_category(actor, category, title, slug, description):
    """Change the title, slug and description; return the names of the changed fields.

    A blank slug is made from the title. Slugs stay globally unique; the old slug
    stops working, so the audit entry keeps it.

    :raise ValidationFailed: for a bad title or description, or a slug in use.
    """
    errors = {}
    title = _clean_title(title, errors)
    description = _clean_description(description, errors)
    slug = slugify((slug or "").strip() or title, max_length=SLUG_MAX)
    if "slug" not in errors and slug != category.slug and _slug_taken(slug, other_than=category):
        errors["slug"] = [SLUG_TAKEN]
    if errors:
        raise ValidationFailed(errors=errors)
    old = {"title": category.title, "slug": category.slug, "description": category.description}
    new = {"title": title, "slug": slug, "description": description}
    changed = [key for key in old if old[key] != new[key]]
    if not changed:
        return []
    category.title, category.slug, category.description = title, slug, description
    _flush_or_slug_clash()
    audit.record(actor, "category-edit", category_id=category.id,
                 **{f"old_{key}": old[key] for key in changed},
                 **{f"new_{key}": new[key] for key in changed})
    db.session.flush()
    categories.forget_cached()
    return changed


def move_category(actor, category, new_parent):
    """Move ``category`` (with its subtree) under ``new_parent``, or to the top level for None.

    Returns False when it is already there.

    :raise ValidationFailed: when the new parent is the category itself or below it, or
        the subtree would end up deeper than MAX_DEPTH levels.
    """
    new_parent_id = new_parent.id if new_parent is not None else None
    _lock(category.id, category.parent_id, new_parent_id)
    if new_parent_id == category.parent_id:
        return False
    old_parent_id = category.parent_id
    if new_parent is not None and new_parent.id in categories.descendant_ids(category):
        raise ValidationFailed(errors={"parent": [
            "A category can't move under itself or one of its own sub-categories."]})
    levels = (depth_of(new_parent) if new_parent is not None else 0) + height_of(category)
    if levels > MAX_DEPTH:
        raise ValidationFailed(errors={"parent": [
            f"There it would reach {levels} levels deep (with its sub-categories); "
            f"categories nest at most {MAX_DEPTH} levels."]})
    category.position = _append_position(new_parent_id, exclude_id=category.id)
    category.parent_id = new_parent_id
    db.session.flush()
    _recount(old_parent_id, category.id)
    audit.record(actor, "category-move", **_summary(category),
                 old_parent_id=old_parent_id, new_parent_id=new_parent_id)
    db.session.flush()
    return True


def reorder_category(actor, category, direction):
    """Swap the category with its sibling above ("up") or below ("down").

    Returns False when it is already first or last.

    :raise ValidationFailed: for a direction other than "up" or "down".
    """
    if direction not in ("up", "down"):
        raise ValidationFailed(errors={"direction": ["Choose up or down."]})
    _lock(category.id, category.parent_id)
    order = siblings_of(category)
    index = next(i for i, c in enumerate(order) if c.id == category.id)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(order):
        return False
    order[index], order[other] = order[other], order[index]
    # Number the siblings afresh: older categories may share a position.
    for position, sibling in enumerate(order):
        sibling.position = position
    db.session.flush()
    categories.forget_cached()
    audit.record(actor, "category-reorder", **_summary(category), direction=direction,
                 position=order.index(category))
    db.session.flush()
    return True


def merge_category(actor, source, target):
    """Move every question and sub-category of ``source`` into ``target``, then delete ``source``.

    Past revisions that named ``source`` name ``target`` instead, so a rollback
    still finds a category. Returns the number of questions moved.

    :raise ValidationFailed: when the target is the source or below it, or the moved
        sub-categories would end up deeper than MAX_DEPTH levels.
    """
    if target is None:
        raise ValidationFailed(errors={"target": ["Choose the category to merge into."]})
    # The questions it moves before the categories (README, "Row locks"): an edit or a
    # hide of one of them locks the question, then the categories whose counts it moves.
    row_locks.lock_rows(Post, db.session.scalars(select(Post.id).where(Post.category_id == source.id)))
    _lock(source.id, target.id, source.parent_id)
    if target.id in categories.descendant_ids(source):
        raise ValidationFailed(errors={"target": [
            "A category can't be merged into itself or one of its own sub-categories."]})
    # Source's children become target's children: one level below the target.
    levels = depth_of(target) + height_of(source) - 1
    if levels > MAX_DEPTH:
        raise ValidationFailed(errors={"target": [
            f"Its sub-categories would reach {levels} levels deep there; "
            f"categories nest at most {MAX_DEPTH} levels."]})
    summary = {**_summary(source), "target_id": target.id, "target_slug": target.slug}
    old_parent_id = source.parent_id
    moved = db.session.execute(
        update(Post).where(Post.category_id == source.id).values(category_id=target.id)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    db.session.execute(
        update(Revision).where(Revision.category_id == source.id).values(category_id=target.id)
        .execution_options(synchronize_session="fetch")
    )
    children = [c for c in categories.all_categories() if c.parent_id == source.id]
    start = _append_position(target.id)
    for offset, child in enumerate(children):
        child.parent_id = target.id
        child.position = start + offset
    db.session.flush()
    db.session.execute(delete(Category).where(Category.id == source.id)
                       .execution_options(synchronize_session="fetch"))
    db.session.flush()
    _recount(old_parent_id, target.id)
    audit.record(actor, "category-merge", **summary, questions_moved=moved,
                 subcategories_moved=[c.id for c in children])
    db.session.flush()
    return moved


def delete_category(actor, category):
    """Delete an empty category: no sub-categories and no questions of any status.

    Past revisions that named it keep their text but no longer name a category.

    :raise Conflict: when it still holds sub-categories or questions (nothing changes).
    """
    _lock(category.id, category.parent_id)
    subcategories = len(categories.descendant_ids(category)) - 1
    if subcategories:
        raise Conflict(
            f"“{category.title}” still has {subcategories} sub-categor"
            f"{'y' if subcategories == 1 else 'ies'}; move, merge or delete them first."
        )
    held = question_total([category.id])
    if held:
        raise Conflict(
            f"“{category.title}” still holds {held} question{'' if held == 1 else 's'} "
            "(counting hidden and queued ones); merge it into another category instead."
        )
    summary = _summary(category)
    parent_id = category.parent_id
    db.session.execute(
        update(Revision).where(Revision.category_id == category.id).values(category_id=None)
        .execution_options(synchronize_session="fetch")
    )
    db.session.execute(delete(Category).where(Category.id == category.id)
                       .execution_options(synchronize_session="fetch"))
    db.session.flush()
    _recount(parent_id)
    audit.record(actor, "category-delete", **summary, parent_id=parent_id)
    db.session.flush()
    return True
