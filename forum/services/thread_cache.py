"""The rendered public view of a thread, cached under a key made of what the thread shows.

What is cached is a view many viewers share: the whole page for a guest's plain visit
(found from the question's id alone, before anything is loaded), or the thread alone (the
question, its visible answers and comments) inside a page rendered for a guest who sent a
form back or has a message waiting; and for members, the thread and the whole page as
members alike in level, privileges, part in the thread and header see them
(``views/member_pages.py``). Moderators and anyone else with a personal view get the
thread rendered for them.

The key is the thread's *content version*: a digest of every row the thread displays —
its posts without their text (status, score, counts, edit and close fields, the number
of the latest revision, which any edit, silent or not, raises), and the public fields of
their authors and editors (name, points, level, badges: whatever is shown beside a name) —
plus the questions linked as duplicates, the page, the settings, the templates and a
one-minute time bucket (the "2 hours ago" texts). A vote, edit, answer, comment, hide,
approval, points or name change alters the digest in the same transaction that makes it,
so a stale entry is never found and nothing is ever invalidated. The digest of the rows is
worked out again only when the cache generation says a watched table has changed
(``services/generation.py``). Several processes and servers compute the same key from the
same database, so they share entries safely through Redis (``REDIS_URL``); without it
each process keeps a small LRU of its own.
"""
import contextlib
import functools
import hashlib
import marshal
import threading
import time
from collections import OrderedDict

from flask import current_app
from flask_wtf.csrf import generate_csrf
from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    union,
    union_all,
)

from forum import markup
from forum.extensions import db
from forum.models import Category, Credential, Follow, Post, Revision, Tag, User, Vote, post_tags
from forum.services import generation, settings
from forum.services.redis_store import redis_client

#: Columns that never reach the public view (or are too large to read just for the key).
_PRIVATE_POST_COLUMNS = {"body", "body_html", "ip_address", "guest_email", "submission_token",
                         "import_key", "view_count", "flag_count"}
_PRIVATE_USER_COLUMNS = {"email", "email_canonical", "password_hash", "notify_prefs", "muted_words",
                         "muted_categories", "last_login_at", "session_epoch", "import_key", "risk_alerts",
                         "break_until", "consented_at"}
#: The CSRF token of the guest whose request filled an entry is replaced by this, and by
#: the current guest's token when it is served.
CSRF_MARK = "\x1fcsrf\x1f"
#: Likewise for a one-time value (a form's submission token), new for every viewer.
ONE_TIME_MARK = "\x1fonce\x1f"
TIME_BUCKET_SECONDS = 60
MEMORY_ENTRIES = 256
REDIS_TTL_SECONDS = 3600
REDIS_PREFIX = "forum:thread:"


def _columns(table, private):
    """The table's public columns, as text: the key needs their values, not Python objects."""
    return [cast(column, String) for column in table.c if column.name not in private]


