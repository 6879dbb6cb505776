"""The cache generation: raised by every committed write to what cached pages show, so a
process may reuse a key's digest while it stays the same, and never after a change."""
import pytest
from sqlalchemy import false, text, update

from forum.extensions import db
from forum.models import Post, User, Vote
from forum.services import generation, settings
from tests.factories import make_answer, make_question
from tests.fixtures.app import build_app


@pytest.mark.parametrize("statement, watched", [
    ("UPDATE posts SET score=? WHERE posts.id = ?", True),
    ("INSERT INTO post_tags (post_id, tag_id) VALUES (?, ?)", True),
    ('DELETE FROM "credentials" WHERE id = %(id)s', True),
    ("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", True),
    ("WITH totals AS (SELECT 1) UPDATE users SET points = 3 FROM totals", True),
    ("  update Revisions set note = 'x'", True),
    ("ALTER TABLE posts ADD COLUMN x INTEGER", True),
    ("INSERT INTO votes (user_id, post_id, value) VALUES (?, ?, ?)", False),
    ("INSERT INTO member_sessions (id) VALUES (?) ON CONFLICT (id) DO UPDATE SET seen_at = ?", False),
    ("SELECT posts.id FROM posts WHERE posts.id = ? FOR UPDATE", False),
    ("INSERT INTO search_fts(search_fts, rank) VALUES ('merge', 100)", False),
    ("SELECT value FROM cache_generation WHERE id = 1", False),
])
def test_writes_to_watched_tables_are_recognised(statement, watched):
    assert generation.writes_watched(statement) is watched


def value():
    return db.session.execute(text("SELECT value FROM cache_generation WHERE id = 1")).scalar()


def test_a_committed_write_raises_the_generation_and_nothing_else_does(app, make_user):
    member = make_user("writer")
    start = value()
    db.session.commit()
    db.session.execute(update(Vote).where(false()).values(value=1))  # a table no key reads
    db.session.commit()
    assert value() == start
    db.session.execute(update(User).where(User.id == member.id).values(points=77))
    db.session.rollback()
    assert value() == start
    db.session.execute(text("UPDATE users SET points = 78 WHERE id = :id"), {"id": member.id})
    db.session.commit()
    assert value() == start + 1


def test_a_transaction_that_wrote_never_uses_the_memo(app, make_user):
    member = make_user("pending")
    db.session.commit()
    assert generation.current(db.session.connection()) == value()
    calls = []
    generation.memoized(("probe",), lambda: calls.append(1) or "first")
    assert generation.memoized(("probe",), lambda: calls.append(1) or "second") == "first"
    db.session.execute(update(User).where(User.id == member.id).values(points=5))
    # It sees rows no other transaction sees yet: it neither reads nor fills the memo.
    assert generation.current(db.session.connection()) is None
    assert generation.memoized(("probe",), lambda: calls.append(1) or "uncommitted") == "uncommitted"
    db.session.rollback()
    assert generation.memoized(("probe",), lambda: calls.append(1) or "third") == "first"
    assert len(calls) == 2


def test_a_cached_page_costs_one_query_while_nothing_changes(app, make_user, count_queries):
    question = make_question(make_user("asker"), title="Is it normal to feel numb after a loss?", body="Weeks.")
    make_answer(question, make_user("helper"), body="Yes; numbness often comes first.")
    db.session.commit()
    path = f"/questions/{question.id}"
    app.test_client().get(path, follow_redirects=True)
    url = app.test_client().get(path).headers["Location"]
    with count_queries() as hit:
        response = app.test_client().get(url)
    assert response.status_code == 200 and "numbness often comes first" in response.get_data(as_text=True)
    assert hit.statements == ["SELECT value FROM cache_generation WHERE id = 1"]


def test_a_change_made_by_another_process_shows_at_once(app, database_url, tmp_path, make_user):
    """Two apps on one database stand for two worker processes, each with its own memo."""
    asker, helper = make_user("asker"), make_user("helper")
    question = make_question(asker, title="How do I sleep before an exam?", body="I lie awake.")
    answer = make_answer(question, helper, body="Write tomorrow's worries on paper first.")
    db.session.commit()
    url = app.test_client().get(f"/questions/{question.id}").headers["Location"]
    helper_id, answer_id = helper.id, answer.id
    assert "(1 points)" not in app.test_client().get(url).get_data(as_text=True)
    assert "Write tomorrow" in app.test_client().get(url).get_data(as_text=True)  # memo and page cached

    other = build_app(database_url, tmp_path / "other")
    with other.app_context():
        db.session.execute(update(User).where(User.id == helper_id).values(points=4900))
        db.session.execute(update(Post).where(Post.id == answer_id).values(score=12))
        db.session.commit()
        # Settings are read once per generation too.
        settings.update_settings(None, {"site_name": "Calmer Waters"})
        db.session.commit()
        db.session.remove()
        db.engine.dispose()

    page = app.test_client().get(url).get_data(as_text=True)
    assert "4.9k points" in page and "+12" in page and "Calmer Waters" in page
    assert "Calmer Waters" in app.test_client().get("/login").get_data(as_text=True)


