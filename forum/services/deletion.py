"""Deleting one's account: hidden at once, restorable during a grace period, then purged.

Deleting disables and hides the account and ends every session. With "remove my
posts", the member's own titles and bodies (and every revision of those posts) are
replaced at once by REMOVED_TEXT, so every page, feed and the search index stop
showing them in the same transaction; the originals go to ``removed_texts``, which no
page reads, so logging in within the grace period can put them back. The rows,
their votes and best-answer selections stay, so nobody else's points move.

The purge, after the grace period, erases what identifies the member: email,
username (a random pseudonym replaces it), password, IP addresses, tokens,
preferences, follows, notifications, exports and the kept texts. Votes they cast
stay without a voter. Mentions of them in anyone's posts stay as plain text.
"""
import re
import secrets
from datetime import timedelta

from sqlalchemy import delete, func, or_, select, update

from forum.extensions import db
from forum.markup import MENTION_PATTERN, RENDERER_VERSION, render_markdown
from forum.models import (
    Credential,
    DataExport,
    Flag,
    Follow,
    Level,
    MemberSession,
    ModerationAction,
    Notification,
    OutboxMessage,
    Post,
    QueueItem,
    RemovedText,
    Revision,
    RiskReport,
    Sanction,
    User,
    Vote,
    utcnow,
)
from forum.services import accounts, audit, points, row_locks, search, settings
from forum.services.errors import ValidationFailed
from forum.text import canonical

