"""A number that changes whenever what the cache keys read may have changed.

The keys of cached pages (``thread_cache``) are digests of the rows a page shows. Working a
digest out costs a few queries and reading every row of the thread, on every request.
Instead, every transaction that writes to a table those digests read (``WATCHED``) raises
``cache_generation.value`` in the same transaction, as the last thing before it commits;
a process may then reuse a digest it worked out while the generation it reads is still
the same. One tiny query replaces the key's queries on a forum that is mostly read.

Writes are noticed on the engine (``before_cursor_execute``), whatever issued them: the
ORM, Core, text SQL, the worker, the CLI. A transaction that has written to a watched
table and not yet committed never uses the memo (it may see rows no one else sees yet).

Why a digest worked out at generation N is never older than N: the generation is read
first, the rows afterwards, and the rows and the new generation of a write become visible
together (one transaction). A digest may be newer than its generation, which is harmless.
Writes made outside the app (psql by hand) do not raise it; such changes show once the
next write through the app does, or after a restart.
"""
import re

from flask import current_app, g, has_app_context
from sqlalchemy import event, literal_column

from forum.extensions import db

TABLE = "cache_generation"
#: The tables the cache keys read (thread_cache: posts, revisions, members, credentials,
#: settings, tags, categories), and what else a page cached under the generation alone
#: shows (search results: the search index, the crisis phrases).
WATCHED = frozenset({"posts", "revisions", "users", "credentials", "settings", "tags", "post_tags",
                     "categories", "phrases", "search_documents", "search_fts"})
#: Set on a connection that has written to a watched table in its open transaction.
PENDING = "forum_generation_pending"
MEMO_ENTRIES = 4096
#: Statements that never write (checked on their first word).
_READS = ("SELECT", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA", "SHOW", "EXPLAIN",
          "SET ", "ANALYZE", "VACUUM")
_WRITE = re.compile(
    r"\b(?:UPDATE|INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?"
    r"|ALTER\s+TABLE|DROP\s+TABLE(?:\s+IF\s+EXISTS)?)\s+(?:ONLY\s+)?\"?(\w+)\"?",
    re.IGNORECASE,
)
#: SQLite's commands to its full-text index (merge, optimize) change no content.
_FTS_COMMAND = re.compile(r"\s*INSERT\s+INTO\s+search_fts\s*\(\s*search_fts\s*,", re.IGNORECASE)
_READ = f"SELECT value FROM {TABLE} WHERE id = 1"
_BUMP = (f"INSERT INTO {TABLE} (id, value) VALUES (1, 1) "
         f"ON CONFLICT (id) DO UPDATE SET value = {TABLE}.value + 1")
_classified = {}


def writes_watched(statement):
    """Whether ``statement`` may write to a watched table (when unsure: yes)."""
    found = _classified.get(statement)
    if found is None:
        head = statement.lstrip()[:9].upper()
        found = not head.startswith(_READS) and not _FTS_COMMAND.match(statement) and any(
            name.lower() in WATCHED for name in _WRITE.findall(statement))
        if len(_classified) > 4096:
            _classified.clear()
        _classified[statement] = found
    return found


def _before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
    if writes_watched(statement):
        conn.info[PENDING] = True


def _on_commit(conn):
    """Raise the generation inside the committing transaction, if it wrote to a watched table."""
    _forget_read()
    if conn.info.pop(PENDING, None) and _table_exists(conn):
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            cursor.execute(_BUMP)
        finally:
            cursor.close()


#: The engines (by id) whose database has the table.
_has_table = set()


def _table_exists(conn):
    """Whether the table exists yet (not during the migrations that come before it).

    Asked on a raw cursor until it does, so a missing table never fails a transaction.
    """
    if id(conn.engine) not in _has_table:
        cursor = conn.connection.dbapi_connection.cursor()
        try:
            if conn.dialect.name == "postgresql":
                cursor.execute(f"SELECT to_regclass('{TABLE}') IS NOT NULL")
            else:
                cursor.execute(f"SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = '{TABLE}'")
            if cursor.fetchone()[0]:
                _has_table.add(id(conn.engine))
        finally:
            cursor.close()
    return id(conn.engine) in _has_table


