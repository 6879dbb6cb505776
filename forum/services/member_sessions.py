"""Members' sessions: one record per login, listed on the account page and ended there.

Flask-Login stores "<user id>.<epoch>.<key>" (User.get_session_id) in the signed session
and the remember cookie. Loading the member checks that the record for that key is
still open and of the current epoch, in the same single query that loads the member.
"""
import functools
import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import bindparam, delete, func, or_, select, update

from forum.extensions import db
from forum.models import MemberSession, Notification, Post, User, utcnow
from forum.models.member_session import USER_AGENT_MAX
from forum.services import generation, thread_cache

#: How stale "last active" may get before a request updates it (one write per this at most).
SEEN_EVERY = timedelta(minutes=5)


def _digest(key):
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def start_session(user, user_agent=""):
    """Open a session record for ``user`` and attach its key to the object; return the record."""
    key = secrets.token_urlsafe(32)
    record = MemberSession(user_id=user.id, key_hash=_digest(key), epoch=user.session_epoch or 0,
                           user_agent=(user_agent or "")[:USER_AGENT_MAX], created_at=utcnow(),
                           last_seen_at=utcnow())
    db.session.add(record)
    db.session.flush()
    user.session_key, user.member_session = key, record
    return record


def load_user(session_id, question_id=None):
    """Return the member for a Flask-Login id ("<id>.<epoch>.<key>"), or None if it is stale:
    the record is ended or unknown, the epoch moved on, or the account is deleted.

    On a question page (``question_id``) the member's part in its thread is read in the
    same query (``User.loaded_involvement``).
    """
    user_id, epoch, key = ((session_id or "").split(".", 2) + ["", ""])[:3]
    if not user_id.isdigit() or not epoch.isdigit() or not key:
        return None
    connection = db.session.connection()
    with_generation = generation.readable_with(connection)
    params = {"user_id": int(user_id), "key_hash": _digest(key)}
    if question_id is not None:
        params["question_id"] = question_id
    row = db.session.execute(_load_statement(with_generation, question_id is not None), params).first()
    if row is None:
        return None
    user, record, unread, has_three_posts, *rest = row
    if question_id is not None:
        user.loaded_involvement = (question_id, thread_cache.parse_involvement(rest.pop(0)))
    if rest:
        generation.remember(connection, rest[0])
    if user.session_epoch != int(epoch) or record.epoch != user.session_epoch:
        return None
    if user.deleted_at is not None:
        return None
    user.session_key, user.member_session = key, record
    user.loaded_unread, user.loaded_has_three_posts = unread, bool(has_three_posts)
    return user


@functools.cache
def _load_statement(with_generation, with_involvement=False):
    """The member, the session record, and what every page shows of the member's state
    (the unread count in the header; whether the guidelines still open on forms); their
    part in the thread of a question page, when asked; and the cache generation, which the
    request would otherwise ask for on its own."""
    unread = (select(func.count(Notification.id))
              .where(Notification.user_id == User.id, Notification.read_at.is_(None))
              .scalar_subquery())
    # A third post exists: one index probe however much the member has written.
    has_three_posts = select(Post.id).where(Post.author_id == User.id).limit(1).offset(2).exists()
    columns = [User, MemberSession, unread, has_three_posts]
    if with_involvement:
        columns.append(thread_cache.involvement_column())
    if with_generation:
        columns.append(generation.read_column())
    return (select(*columns)
            .join(MemberSession, MemberSession.user_id == User.id)
            .where(User.id == bindparam("user_id"), MemberSession.key_hash == bindparam("key_hash"),
                   MemberSession.ended_at.is_(None)))


def needs_touch(record, now=None):
    """Tell whether the record's "last active" is stale enough to write."""
    return record is not None and record.last_seen_at < (now or utcnow()) - SEEN_EVERY


def touch(connection, record_id):
    """Note that the session was used just now (on ``connection``, outside the request's work)."""
    connection.execute(update(MemberSession).where(MemberSession.id == record_id)
                       .values(last_seen_at=utcnow()))


def active_sessions(user):
    """The member's open sessions, most recently used first."""
    return db.session.scalars(
        select(MemberSession)
        .where(MemberSession.user_id == user.id, MemberSession.ended_at.is_(None),
               MemberSession.epoch == user.session_epoch)
        .order_by(MemberSession.last_seen_at.desc(), MemberSession.id.desc())
    ).all()


def get_own_session(user, session_id):
    """Return the member's open session with this id, or None (also for someone else's)."""
    record = db.session.get(MemberSession, session_id)
    if record is None or record.user_id != user.id or record.ended_at is not None:
        return None
    return record


def end_session(record):
    """End one session: its next request is a guest's, and its remember cookie is refused."""
    if record is not None and record.ended_at is None:
        record.ended_at = utcnow()
        db.session.flush()


def end_other_sessions(user, keep_id):
    """End every open session of the member except ``keep_id``; return how many ended."""
    return db.session.execute(
        update(MemberSession)
        .where(MemberSession.user_id == user.id, MemberSession.ended_at.is_(None),
               MemberSession.id != keep_id)
        .values(ended_at=utcnow())
    ).rowcount


def end_all(user):
    """End every open session record of the member."""
    db.session.execute(
        update(MemberSession)
        .where(MemberSession.user_id == user.id, MemberSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def describe(user_agent):
    """A short, human name for a browser from its user agent ("Firefox on Linux")."""
    ua = user_agent or ""
    browser = next((name for token, name in (
        ("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"), ("Safari/", "Safari")) if token in ua), None)
    system = next((name for token, name in (
        ("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
        ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux")) if token in ua), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "An unknown browser or app"


#: Ended records stay listed in exports and audits this long, then go.
KEEP_ENDED = timedelta(days=30)
#: A record unused for longer than a remember cookie lives can never be used again.
KEEP_IDLE = timedelta(days=365)


def prune(now=None):
    """Delete records that can never be used again: ended a while ago, idle for longer than
    a remember cookie lasts, or of an epoch the member has moved past. Returns the count."""
    now = now or utcnow()
    current_epoch = select(User.session_epoch).where(User.id == MemberSession.user_id).scalar_subquery()
    result = db.session.execute(delete(MemberSession).where(or_(
        MemberSession.ended_at < now - KEEP_ENDED,
        MemberSession.last_seen_at < now - KEEP_IDLE,
        MemberSession.epoch != current_epoch,
    )))
    return result.rowcount
