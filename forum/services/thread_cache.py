"""The rendered public view of a thread, cached under a key made of what the thread shows.

Only the view a guest gets is cached (the question, its visible answers and comments);
members, moderators and anyone with a personal view get the thread rendered for them.

The key is the thread's *content version*: a digest of every row the thread displays —
its posts without their text (status, score, counts, edit and close fields, the number
of the latest revision, which any edit, silent or not, raises), and the public fields of
their authors and editors (name, points, level, badges: whatever is shown beside a name) — plus
the page, the settings, the templates and a one-minute time bucket (the "2 hours ago"
texts). A vote, edit, answer, comment, hide, approval, points or name change alters the
digest in the same transaction that makes it, so a stale entry is never found and nothing
is ever invalidated. Several processes and servers compute the same key from the same
database, so they share entries safely through Redis (``REDIS_URL``); without it each
process keeps a small LRU of its own.
"""
import hashlib
import threading
import time
from collections import OrderedDict

from flask import current_app
from flask_wtf.csrf import generate_csrf
from sqlalchemy import String, cast, func, or_, select, union

from forum import markup
from forum.extensions import db
from forum.models import Credential, Post, Revision, User
from forum.services import settings
from forum.services.redis_store import redis_client

#: Columns that never reach the public view (or are too large to read just for the key).
_PRIVATE_POST_COLUMNS = {"body", "body_html", "ip_address", "guest_email", "submission_token",
                         "import_key", "view_count", "flag_count"}
_PRIVATE_USER_COLUMNS = {"email", "email_canonical", "password_hash", "notify_prefs", "muted_words",
                         "muted_categories", "last_login_at", "session_epoch", "import_key", "risk_alerts",
                         "break_until", "consented_at"}
#: Templates whose text is part of the cached HTML.
TEMPLATES = ("questions/_thread.html", "_posts.html", "_forms.html")
#: The CSRF token of the guest whose request filled an entry is replaced by this, and by
#: the current guest's token when it is served.
CSRF_MARK = "\x1fcsrf\x1f"
TIME_BUCKET_SECONDS = 60
MEMORY_ENTRIES = 256
REDIS_TTL_SECONDS = 3600
REDIS_PREFIX = "forum:thread:"


def _columns(table, private):
    """The table's public columns, as text: the key needs their values, not Python objects."""
    return [cast(column, String) for column in table.c if column.name not in private]


def content_version(question, page, extra=()):
    """Return the digest of everything the public view of this page of the thread shows.

    Three queries: the thread's posts (with their latest revision numbers), the people
    named in it, and their professional credentials (badges). ``extra`` holds what the view already loaded from elsewhere (for example
    the titles of linked duplicates).
    """
    in_thread = or_(Post.id == question.id, Post.question_id == question.id)
    latest_revision = cast(select(func.max(Revision.number)).where(Revision.post_id == Post.id)
                           .correlate(Post).scalar_subquery(), String)
    posts = db.session.execute(
        select(*_columns(Post.__table__, _PRIVATE_POST_COLUMNS), latest_revision)
        .where(in_thread).order_by(Post.id)
    ).all()
    people_ids = union(select(Post.author_id).where(in_thread), select(Post.edited_by_id).where(in_thread))
    people = db.session.execute(
        select(*_columns(User.__table__, _PRIVATE_USER_COLUMNS)).where(User.id.in_(people_ids)).order_by(User.id)
    ).all()
    badges = db.session.execute(
        select(Credential.user_id, Credential.kind, Credential.jurisdiction, Credential.state,
               cast(Credential.expires_on, String)).where(Credential.user_id.in_(people_ids))
        .order_by(Credential.id)
    ).all()
    digest = hashlib.blake2b(digest_size=20)
    for rows in (posts, people, badges):
        # Plain strings of the values: far cheaper than the rows' own repr.
        digest.update("\x1e".join("\x1f".join(map(str, row)) for row in rows).encode())
        digest.update(b"\x1d")
    for part in (extra, sorted(settings.all_values().items()), page, template_version(),
                 markup.RENDERER_VERSION, int(time.time() // TIME_BUCKET_SECONDS)):
        digest.update(repr(part).encode())
    return digest.hexdigest()


def template_version():
    """A digest of the templates the cached HTML comes from, the same on every server."""
    app = current_app._get_current_object()
    version = app.extensions.get("forum_thread_templates")
    if version is None:
        digest = hashlib.blake2b(digest_size=8)
        for name in TEMPLATES:
            source, _, _ = app.jinja_env.loader.get_source(app.jinja_env, name)
            digest.update(source.encode())
        version = app.extensions["forum_thread_templates"] = digest.hexdigest()
    return version


class MemoryStore:
    """A small least-recently-used map, for one process."""

    def __init__(self, size=MEMORY_ENTRIES):
        self.size, self.entries, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.entries.get(key)
            if value is not None:
                self.entries.move_to_end(key)
            return value

    def set(self, key, value):
        with self.lock:
            self.entries[key] = value
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


class RedisStore:
    """Entries shared by every process and server; a Redis outage only costs a render."""

    def __init__(self, client):
        self.client = client

    def get(self, key):
        try:
            value = self.client.get(REDIS_PREFIX + key)
        except Exception:  # noqa: BLE001 - the cache is an optimisation, never a failure
            current_app.logger.warning("thread cache: Redis unavailable", exc_info=True)
            return None
        return value.decode() if value is not None else None

    def set(self, key, value):
        try:
            self.client.set(REDIS_PREFIX + key, value.encode(), ex=REDIS_TTL_SECONDS)
        except Exception:  # noqa: BLE001
            current_app.logger.warning("thread cache: Redis unavailable", exc_info=True)


def store():
    app = current_app._get_current_object()
    chosen = app.extensions.get("forum_thread_store")
    if chosen is None:
        client = redis_client()
        chosen = app.extensions["forum_thread_store"] = RedisStore(client) if client else MemoryStore()
    return chosen


def cached_html(question, page, render, extra=()):
    """Return the public HTML of this page of the thread, from the cache or from ``render()``.

    ``render`` returns the HTML; the CSRF token it contains is kept out of the cache.
    """
    if not current_app.config.get("THREAD_CACHE_ENABLED", True):
        return render()
    key = f"{question.id}:{page}:{content_version(question, page, extra)}"
    token = generate_csrf()
    html = store().get(key)
    if html is None:
        html = render()
        store().set(key, html.replace(token, CSRF_MARK))
        return html
    return html.replace(CSRF_MARK, token)


def clear_memory():
    """Forget this process's entries (tests)."""
    current_app.extensions.pop("forum_thread_store", None)