def _forget_pending(conn):
    _forget_read()
    if not conn.invalidated:  # a lost connection's flag went with it (and asking would raise)
        conn.info.pop(PENDING, None)


def _reset(dbapi_connection, record, reset_state=None):
    record.info.pop(PENDING, None)


def init_app(app):
    """Watch the app's engine for writes."""
    with app.app_context():
        engine = db.engine
        if not event.contains(engine, "before_cursor_execute", _before_cursor_execute):
            event.listen(engine, "before_cursor_execute", _before_cursor_execute)
            event.listen(engine, "commit", _on_commit)
            event.listen(engine, "rollback", _forget_pending)
            event.listen(engine.pool, "reset", _reset)
            _has_table.discard(id(engine))


def current(connection):
    """The generation as this transaction sees it, or None when it cannot be relied on
    (the transaction has written to a watched table, or the migrations have not made the
    table yet).

    Read once per transaction of a request (forgotten when it commits or rolls back).
    """
    if connection.info.get(PENDING):
        return None
    if has_app_context() and "forum_generation" in g:
        return g.forum_generation
    if not _table_exists(connection):
        return None
    value = connection.exec_driver_sql(_READ).scalar()
    if has_app_context():
        g.forum_generation = value
    return value


def readable_with(connection):
    """Whether a query on ``connection`` may read the generation as a column
    (``read_column``): the table exists and this transaction has not read it yet."""
    if has_app_context() and "forum_generation" in g:
        return False
    return not connection.info.get(PENDING) and _table_exists(connection)


def read_column():
    """The generation as a column of another query (one round trip fewer per request)."""
    return literal_column(f"({_READ})").label("forum_generation")


def remember(connection, value):
    """Keep the generation a query read with ``read_column`` for this transaction, as
    ``current`` would have read it (the first read of the request, before any rows)."""
    if has_app_context() and not connection.info.get(PENDING) and "forum_generation" not in g:
        g.forum_generation = value


def still_current(connection):
    """Whether what this request rendered since it read the generation is what that
    generation holds, so it may be cached under a key worked out from it.

    On SQLite a read transaction sees one snapshot from its first read, so yes while that
    transaction lasts and has written nothing. On PostgreSQL (READ COMMITTED) each
    statement sees what has committed by the time it starts: a write committed between
    the key's queries and the rendering ones would otherwise put newer content under an
    older key, found again should the rows return to that state (a vote taken back). One
    query, asked only when a rendered page is about to be stored.
    """
    if not has_app_context() or "forum_generation" not in g or connection.info.get(PENDING):
        return False  # never read, or a commit or rollback since, or a write of its own
    if connection.dialect.name == "sqlite":
        return True
    return connection.exec_driver_sql(_READ).scalar() == g.forum_generation


def _forget_read():
    if has_app_context():
        g.pop("forum_generation", None)


def memoized(key, compute):
    """Return ``compute()`` for ``key``, worked out once per generation in this process.

    ``compute`` must read the database only through watched tables (its result is reused
    until one of them changes) and must return a value no caller mutates. The memo is one
    (generation, entries) pair, replaced whole and only by a newer generation; a request
    that reads an older one (a thread of a threaded server that began earlier) computes
    without storing, and so does one whose computation flushed a watched write.
    """
    if not has_app_context():
        return compute()
    connection = db.session.connection()
    generation = current(connection)
    if generation is None:
        return compute()
    memo = current_app.extensions.get("forum_generation_memo")
    if memo is None or memo[0] < generation:
        memo = current_app.extensions["forum_generation_memo"] = (generation, {})
    elif memo[0] > generation:
        return compute()
    entries = memo[1]
    value = entries.get(key)
    if value is None:
        value = compute()
        if connection.info.get(PENDING):
            return value
        if len(entries) >= MEMO_ENTRIES:
            entries.clear()
        entries[key] = value
    return value
