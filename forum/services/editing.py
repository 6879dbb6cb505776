"""Editing posts: every save is a revision; rollback, silent edits and redaction."""
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.markup import RENDERER_VERSION, render_markdown
from forum.models import Question, Revision, Tag, post_tags, utcnow
from forum.services import approval, audit, categories, notifications, posting, row_locks, safety, search
from forum.services import tags as tags_service
from forum.services.errors import ValidationFailed


def current_tags(post):
    if not isinstance(post, Question):
        return []
    return list(db.session.scalars(
        select(Tag).join(post_tags, post_tags.c.tag_id == Tag.id).where(post_tags.c.post_id == post.id)
        .order_by(Tag.name)
    ))


def edit_post(editor, post, *, title=None, body=None, tag_text=None, category=None,
              change_category=False, reason=None, silent=False, action="edit"):
    """Save a new revision of ``post``; return it.

    Only the given parts change (``change_category`` says whether ``category``, which
    may be None, is meant). Audited when someone other than the author edits, or
    when the edit is silent.

    :raise ValidationFailed: with field errors, or when nothing would change.
    """
    # The post (after its question) before anything else, as every write takes them
    # (README, "Row locks"), read again: a hide or another edit of it waits, and this
    # edit starts from what they saved.
    row_locks.lock_thread_rows(post)
    db.session.refresh(post)
    errors = {}
    is_question = isinstance(post, Question)
    new_title = posting.clean_title(title, errors) if is_question and title is not None else post.title
    new_body = posting.clean_body(post.type, body, errors) if body is not None else post.body
    if body is not None and new_body != post.body and "body" not in errors:
        # The same link limit as posting, or a new member could add the links afterwards.
        posting.check_links(editor, render_markdown(new_body), errors)
    old_tag_rows = current_tags(post)
    old_tags = [tag.name for tag in old_tag_rows]
    new_tags = old_tags
    if is_question and tag_text is not None:
        new_tags, problems = tags_service.parse_tags(tag_text)
        if problems:
            errors["tags"] = problems
    new_category_id = post.category_id
    if is_question and change_category:
        new_category_id = category.id if category is not None else None
        if category is None and categories.all_categories():
            errors["category"] = ["Choose the category that fits best."]
    reason = " ".join((reason or "").split())[:200] or None
    posting.raise_if(errors)
    if (new_title, new_body, sorted(new_tags), new_category_id) == (
        post.title, post.body, sorted(old_tags), post.category_id
    ):
        raise ValidationFailed("Nothing changed.", errors={"body": ["Nothing changed, so nothing was saved."]})

    now = utcnow()
    number = (db.session.scalar(select(func.max(Revision.number)).where(Revision.post_id == post.id)) or 0) + 1
    if new_body != post.body:
        post.body = new_body
        post.body_html = render_markdown(new_body)
        post.body_renderer_version = RENDERER_VERSION
    post.title = new_title
    if is_question and new_category_id != post.category_id:
        index = categories.by_id()
        if post.status == "visible":
            categories.change_question_counts(index.get(post.category_id), -1)
            categories.change_question_counts(index.get(new_category_id), +1)
        post.category_id = new_category_id
    if is_question and sorted(new_tags) != sorted(old_tags):
        _retag(post, old_tag_rows, new_tags)
    if not silent:
        post.edited_at = now
        post.edited_by_id = editor.id if editor is not None else None
    revision = Revision(
        post_id=post.id, number=number, title=post.title, body=post.body,
        tags=" ".join(new_tags), category_id=post.category_id,
        editor_id=editor.id if editor is not None else None, reason=reason,
        created_at=now, is_silent=silent,
    )
    db.session.add(revision)
    db.session.flush()
    approval.hold_after_edit(editor, post)
    safety.flag_crisis(post)
    search.reindex_question(post.question_id or post.id)
    if body is not None:
        notifications.notify_mentions(post)
    if silent or editor is None or editor.id != post.author_id:
        audit.record(editor, "silent-edit" if silent else action, post=post, reason=reason,
                     revision=number)
    db.session.flush()
    return revision


def _retag(question, old_tags, new_names):
    old_by_name = {tag.name: tag for tag in old_tags}
    removed = [old_by_name[name] for name in old_by_name if name not in new_names]
    added = [name for name in new_names if name not in old_by_name]
    new = tags_service.get_or_create_tags(added) if added else []
    if question.status == "visible":
        tags_service.lock([*removed, *new])  # the counts going down and up, in one order
    if removed:
        db.session.execute(delete(post_tags).where(post_tags.c.post_id == question.id,
                                                   post_tags.c.tag_id.in_([tag.id for tag in removed])))
        if question.status == "visible":
            tags_service.change_question_counts(removed, -1)
    if new:
        db.session.execute(insert(post_tags), [{"post_id": question.id, "tag_id": t.id} for t in new])
        if question.status == "visible":
            tags_service.change_question_counts(new, +1)
    db.session.expire(question, ["tags"])


def revisions_of(post):
    """Return the post's revisions, oldest first, with their editors."""
    return list(db.session.scalars(
        select(Revision).where(Revision.post_id == post.id)
        .options(joinedload(Revision.editor)).order_by(Revision.number)
    ))


def get_revision(post, number):
    return db.session.scalar(select(Revision).where(Revision.post_id == post.id, Revision.number == number))


def rollback_to(moderator, post, revision, reason=None):
    """Make a revision's content current again, as a new revision.

    :raise ValidationFailed: when it already is the current content.
    """
    category = categories.by_id().get(revision.category_id) if revision.category_id else None
    try:
        return edit_post(
            moderator, post,
            title=revision.title if isinstance(post, Question) else None,
            body=revision.body,
            tag_text=revision.tags if isinstance(post, Question) else None,
            category=category, change_category=isinstance(post, Question),
            reason=reason or f"Rolled back to revision {revision.number}", action="rollback",
        )
    except ValidationFailed as error:
        if error.message == "Nothing changed.":
            raise ValidationFailed("That revision is already the current text; nothing to roll back.") from None
        raise


def redact_revision(moderator, post, revision, reason):
    """Hide a past revision from everyone but moderators (audited).

    :raise ValidationFailed: without a reason, for the current revision, or if already redacted.
    """
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed("Say why.", errors={"reason": ["Give a reason for the audit log."]})
    latest = db.session.scalar(select(func.max(Revision.number)).where(Revision.post_id == post.id))
    if revision.number == latest:
        raise ValidationFailed(
            "The current text can't be redacted: edit the post first, then redact the old revision."
        )
    if revision.is_redacted:
        raise ValidationFailed("That revision is already redacted.")
    revision.is_redacted = True
    revision.redacted_at = utcnow()
    revision.redacted_by_id = moderator.id
    audit.record(moderator, "redact", post=post, reason=reason, revision=revision.number)
    db.session.flush()