def test_an_older_generation_or_a_flushed_write_never_fills_the_memo(app, make_user):
    member = make_user("racer")
    db.session.commit()
    now = generation.current(db.session.connection())
    # A thread of a threaded server that began before a newer generation was seen.
    app.extensions["forum_generation_memo"] = (now + 1, {})
    assert generation.memoized(("probe",), lambda: "old") == "old"
    assert app.extensions["forum_generation_memo"] == (now + 1, {})
    app.extensions.pop("forum_generation_memo")

    def flushing():
        db.session.execute(update(User).where(User.id == member.id).values(points=9))
        return "uncommitted"

    assert generation.memoized(("probe",), flushing) == "uncommitted"
    assert ("probe",) not in app.extensions["forum_generation_memo"][1]
    db.session.rollback()


def test_no_generation_before_the_migrations_make_its_table(tmp_path):
    bare = build_app(f"sqlite:///{tmp_path / 'bare.db'}", tmp_path / "instance")
    with bare.app_context():
        db.create_all()  # the models' tables, not the hand-written ones
        assert generation.current(db.session.connection()) is None
        assert settings.get("site_name")  # read without the memo, no error
        db.session.execute(update(User).where(false()).values(points=1))
        db.session.commit()  # nothing to raise yet, and no error
        db.session.remove()
        db.engine.dispose()


def test_a_page_rendered_after_another_write_committed_is_not_stored(app, database_url, make_user, is_postgres):
    """A vote commits on another connection between the key's queries and the rendering.

    On PostgreSQL the rendering sees it: storing that HTML under the key of the rows before
    the vote would show it again once the vote is taken back (the rows, and so the key,
    are the same as before it). On SQLite the request's transaction keeps reading its
    snapshot from before the vote, so what it rendered matches its key and is stored.
    """
    from forum.services import thread_cache

    question = make_question(make_user("asker"), title="Why do I dread weekends?", body="Empty days.")
    db.session.commit()
    question_id = question.id

    def render_while_someone_votes():
        score = db.session.execute(text("SELECT score FROM posts WHERE id = :id"), {"id": question_id})
        before = score.scalar()
        with app.app_context():  # another request, on its own connection
            other = db.session.connection()
            other.execute(text("UPDATE posts SET score = score + 1 WHERE id = :id"), {"id": question_id})
            db.session.commit()
            db.session.remove()
        after = db.session.execute(text("SELECT score FROM posts WHERE id = :id"), {"id": question_id}).scalar()
        return f"score {before} then {after}"

    with app.test_request_context("/"):
        db.session.rollback()
        key = thread_cache.page_key(question_id, 1, "thread")
        html = thread_cache._cached(key, render_while_someone_votes)
        stored = thread_cache.store().get(key)
    if is_postgres:
        assert html == "score 0 then 1" and stored is None
    else:
        assert html == "score 0 then 0" and stored == html


def test_a_guests_cached_page_is_read_outside_a_transaction_and_a_render_inside_one(
        app, client, make_user, is_postgres):
    """On PostgreSQL a guest's cached page is looked up in autocommit (no BEGIN and ROLLBACK
    around its one query); a page not found is rendered in a transaction, as is the next
    request's write, whose commit raises the generation."""
    from sqlalchemy import event

    question = make_question(make_user("asker"), title="How do I stop comparing myself to others?")
    answer = make_answer(question, make_user("helper"), body="Notice it, then name one thing you did well.")
    db.session.commit()
    url = client.get(f"/questions/{question.id}").headers["Location"]
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith("BEGIN"):  # SQLite's own
            seen.append((statement, getattr(conn.connection.dbapi_connection, "autocommit", None)))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        rendered = client.get(url)
        found_at = len(seen)
        found = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert rendered.status_code == found.status_code == 200
    assert "name one thing you did well" in found.get_data(as_text=True)
    assert len(seen) - found_at == 1  # the generation
    if is_postgres:
        assert all(autocommit for _, autocommit in seen[found_at:])
        thread_reads = [autocommit for statement, autocommit in seen[:found_at] if "FROM posts" in statement]
        assert thread_reads and not any(thread_reads)
    before = generation.current(db.session.connection())
    db.session.rollback()
    db.session.execute(update(Post).where(Post.id == answer.id).values(score=Post.score + 1))
    db.session.commit()
    assert generation.current(db.session.connection()) != before
