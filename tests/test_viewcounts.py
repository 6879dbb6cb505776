"""Question views are buffered and flushed in batches; a GET writes nothing."""
import pytest
from sqlalchemy import event

from forum.extensions import db
from forum.models import Question
from tests.factories import make_question


def test_views_are_buffered_then_flushed(client, runner, app):
    question = make_question()
    url = f"/questions/{question.id}/how-can-i-sleep-better-at-night"
    writes = []

    def record(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for _ in range(3):
            assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert writes == []
    assert db.session.get(Question, question.id).view_count == 0
    result = runner.invoke(args=["forum", "flush-views"])
    assert result.exit_code == 0 and "Added 3 views" in result.output
    assert db.session.get(Question, question.id).view_count == 3
    assert "Added 0 views" in runner.invoke(args=["forum", "flush-views"]).output


def redis_url_or_skip():
    import os

    url = os.environ.get("FORUM_TEST_REDIS_URL")
    if not url:
        if os.environ.get("FORUM_REQUIRE_SERVICES") == "1" and os.environ.get("FORUM_TEST_DATABASE_URL"):
            pytest.fail("FORUM_TEST_REDIS_URL is required in CI")
        pytest.skip("set FORUM_TEST_REDIS_URL to test the Redis buffer")
    import redis

    redis.Redis.from_url(url).delete("forum:views")
    return url


@pytest.mark.parametrize("buffer", ["spool", "redis"])
def test_a_flush_that_fails_puts_the_views_back(client, app, buffer):
    from forum.services import viewcounts

    if buffer == "redis":
        app.config["REDIS_URL"] = redis_url_or_skip()
    question = make_question()
    url = f"/questions/{question.id}/how-can-i-sleep-better-at-night"
    for _ in range(3):
        assert client.get(url).status_code == 200

    def database_away(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("UPDATE POSTS"):
            raise ConnectionError("the database went away")

    event.listen(db.engine, "before_cursor_execute", database_away)
    try:
        with pytest.raises(ConnectionError):
            viewcounts.flush_views()
    finally:
        event.remove(db.engine, "before_cursor_execute", database_away)
    assert db.session.get(Question, question.id).view_count == 0
    assert client.get(url).status_code == 200  # recorded while the flush was failing
    assert viewcounts.flush_views() == 4
    assert db.session.get(Question, question.id).view_count == 4


def test_views_buffer_in_redis_when_configured(client, runner, app):
    app.config["REDIS_URL"] = redis_url_or_skip()
    question = make_question()
    for _ in range(2):
        client.get(f"/questions/{question.id}/how-can-i-sleep-better-at-night")
    assert runner.invoke(args=["forum", "flush-views"]).output.strip() == "Added 2 views."
    assert db.session.get(Question, question.id).view_count == 2
