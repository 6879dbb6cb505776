"""Every reference page: a fixed number of SQL queries whatever the data, and no full-table scans.

The budget test renders each page over a small and a larger forum and compares the
number of statements. The plan test records every statement a page sends, with its
parameters, and asks the database how it would run it: on PostgreSQL after ANALYZE
with sequential scans discouraged (any remaining ``Seq Scan`` of posts, votes or users
fails); on SQLite, a ``SCAN`` of one of those tables without an index fails.
"""
import json
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from forum.extensions import db
from forum.services import settings, votes
from tests.factories import make_answer, make_category, make_comment, make_question

#: The tables that grow with the forum; a page must never read them whole.
BIG_TABLES = ("posts", "votes", "users")


def reference_pages(world):
    question = world["question"]
    return {
        "home": "/",
        "questions page 2": "/questions?page=2" if world["size"] > 1 else "/questions",
        "unanswered": "/unanswered",
        "hot": "/questions/hot",
        "most votes": "/questions/votes",
        "most answers": "/questions/answers",
        "category": f"/categories/{world['category'].slug}",
        "tag": "/tags/sleep",
        "question": f"/questions/{question.id}",
        "search": "/search?q=sleep+routine",
        "search by votes in a tag": "/search?q=sleep&tag=sleep&sort=votes",
        "members": "/users",
        "profile": f"/users/{world['asker'].username}",
        "feed": "/feeds/questions.atom",
        "sitemap": "/sitemap-1.xml",
    }


def build_world(make_user, size):
    """``size`` questions (at least one answered thread with comments and votes)."""
    settings.update_settings(None, {"questions_per_page": 5})
    db.session.commit()
    category = make_category(f"Sleep {size}")
    asker = make_user()
    voters = [make_user() for _ in range(3)]
    question = None
    for i in range(size * 6):
        q = make_question(asker if i % 2 else make_user(), title=f"How can I sleep better, try {i}?",
                          body="I lie awake and a routine did not help.", category=category,
                          tags="sleep routine" if i % 3 else "sleep anxiety")
        question = question or q
        for j in range(size if i < 3 else 0):
            answer = make_answer(q, make_user() if j % 2 else None, body=f"A sleep routine, idea {j}.")
            make_comment(answer, asker, body=f"Thanks {j}")
            for voter in voters[: 1 + j % 3]:
                votes.cast_vote(voter, answer, 1)
        db.session.commit()
    return {"size": size, "category": category, "asker": asker, "question": question}


@contextmanager
def recording():
    """Collect (statement, parameters) of every SQL statement sent inside the block."""
    seen = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if not executemany and statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def _page_url(client, path):
    """Follow the canonical redirect of a question page once, so the count is of the page itself."""
    response = client.get(path)
    return response.headers["Location"] if response.status_code == 301 else path


@pytest.mark.parametrize("logged_in", [False, True], ids=["guest", "member"])
def test_each_reference_page_costs_the_same_queries_however_much_data(
        app, client, auth, make_user, count_queries, logged_in):
    small, large = build_world(make_user, 1), build_world(make_user, 8)
    if logged_in:
        auth.login(make_user("reader"))
    counts = {}
    for name in reference_pages(small):
        for label, world in (("small", small), ("large", large)):
            url = _page_url(client, reference_pages(world)[name])
            client.get(url)  # warm anything cached per process
            with count_queries() as counter:
                response = client.get(url)
            assert response.status_code == 200, (name, label, response.status_code)
            counts.setdefault(name, {})[label] = counter.count
    grew = {name: c for name, c in counts.items() if c["small"] != c["large"]}
    assert grew == {}, f"pages whose query count grows with the data: {grew}"
    assert all(c["large"] <= 16 for c in counts.values()), counts


def _plans_sqlite(connection, statement, parameters):
    rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
    return [row[-1] for row in rows]


def _sqlite_full_scans(details):
    """``SCAN posts`` (no index) is a full scan; ``SCAN posts USING INDEX …`` is not."""
    bad = []
    for detail in details:
        words = detail.split()
        if len(words) >= 2 and words[0] == "SCAN" and words[1] in BIG_TABLES and "USING" not in detail:
            bad.append(detail)
    return bad


def _plans_postgres(connection, statement, parameters):
    rows = connection.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
    plan = rows if isinstance(rows, list) else json.loads(rows)
    nodes, stack = [], [plan[0]["Plan"]]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("Plans", []))
    return nodes


def _postgres_full_scans(nodes):
    return [f"Seq Scan on {n['Relation Name']}" for n in nodes
            if n["Node Type"] == "Seq Scan" and n.get("Relation Name") in BIG_TABLES]


@pytest.mark.parametrize("logged_in", [False, True], ids=["guest", "member"])
def test_no_reference_page_scans_a_whole_table(app, client, auth, make_user, is_postgres, logged_in):
    world = build_world(make_user, 6)
    if logged_in:
        auth.login(make_user("reader"))
    pages = {name: _page_url(client, path) for name, path in reference_pages(world).items()}
    statements = {}
    for name, url in pages.items():
        with recording() as seen:
            assert client.get(url).status_code == 200, name
        statements[name] = seen
    assert all(statements.values()), "every page reads something"
    problems = []
    with db.engine.connect() as connection:
        if is_postgres:
            connection.execute(text("ANALYZE"))
            connection.execute(text("SET enable_seqscan = off"))
        for name, seen in statements.items():
            for statement, parameters in seen:
                if is_postgres:
                    scans = _postgres_full_scans(_plans_postgres(connection, statement, parameters))
                else:
                    scans = _sqlite_full_scans(_plans_sqlite(connection, statement, parameters))
                problems += [f"{name}: {scan} in {statement.split(chr(10))[0][:160]}" for scan in scans]
        connection.rollback()
    assert problems == [], "\n".join(problems)


def test_the_plan_check_notices_a_full_scan(app, is_postgres):
    """The checks themselves: a query without a usable index is caught on this engine."""
    statement, parameters = ("SELECT id FROM posts WHERE body_html LIKE '%%x%%'" if is_postgres
                             else "SELECT id FROM posts WHERE body_html LIKE '%x%'"), {}
    with db.engine.connect() as connection:
        if is_postgres:
            connection.execute(text("SET enable_seqscan = off"))
            assert _postgres_full_scans(_plans_postgres(connection, statement, parameters))
        else:
            assert _sqlite_full_scans(_plans_sqlite(connection, statement, ()))
        connection.rollback()
