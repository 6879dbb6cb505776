"""Who hears about what: in-site notifications and the emails queued with them."""
import json
import re

from flask import current_app
from sqlalchemy import func, select, update

from forum.extensions import db
from forum.markup import MENTION_PATTERN
from forum.models import Follow, Notification, Post, Question, User, utcnow
from forum.services import mail, settings
from forum.services.users import display_name
from forum.urls import external_url

#: What a member can choose to get by email (all on by default).
EMAIL_KINDS = {
    "answer": "A new answer to my question",
    "comment": "A comment on my post",
    "selected": "My answer chosen as the best",
    "moderation": "The outcome of my post awaiting approval",
    "followed": "New answers in questions I follow",
    "new-question": "New questions in categories and tags I follow",
    "mention": "Someone mentions me",
}
MENTION_RE = re.compile(MENTION_PATTERN, re.UNICODE)
_CODE = re.compile(r"```.*?```|~~~.*?~~~|`[^`\n]*`|^(?: {4}|\t).*$", re.S | re.M)
MAX_MENTIONS = 10


def prefs(user):
    try:
        stored = json.loads(user.notify_prefs or "{}")
    except ValueError:
        stored = {}
    return {kind: bool(stored.get(kind, True)) for kind in EMAIL_KINDS}


def set_prefs(user, chosen):
    user.notify_prefs = json.dumps({kind: kind in chosen for kind in EMAIL_KINDS}, sort_keys=True)
    db.session.flush()


def _post_url(post):
    if post.type == "question":
        return external_url("questions.show", question_id=post.id)
    return external_url("answers.show", answer_id=post.id if post.type == "answer" else post.parent_id)


def _question_title(post):
    question = post if post.type == "question" else db.session.get(Question, post.question_id)
    return question.title if question is not None else ""


def _delay():
    return current_app.config.get("NOTIFY_EMAIL_DELAY", 10)


def notify_member(user, kind, post, text, email_kind=None, immediate=False):
    """Add an in-site notification and, if the member wants it, its email."""
    if user is None or user.deleted_at is not None:
        return None  # a deleted account hears nothing, not even after a restore
    notification = Notification(user_id=user.id, kind=kind, post_id=post.id if post else None,
                                text=text[:300])
    db.session.add(notification)  # flushed with its email, by the caller's next flush or commit
    wants = prefs(user).get(email_kind or kind, True)
    if wants and user.email and user.email_verified_at is not None and not _on_break(user):
        unsubscribe = mail.unsubscribe_url(user_id=user.id)
        body = _email_body(text, post, unsubscribe)
        mail.queue_email(user.email, text, body, notification=notification,
                         unsubscribe=unsubscribe,
                         delay_minutes=0 if immediate else _delay())
    return notification


def _on_break(user):
    until = getattr(user, "break_until", None)
    return until is not None and until > utcnow()


def notify_guest(email, post, text):
    """Email a guest who left an address (they have no inbox)."""
    if email:
        unsubscribe = mail.unsubscribe_url(email=email)
        mail.queue_email(email, text, _email_body(text, post, unsubscribe), unsubscribe=unsubscribe)


def _email_body(text, post, unsubscribe=None):
    lines = [text, ""]
    if post is not None:
        lines += [f"Read it here: {_post_url(post)}", ""]
    lines.append(f"You get this email from {settings.get('site_name')} because of your notification settings.")
    if unsubscribe:
        lines.append(f"To stop these emails: {unsubscribe}")
    return "\n".join(lines)


def _author_of(post):
    return db.session.get(User, post.author_id) if post.author_id else None


def _tell_author(target, kind, text, exclude_id=None, link=None, email_kind=None):
    """Tell the author of ``target`` (member inbox + email, or a guest's email) about ``link``."""
    link = link or target
    if target.author_id is not None:
        if target.author_id != exclude_id:
            notify_member(_author_of(target), kind, link, text, email_kind)
    elif target.guest_email:
        notify_guest(target.guest_email, link, text)


# --- Events -------------------------------------------------------------------------

def post_published(post, actor_id=None):
    """Tell everyone concerned that ``post`` is now visible (on posting or on approval)."""
    if post.status != "visible":
        return
    if post.type == "answer":
        question = db.session.get(Question, post.question_id)
        title = question.title
        name = display_name(post).name
        _tell_author(question, "answer", f"{name} answered “{title}”", exclude_id=post.author_id, link=post)
        for follower in followers("question", question.id, exclude={post.author_id, question.author_id}):
            notify_member(follower, "followed-answer", post, f"A new answer to “{title}”", "followed")
        follow(_author_of(post), "question", question.id)
    elif post.type == "comment":
        parent = db.session.get(Post, post.parent_id)
        name = display_name(post).name
        _tell_author(parent, "comment", f"{name} commented on your post in “{_question_title(parent)}”",
                     link=post,
                     exclude_id=post.author_id)
    elif post.type == "question":
        follow(_author_of(post), "question", post.id)
        _tell_question_followers(post)
    notify_mentions(post)