MODES = {
    "anonymise": "Keep my posts, shown as written by “deleted member”",
    "remove": "Remove my posts' titles and texts (replies and votes by others stay)",
}
REMOVED_TEXT = "[removed by its author]"
PSEUDONYM_PREFIX = "deleted-member-"
#: How others' notifications and emails name a purged member.
DELETED_NAME = "deleted member"
#: Models whose rows only describe the member (their devices and logins, their professional
#: registration); the purge deletes the member's rows.
PERSONAL_MODELS = (MemberSession, Credential)
_MENTION_RE = re.compile(MENTION_PATTERN, re.UNICODE)
#: Code in Markdown, where an @name is never a link and must stay untouched.
_CODE_RE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`|^(?: {4}|\t).*$", re.S | re.M)


def grace_period():
    return timedelta(days=settings.get("account_deletion_grace_days"))


def restorable_until(user):
    """When the grace period of a deleted account ends (None if not deleted)."""
    return user.deleted_at + grace_period() if user.deleted_at is not None else None


def in_grace(user, now=None):
    """Tell whether logging in would still restore this deleted account."""
    if user.deleted_at is None or user.purged_at is not None:
        return False
    return (now or utcnow()) < restorable_until(user)


# --- Deleting and restoring -------------------------------------------------------------

def delete_account(user, password, mode):
    """Disable and hide ``user`` at once, end every session, and remove texts if asked.

    :raise ValidationFailed: wrong password or an unknown mode (nothing changes).
    """
    errors = {}
    if not user.password_hash or not accounts.verify_password(user.password_hash, password or ""):
        errors["password"] = ["That is not your password, so your account was not deleted."]
    if mode not in MODES:
        errors["mode"] = ["Choose what happens to your posts."]
    if user.deleted_at is not None:
        errors["mode"] = ["This account is already deleted."]
    if errors:
        raise ValidationFailed(errors=errors)
    if mode == "remove":
        _remove_texts(user)
    user.deleted_at = utcnow()
    user.deletion_mode = mode
    _stop_pending_email(user)
    db.session.execute(
        update(User).where(User.id == user.id).values(session_epoch=User.session_epoch + 1)
    )
    audit.record(user, "account-delete", user=user, mode=mode)
    db.session.flush()
    db.session.refresh(user, ["session_epoch"])


def restore_account(user):
    """Undo a deletion within the grace period: the account, its posts' texts, its email."""
    if user.deleted_at is None:
        return
    _restore_texts(user)
    user.deleted_at = None
    user.deletion_mode = None
    audit.record(user, "account-restore", user=user)
    db.session.flush()


def _own_posts(user):
    return list(db.session.scalars(select(Post).where(Post.author_id == user.id).order_by(Post.id)))


def _question_ids(posts):
    return {post.question_id or post.id for post in posts}


def _remove_texts(user):
    """Replace the member's titles and bodies (and their posts' revisions), keeping the originals."""
    posts = _own_posts(user)
    if not posts:
        return
    ids = [post.id for post in posts]
    removed_html = render_markdown(REMOVED_TEXT)
    for post in posts:
        db.session.add(RemovedText(user_id=user.id, post_id=post.id, title=post.title, body=post.body))
        post.title = REMOVED_TEXT if post.title is not None else None
        post.body, post.body_html = REMOVED_TEXT, removed_html
        post.body_renderer_version = RENDERER_VERSION
    for revision in db.session.scalars(select(Revision).where(Revision.post_id.in_(ids))):
        db.session.add(RemovedText(user_id=user.id, revision_id=revision.id, title=revision.title,
                                   body=revision.body))
        revision.title = REMOVED_TEXT if revision.title is not None else None
        revision.body = REMOVED_TEXT
    db.session.flush()
    for question_id in _question_ids(posts):
        search.reindex_question(question_id)


def _restore_texts(user):
    """Put back the kept texts; a post someone edited since keeps the newer text."""
    kept = list(db.session.scalars(select(RemovedText).where(RemovedText.user_id == user.id)))
    if not kept:
        return
    touched = set()
    for row in kept:
        target = db.session.get(Post, row.post_id) if row.post_id else db.session.get(Revision, row.revision_id)
        if target is not None and target.body == REMOVED_TEXT:
            target.title, target.body = row.title, row.body
            if isinstance(target, Post):
                target.body_html = render_markdown(row.body)
                target.body_renderer_version = RENDERER_VERSION
                touched.add(target.question_id or target.id)
        db.session.delete(row)
    db.session.flush()
    for question_id in touched:
        search.reindex_question(question_id)


def _stop_pending_email(user):
    """Emails not yet sent to the member are dropped (a restore does not resend them)."""
    if user.email:
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.sent_at.is_(None),
                   func.lower(OutboxMessage.to_address) == user.email.lower())
            .values(sent_at=utcnow(), skipped=True)
        )


# --- The purge ------------------------------------------------------------------------------

def due_for_purge(now=None):
    """Deleted accounts whose grace period is over and that are not purged yet."""
    cutoff = (now or utcnow()) - grace_period()
    return list(db.session.scalars(
        select(User).where(User.deleted_at.is_not(None), User.deleted_at <= cutoff, User.purged_at.is_(None))
        .order_by(User.id)
    ))


def purge_due(now=None, dry_run=False):
    """Purge every account past its grace period; return the pseudonyms (or, dry, the ids)."""
    users = due_for_purge(now)
    if dry_run:
        return [user.id for user in users]
    return [purge_account(user) for user in users]


def pseudonym():
    """A fresh "deleted-member-7f3a9c": random, so it says nothing about the old name or id."""
    while True:
        name = PSEUDONYM_PREFIX + secrets.token_hex(3)
        if db.session.scalar(select(User.id).where(User.username_canonical == canonical(name))) is None:
            return name


def purge_account(user):
    """Erase everything that identifies a deleted member; return their pseudonym.

    Only other members' points cannot change: votes stay (without a voter), posts,
    best answers and vote counts stay; the member's own stored points are recounted.
    """
    old_name, old_email, new_name = user.username, user.email, pseudonym()
    posts = _own_posts(user)
    # Their posts and those posts' questions, in id order, before the member (README, "Row locks").
    row_locks.lock_rows(Post, [post.id for post in posts] + list(_question_ids(posts)))
    if old_email:
        db.session.execute(delete(OutboxMessage).where(func.lower(OutboxMessage.to_address) == old_email.lower()))
    db.session.execute(update(Post).where(Post.author_id == user.id).values(ip_address=None))
    db.session.execute(update(Vote).where(Vote.voter_id == user.id).values(voter_id=None))
    db.session.execute(delete(Follow).where(or_(
        Follow.user_id == user.id, (Follow.target_type == "user") & (Follow.target_id == user.id))))
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))
    db.session.execute(delete(DataExport).where(DataExport.user_id == user.id))
    for model in PERSONAL_MODELS:
        db.session.execute(delete(model).where(model.user_id == user.id))
    _erase_copied_titles(user)
    db.session.execute(delete(RemovedText).where(RemovedText.user_id == user.id))
    db.session.execute(update(Flag).where(Flag.flagger_id == user.id).values(note=None))
    db.session.execute(update(RiskReport).where(RiskReport.reporter_id == user.id).values(reporter_id=None))
    user.username, user.username_canonical = new_name, canonical(new_name)
    user.email = user.email_canonical = user.password_hash = user.import_key = None
    user.email_verified_at = user.consented_at = user.last_login_at = user.break_until = None
    user.notify_prefs, user.muted_words, user.muted_categories = "{}", "[]", "[]"
    user.risk_alerts = False
    user.level = int(Level.BASIC)
    user.session_epoch = (user.session_epoch or 0) + 1
    user.purged_at = utcnow()
    db.session.flush()
    touched = _question_ids(posts) | unlink_mentions(old_name)
    _rename_in_texts(old_name, new_name)
    points.recompute([user.id])
    for question_id in touched:
        search.reindex_question(question_id)
    audit.record(None, "account-purge", user=user)
    db.session.flush()
    return new_name


def _erase_copied_titles(user):
    """Removed question titles were copied into others' notifications and emails: erase them there."""
    titles = set(db.session.scalars(select(RemovedText.title).where(
        RemovedText.user_id == user.id, RemovedText.post_id.is_not(None), RemovedText.title.is_not(None))))
    for title in titles:
        for model, columns in ((Notification, ("text",)), (OutboxMessage, ("subject", "body"))):
            attributes = [getattr(model, column) for column in columns]
            for row in db.session.scalars(select(model).where(
                    or_(*(a.contains(title, autoescape=True) for a in attributes)))):
                for column in columns:
                    setattr(row, column, (getattr(row, column) or "").replace(title, REMOVED_TEXT))
    db.session.flush()


def _outside_code(source, replace):
    """Apply ``replace`` to the parts of a Markdown source that are not code."""
    out, position = [], 0
    for match in _CODE_RE.finditer(source):
        out.append(replace(source[position:match.start()]))
        out.append(match.group(0))
        position = match.end()
    out.append(replace(source[position:]))
    return "".join(out)


def plain_mentions(source, name):
    """Write @name (any case) as "&#64;name": it still reads "@name" but is no longer a link."""
    key = canonical(name)

    def replace(text):
        return _MENTION_RE.sub(
            lambda m: "&#64;" + m.group(1) if canonical(m.group(1)) == key else m.group(0), text)

    return _outside_code(source, replace)


def unlink_mentions(name):
    """Turn links to ``name``'s old profile in every post into plain text; return question ids.

    The source keeps the words: "@name" becomes the HTML entity "&#64;name", which renders
    as the same text, is not a mention, and stays so when posts are re-rendered later.
    """
    candidates = select(Post).where(Post.body_html.contains('href="/users/', autoescape=True))
    if name.isascii():
        candidates = candidates.where(func.lower(Post.body).contains("@" + name.lower(), autoescape=True))
    touched = set()
    for post in db.session.scalars(candidates):
        body = plain_mentions(post.body, name)
        if body != post.body:
            post.body, post.body_html = body, render_markdown(body)
            post.body_renderer_version = RENDERER_VERSION
            touched.add(post.question_id or post.id)
    db.session.flush()
    return touched


def _rename_in_texts(old_name, new_name):
    """Name the member only by their pseudonym in the audit log and moderators' notes,
    and as "deleted member" in others' notifications and emails."""
    word = re.compile(r"(?<!\w)" + re.escape(old_name) + r"(?!\w)", re.IGNORECASE | re.UNICODE)
    for model, columns, replacement in (
        (ModerationAction, ("reason", "details"), new_name),
        (QueueItem, ("notes",), new_name),
        (Sanction, ("reason",), new_name),
        (User, ("block_reason",), new_name),
        (Notification, ("text",), DELETED_NAME),
        (OutboxMessage, ("subject", "body"), DELETED_NAME),
    ):
        attributes = [getattr(model, column) for column in columns]
        condition = or_(*(func.lower(a).contains(old_name.lower(), autoescape=True) for a in attributes)) \
            if old_name.isascii() else or_(*(a.is_not(None) for a in attributes))
        for row in db.session.scalars(select(model).where(condition)):
            for column in columns:
                value = getattr(row, column)
                if value:
                    setattr(row, column, word.sub(replacement, value))
    db.session.flush()
