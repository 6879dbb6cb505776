"""The databases: SQLite settings, write locking, migrations, canonical names."""
import json
import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from forum.extensions import db
from forum.models import User
from forum.text import canonical
from tests.fixtures.live import Browserless, csrf_token


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def _begins(app, method):
    seen = []

    def record(conn, cursor, statement, *args):
        if statement.startswith("BEGIN"):
            seen.append(statement)

    from sqlalchemy import event

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        with app.test_request_context("/", method=method):
            db.session.execute(select(User.id)).all()
            db.session.rollback()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def test_sqlite_write_requests_begin_immediate_and_reads_do_not(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    assert _begins(app, "POST") == ["BEGIN IMMEDIATE"]
    assert _begins(app, "GET") == ["BEGIN"]


def test_foreign_keys_are_enforced(app):
    with pytest.raises(IntegrityError):
        db.session.execute(text("INSERT INTO post_tags (post_id, tag_id) VALUES (987654, 987654)"))
        db.session.flush()
    db.session.rollback()


def test_migrations_match_the_models(app):
    """Upgrading an empty database (done by the fixture) leaves nothing for autogenerate."""
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={"compare_type": True, "render_as_batch": True,
                  "include_object": _include_object},
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def _include_object(obj, name, type_, reflected, compare_to):
    return not (type_ == "table" and name and name.startswith(("search_", "fts_", "cache_")))


@pytest.mark.parametrize(
    "first, second",
    [("Ünïcode", "ÜNÏCODE"), ("ｕｎｉｃｏｄｅ", "Unicode"), ("Straße", "STRASSE"), ("Alex", "alex")],
)
def test_canonical_usernames_clash_in_the_database(app, first, second):
    assert canonical(first) == canonical(second)
    db.session.add(User(username=first, username_canonical=canonical(first)))
    db.session.commit()
    db.session.add(User(username=second, username_canonical=canonical(second)))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(db.func.count(User.id))) == 1


def test_twenty_concurrent_writers_through_the_live_server(live_server):
    """Twenty registrations at once: all succeed, none sees "database is locked"."""
    clients = [Browserless(live_server.url) for _ in range(20)]
    tokens = [csrf_token(client.get("/register")[1]) for client in clients]
    barrier = threading.Barrier(20)
    results = [None] * 20

    def register(i):
        barrier.wait()
        results[i] = clients[i].post("/register", {
            "csrf_token": tokens[i], "username": f"writer{i}", "email": f"w{i}@example.org",
            "password": "a long enough passphrase", "confirm": "a long enough passphrase",
            "consent": "y",
        })

    threads = [threading.Thread(target=register, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = [status for status, _ in results]
    assert statuses == [302] * 20, json.dumps([body[:300] for _, body in results])
    assert db.session.scalar(select(db.func.count(User.id))) == 20