def _tell_question_followers(question):
    from forum.models import post_tags

    tag_ids = list(db.session.scalars(select(post_tags.c.tag_id).where(post_tags.c.post_id == question.id)))
    seen = {question.author_id}
    targets = [("category", question.category_id)] + [("tag", tag_id) for tag_id in tag_ids]
    for target_type, target_id in targets:
        if target_id is None:
            continue
        for follow_row, user in db.session.execute(
            select(Follow, User).join(User, User.id == Follow.user_id)
            .where(Follow.target_type == target_type, Follow.target_id == target_id)
        ):
            if user.id in seen:
                continue
            seen.add(user.id)
            if follow_row.mode == "instant":
                notify_member(user, "new-question", question, f"New question: “{question.title}”")
    if question.author_id and not question.is_anonymous:
        author = db.session.get(User, question.author_id)
        for follower in followers("user", question.author_id, exclude=seen):
            notify_member(follower, "new-question", question, f"{author.username} asked “{question.title}”")


def answer_selected(question, answer):
    if answer is not None and answer.author_id != question.author_id:
        _tell_author(answer, "selected", f"Your answer to “{question.title}” was chosen as the best answer")


def moderation_outcome(post, approved, note=None):
    title = _question_title(post)
    if approved:
        text = f"Your post in “{title}” was approved and is now public"
    else:
        text = f"Your post in “{title}” was not approved" + (f": {note}" if note else "")
    _tell_author(post, "approved" if approved else "rejected", text, email_kind="moderation")


def mentioned_names(source):
    """The @names in a Markdown source, outside code, at most MAX_MENTIONS."""
    names = []
    for name in MENTION_RE.findall(_CODE.sub(" ", source or "")):
        if name.lower() not in [n.lower() for n in names]:
            names.append(name)
    return names[:MAX_MENTIONS]


def notify_mentions(post):
    """Tell each member mentioned in ``post`` once (an edit never tells them again)."""
    from forum.services.accounts import get_user_by_name

    if post.status != "visible":
        return
    for name in mentioned_names(post.body):
        user = get_user_by_name(name)
        if user is None or user.id == post.author_id:
            continue
        already = db.session.scalar(select(Notification.id).where(
            Notification.user_id == user.id, Notification.post_id == post.id, Notification.kind == "mention"))
        if already is None:
            notify_member(user, "mention", post,
                          f"{display_name(post).name} mentioned you in “{_question_title(post)}”")


# --- Following ------------------------------------------------------------------------

def follow(user, target_type, target_id, mode="instant"):
    if user is None or target_id is None:
        return
    existing = db.session.scalar(select(Follow).where(
        Follow.user_id == user.id, Follow.target_type == target_type, Follow.target_id == target_id))
    if existing is None:
        with db.session.begin_nested():
            db.session.add(Follow(user_id=user.id, target_type=target_type, target_id=target_id, mode=mode))
    elif existing.mode != mode:
        existing.mode = mode
    db.session.flush()


def unfollow(user, target_type, target_id):
    row = db.session.scalar(select(Follow).where(
        Follow.user_id == user.id, Follow.target_type == target_type, Follow.target_id == target_id))
    if row is not None:
        db.session.delete(row)
        db.session.flush()


def is_following(user, target_type, target_id):
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(select(Follow.id).where(
        Follow.user_id == user.id, Follow.target_type == target_type, Follow.target_id == target_id)) is not None


def followers(target_type, target_id, exclude=()):
    return [user for user in db.session.scalars(
        select(User).join(Follow, Follow.user_id == User.id)
        .where(Follow.target_type == target_type, Follow.target_id == target_id)
    ) if user.id not in exclude]


# --- The inbox --------------------------------------------------------------------------

def unread_count(user):
    if user.loaded_unread is not None:  # read with the member at the start of the request
        return user.loaded_unread
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def inbox(user, limit=100):
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    ))


def mark_read(user, notification_id=None):
    query = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    db.session.execute(query.values(read_at=utcnow()))
    db.session.flush()


def unsubscribe(payload):
    """Stop notification emails to the token's recipient; return a description."""
    if "u" in payload:
        user = db.session.get(User, payload["u"])
        if user is not None:
            set_prefs(user, set())
        return "member"
    email = payload.get("e")
    if email:
        # A guest's address is kept only to notify them: forget it everywhere.
        db.session.execute(update(Post).where(Post.guest_email == email).values(guest_email=None))
        db.session.flush()
    return "guest"


def my_updates(user, limit=50):
    """Recent activity in what ``user`` follows: new answers and questions, newest first."""
    from forum.models import post_tags

    follows = list(db.session.scalars(select(Follow).where(Follow.user_id == user.id)))
    by_type = {}
    for row in follows:
        by_type.setdefault(row.target_type, []).append(row.target_id)
    conditions = []
    if by_type.get("question"):
        conditions.append((Post.type == "answer") & Post.question_id.in_(by_type["question"]))
    if by_type.get("user"):
        # Anonymous posts never show up as a followed member's activity.
        conditions.append(Post.type.in_(("question", "answer")) & Post.author_id.in_(by_type["user"])
                          & Post.is_anonymous.is_(False))
    if by_type.get("category"):
        conditions.append((Post.type == "question") & Post.category_id.in_(by_type["category"]))
    if by_type.get("tag"):
        tagged = select(post_tags.c.post_id).where(post_tags.c.tag_id.in_(by_type["tag"]))
        conditions.append((Post.type == "question") & Post.id.in_(tagged))
    if not conditions:
        return []
    from sqlalchemy import or_
    from sqlalchemy.orm import joinedload

    return list(db.session.scalars(
        select(Post).where(or_(*conditions), Post.status == "visible", Post.author_id.is_distinct_from(user.id))
        .options(joinedload(Post.author)).order_by(Post.created_at.desc()).limit(limit)
    ))
