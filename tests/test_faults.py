"""Faults: the database connection dies mid-request, or the database stays locked.

The reader gets a friendly 503 with an incident id (in the log too), never a stack trace;
nothing is half-written; the next request is served.
"""
import logging
import re
import sqlite3
import time

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import make_url

from forum.extensions import db
from forum.models import Answer, Post
from forum.services import integrity
from tests.factories import make_question

ANSWER = "Talking to my GP was the first step for me."


def _answer(client, question):
    return client.post(f"/questions/{question.id}/answers", data={"body": ANSWER})


def _assert_friendly_503(response, caplog):
    html = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    incident = re.search(r"incident ([0-9a-f]{12})", html).group(1)
    assert "Traceback" not in html and "INSERT" not in html and "sqlalchemy" not in html.lower()
    logged = [r.getMessage() for r in caplog.records if incident in r.getMessage()]
    assert logged and ANSWER not in " ".join(logged)


def _nothing_half_written(question):
    db.session.rollback()
    assert db.session.scalar(select(func.count(Answer.id)).where(Answer.body == ANSWER)) == 0
    assert db.session.get(Post, question.id).answer_count == 0
    assert integrity.find_drift() == []


def test_a_connection_killed_mid_request_gives_a_503_and_the_next_request_is_served(
        app, client, member, is_postgres, caplog):
    if not is_postgres:
        pytest.skip("pg_terminate_backend is PostgreSQL's")
    import psycopg

    question = make_question(member, title="Who should I talk to first about my mood?")
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
    fired = []

    def kill_this_connection(conn, cursor, statement, parameters, context, executemany):
        if fired or not statement.lstrip().upper().startswith("INSERT INTO POSTS"):
            return
        fired.append(True)
        pid = conn.connection.dbapi_connection.info.backend_pid
        with psycopg.connect(url.render_as_string(hide_password=False), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
            for _ in range(50):
                if admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone() is None:
                    break
                time.sleep(0.05)

    event.listen(db.engine, "before_cursor_execute", kill_this_connection)
    try:
        with caplog.at_level(logging.ERROR, logger="forum.security"):
            response = _answer(client, question)
    finally:
        event.remove(db.engine, "before_cursor_execute", kill_this_connection)
    assert fired
    _assert_friendly_503(response, caplog)
    _nothing_half_written(question)
    assert client.get(f"/questions/{question.id}", follow_redirects=True).status_code == 200
    assert _answer(client, question).status_code == 303


def test_a_database_locked_by_another_writer_gives_a_503_and_nothing_half_written(
        app, client, member, is_postgres, caplog):
    if is_postgres:
        pytest.skip("SQLite's whole-database write lock")
    question = make_question(member, title="Is it normal to feel flat all week?")
    db.session.commit()
    path = make_url(app.config["SQLALCHEMY_DATABASE_URI"]).database
    holder = sqlite3.connect(path, timeout=1)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level(logging.ERROR, logger="forum.security"):
            response = _answer(client, question)  # waits for the busy timeout, then gives up
    finally:
        holder.rollback()
        holder.close()
    _assert_friendly_503(response, caplog)
    _nothing_half_written(question)
    assert _answer(client, question).status_code == 303