def content_version(question_id, page, extra=()):
    """Return the digest of everything the public view of this page of the thread shows.

    Four queries: the thread's posts (with their latest revision numbers), the people
    named in it, their professional credentials (badges), and the questions it links to as
    duplicates; with the settings, they are worked out once per generation in a process
    (``generation.memoized``: one small query while nothing shown has changed). ``extra``
    holds what else the cached HTML shows. Only the question's id is needed, so a guest's
    page can be found before the question is loaded.
    """
    rows = generation.memoized(("thread", question_id),
                               lambda: _rows_digest(_key_statements(), {"question_id": question_id}))
    digest = rows.copy()
    for part in (extra, page, template_version(), markup.RENDERER_VERSION, int(time.time() // TIME_BUCKET_SECONDS)):
        digest.update(repr(part).encode())
    return digest.hexdigest()


def _rows_digest(statements, params):
    """A digest of the rows ``statements`` return and of the settings.

    The statements are built once per process and run on the session's connection without
    the ORM: on a long thread, building and caching them cost more than running them.
    """
    connection = db.session.connection()
    digest = hashlib.blake2b(digest_size=20)
    for statement in statements:
        # The values are text, numbers and None: marshal serialises them exactly, and far
        # faster than joining their strings (the same Python gives the same bytes everywhere).
        digest.update(marshal.dumps([tuple(row) for row in connection.execute(statement, params)]))
    digest.update(settings.fingerprint().encode())
    return digest


@functools.cache
def _key_statements():
    """The key's four SELECTs, with the question's id as a parameter."""
    question_id = bindparam("question_id")
    in_thread = or_(Post.id == question_id, Post.question_id == question_id)
    latest_revision = cast(select(func.max(Revision.number)).where(Revision.post_id == Post.id)
                           .correlate(Post).scalar_subquery(), String)
    posts = (select(*_columns(Post.__table__, _PRIVATE_POST_COLUMNS), latest_revision)
             .where(in_thread).order_by(Post.id))
    people = _people_of(in_thread, Post.author_id, Post.edited_by_id)
    badges = _badges_of(in_thread, Post.author_id, Post.edited_by_id)
    original = select(Post.duplicate_of_id).where(Post.id == question_id).scalar_subquery()
    linked = (select(Post.id, Post.title, Post.status)
              .where(Post.type == "question", or_(Post.duplicate_of_id == question_id, Post.id == original))
              .order_by(Post.id))
    return posts, people, badges, linked


def involvement(question_id, user_id):
    """The member's part in the thread: [(post id, status, authored it, their vote)], and
    (question id, "following", False, None) when they follow the question.

    One query, for the key of a member's cached view: the posts of the thread they wrote
    (whatever their status) or voted on. A member's controls differ from another's only on
    those posts and in the follow button; everything else follows from their level and
    privileges. The member loader reads it with the member on a question page
    (``involvement_column``).
    """
    params = {"question_id": question_id, "user_id": user_id}
    return parse_involvement(db.session.connection().scalar(select(involvement_column()), params))


@functools.cache
def involvement_column():
    """``involvement`` as one text column, "id:status:authored:vote" rows joined by ","
    (parameters ``question_id`` and ``user_id``), so it can be read beside the member."""
    question_id, user_id = bindparam("question_id"), bindparam("user_id")
    authored = Post.author_id == user_id
    posts = (select(Post.id.label("id"), Post.status.label("status"),
                    case((authored, "1"), else_="0").label("authored"), Vote.value.label("vote"))
             .outerjoin(Vote, and_(Vote.post_id == Post.id, Vote.voter_id == user_id))
             .where(or_(Post.id == question_id, Post.question_id == question_id),
                    or_(authored, Vote.voter_id.is_not(None))))
    following = select(Follow.target_id, literal("following"), literal("0"), literal(None, Integer)).where(
        Follow.user_id == user_id, Follow.target_type == "question", Follow.target_id == question_id)
    rows = union_all(posts, following).subquery()
    row = (cast(rows.c.id, String) + ":" + rows.c.status + ":" + rows.c.authored + ":"
           + func.coalesce(cast(rows.c.vote, String), ""))
    return select(func.aggregate_strings(row, ",")).select_from(rows).scalar_subquery()


def parse_involvement(text):
    """The rows of ``involvement_column``'s text, in one order on every engine."""
    rows = []
    for part in (text or "").split(","):
        if part:
            post_id, status, authored, vote = part.split(":")
            rows.append((int(post_id), status, authored == "1", int(vote) if vote else None))
    return sorted(rows, key=lambda row: row[:2])


def _linked_ids(posts, links):
    """The distinct ids of the members ``posts`` link to (author, editor), as a subquery."""
    selects = [select(link.label("id")).where(posts) for link in links]
    return (union(*selects) if len(selects) > 1 else selects[0].distinct()).subquery()


def _people_of(posts, *links):
    """The public columns of the members ``posts`` link to, one row each.

    Joined from the linked ids, so both engines look members up by id, whatever their
    statistics say (``users.id IN (subquery)`` let SQLite scan the users).
    """
    ids = _linked_ids(posts, links)
    return (select(*_columns(User.__table__, _PRIVATE_USER_COLUMNS))
            .join_from(ids, User, User.id == ids.c.id).order_by(User.id))


def _badges_of(posts, *links):
    """The credentials of the members ``posts`` link to."""
    ids = _linked_ids(posts, links)
    return (select(Credential.user_id, Credential.kind, Credential.jurisdiction, Credential.state,
                   cast(Credential.expires_on, String))
            .join_from(ids, Credential, Credential.user_id == ids.c.id).order_by(Credential.id))


def list_version(question_ids, extra=()):
    """Return the digest of everything a list page shows of ``question_ids``.

    Five queries, worked out once per generation in a process: the questions' public
    columns, their authors, the authors' badges, their tags, and every category (a category
    page shows its own and its sub-categories' counts).
    """
    ids = tuple(question_ids)
    rows = generation.memoized(("list", ids), lambda: _rows_digest(_list_key_statements(), {"ids": list(ids)}))
    digest = rows.copy()
    for part in (list(ids), extra, template_version(), int(time.time() // TIME_BUCKET_SECONDS)):
        digest.update(repr(part).encode())
    return digest.hexdigest()


@functools.cache
def _list_key_statements():
    ids = bindparam("ids", expanding=True)
    listed = Post.id.in_(ids)
    return (
        select(*_columns(Post.__table__, _PRIVATE_POST_COLUMNS), cast(Post.view_count, String))
        .where(listed).order_by(Post.id),
        _people_of(listed, Post.author_id),
        _badges_of(listed, Post.author_id),
        select(post_tags.c.post_id, Tag.name).join(Tag, Tag.id == post_tags.c.tag_id)
        .where(post_tags.c.post_id.in_(ids)).order_by(post_tags.c.post_id, Tag.name),
        select(*_columns(Category.__table__, set())).order_by(Category.id),
    )


def cached_list(question_ids, render, extra=()):
    """Return the HTML of a list page a guest gets, from the cache or from ``render()``."""
    if not enabled():
        return render()
    return _cached(f"list:{list_version(question_ids, extra)}", render)


def cached_guest_view(name, render, extra=()):
    """Return the HTML of a guest's page that shows only what the watched tables hold
    (``generation.WATCHED``), such as search results, from the cache or from ``render()``.

    Keyed by the cache generation itself: no query but the generation's is made for a page
    found, and any write that could change it makes a new key. ``extra`` holds what else
    the page depends on (its address, the theme).
    """
    if not enabled():
        return render()
    current = generation.current(db.session.connection())
    if current is None:
        return render()
    parts = (current, extra, template_version(), int(time.time() // TIME_BUCKET_SECONDS))
    return _cached(f"{name}:{hashlib.blake2b(repr(parts).encode(), digest_size=20).hexdigest()}", render)


def template_version():
    """A digest of every template (the cached HTML comes from them), the same on every server."""
    app = current_app._get_current_object()
    version = app.extensions.get("forum_thread_templates")
    if version is None:
        digest = hashlib.blake2b(digest_size=8)
        for name in sorted(app.jinja_env.list_templates()):
            source, _, _ = app.jinja_env.loader.get_source(app.jinja_env, name)
            digest.update(name.encode() + b"\x1f" + source.encode())
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


def page_key(question_id, page, scope, extra=()):
    """The cache key of what ``scope`` names ("thread" or "page") of this page of the thread."""
    return f"{question_id}:{scope}:{page}:{content_version(question_id, page, extra)}"


@contextlib.contextmanager
def outside_transaction():
    """Run a cached page's lookup, on PostgreSQL, in autocommit when the request has read
    nothing yet: its one query needs no transaction, and BEGIN and ROLLBACK were two of its
    three round trips. The connection is handed back afterwards, so whatever follows (the
    render of a page not found, any write) runs in a transaction as usual, and a write
    raises the generation when it commits."""
    if db.session().in_transaction() or db.engine.dialect.name != "postgresql":
        yield
        return
    db.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        yield
    finally:
        db.session.close()


def lookup(key, one_time=None):
    """Return the cached HTML under ``key`` made this viewer's own, or None.

    ``one_time`` makes a new one-time value (see ``cached_html``) for this viewer.
    """
    html = store().get(key)
    if html is None:
        return None
    if one_time is not None and ONE_TIME_MARK in html:
        html = html.replace(ONE_TIME_MARK, one_time())
    return html.replace(CSRF_MARK, generate_csrf())


def cached_html(question, page, render, extra=(), scope="thread", one_time=None):
    """Return the public HTML of this page of the thread, from the cache or from ``render()``.

    ``scope`` names what is cached: "thread" (the thread alone, inside a page rendered for
    the viewer), "member" (the thread as members of one level, privileges and part in it
    see it) or "page" (the whole page a guest gets); ``extra`` holds whatever else the HTML
    shows that is not in the thread. The CSRF token in the rendered HTML is kept out
    of the cache, and so is ``one_time``, when given: (a value the HTML holds that no two
    viewers may share, a function making a new one), such as a form's submission token.
    """
    if not enabled():
        return render()
    return _cached(page_key(question.id, page, scope, extra), render, one_time)


def _cached(key, render, one_time=None):
    """Return the entry under ``key`` made this viewer's own, or ``render()`` stored there
    without this viewer's CSRF token and one-time value (unless what it rendered may be
    newer than what the key was made of: ``generation.still_current``)."""
    found = lookup(key, one_time[1] if one_time else None)
    if found is not None:
        return found
    html = render()
    if not generation.still_current(db.session.connection()):
        return html  # rendered from rows newer (or other) than those the key was made of
    stored = html.replace(generate_csrf(), CSRF_MARK)
    if one_time is not None:
        stored = stored.replace(one_time[0], ONE_TIME_MARK)
    store().set(key, stored)
    return html


def enabled():
    return current_app.config.get("THREAD_CACHE_ENABLED", True)


def clear_memory():
    """Forget this process's entries (tests)."""
    current_app.extensions.pop("forum_thread_store", None)

