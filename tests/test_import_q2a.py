"""`flask forum import-q2a` against a real Question2Answer 1.8.8 database in MariaDB.

A small database is built once per run from the real dump
($FORUM_SHARED_DIR/data/q2a-bench/q2a-loaded.sql.gz): its schema, all members, the
first questions with their answers, comments and votes, plus a few hand-made cases
(hidden and queued posts, a guest, an HTML post, an orphan, an old SHA-1 password,
an edit). Its qa_userpoints are set by Question2Answer's default points formula in
SQL, so every member's points can be compared. MariaDB comes from
FORUM_TEST_MYSQL_URL (default mysql://root@127.0.0.1:3306); without it the tests are
skipped, or fail when FORUM_REQUIRE_SERVICES=1.
"""
import gzip
import os
import re
import uuid
from pathlib import Path

import pymysql
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from forum.extensions import db
from forum.importers import common
from forum.models import Answer, Category, Comment, Post, Question, QueueItem, Tag, User, Vote
from forum.services import integrity

SHARED = Path(os.environ.get("FORUM_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
DUMP = SHARED / "data" / "q2a-bench" / "q2a-loaded.sql.gz"
QUESTIONS = 40
#: Tables the importer does not read (search words, events, caches): not loaded, to keep this quick.
SKIP_TABLES = {"qa_contentwords", "qa_titlewords", "qa_tagwords", "qa_sharedevents", "qa_userevents", "qa_cache",
               "qa_userlimits", "qa_iplimits", "qa_blobs", "qa_posttags", "qa_words"}
_POST_ROW = re.compile(r"^\((\d+),'(\w+)',(NULL|\d+),")
_FIRST_ID = re.compile(r"^\((\d+),")

#: Question2Answer's default points formula over its own tables (bench/README: base 100, multiple 10, ...).
POINTS_SQL = """
UPDATE qa_userpoints up JOIN (SELECT u.userid, 100 + 10 * (
   2 * (SELECT COUNT(*) FROM qa_posts p WHERE p.userid = u.userid AND p.type = 'Q')
 + 4 * (SELECT COUNT(*) FROM qa_posts p WHERE p.userid = u.userid AND p.type = 'A')
 + 3 * (SELECT COUNT(*) FROM qa_posts p WHERE p.userid = u.userid AND p.type = 'Q' AND p.selchildid IS NOT NULL)
 + 30 * (SELECT COUNT(*) FROM qa_posts a JOIN qa_posts q ON q.selchildid = a.postid
         WHERE a.userid = u.userid AND a.type = 'A' AND NOT (q.userid <=> a.userid))
 + (SELECT COUNT(*) FROM qa_uservotes v JOIN qa_posts p ON p.postid = v.postid
    WHERE v.userid = u.userid AND v.vote <> 0 AND LEFT(p.type, 1) IN ('Q', 'A'))
 + (SELECT COALESCE(SUM(LEAST(p.upvotes, 10) - LEAST(p.downvotes, 3)), 0) FROM qa_posts p
    WHERE p.userid = u.userid AND LEFT(p.type, 1) = 'Q')
 + (SELECT COALESCE(SUM(LEAST(2 * p.upvotes, 20) - LEAST(2 * p.downvotes, 5)), 0) FROM qa_posts p
    WHERE p.userid = u.userid AND LEFT(p.type, 1) = 'A')
 ) AS points FROM qa_users u) o ON o.userid = up.userid
SET up.points = o.points
"""


def _unavailable(reason):
    if os.environ.get("FORUM_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (FORUM_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def _connect(url, database=None):
    parsed = make_url(url)
    return pymysql.connect(host=parsed.host or "127.0.0.1", port=parsed.port or 3306,
                           user=parsed.username or "root", password=parsed.password or "",
                           database=database, charset="utf8mb4", autocommit=True, connect_timeout=5)


def _load_subset(cursor, dump):
    """Load the dump's schema and rows, keeping the first QUESTIONS questions and their threads only."""
    kept, questions, table, rows, statement = set(), 0, None, [], []
    with gzip.open(dump, "rt", encoding="utf-8") as lines:
        for line in lines:
            if table is not None:  # a multi-line INSERT: one row a line
                row = line.rstrip("\n")
                end = row.endswith(";")
                row = row.rstrip(";").rstrip(",")
                keep = True
                if table == "qa_posts":
                    postid, kind, parent = _POST_ROW.match(row).groups()
                    if kind.startswith("Q"):
                        keep, questions = questions < QUESTIONS, questions + 1
                    else:
                        keep = parent != "NULL" and int(parent) in kept  # parents come first (lower ids)
                    if keep:
                        kept.add(int(postid))
                elif table == "qa_uservotes":
                    keep = int(_FIRST_ID.match(row).group(1)) in kept
                if keep:
                    rows.append(row)
                if end:
                    if rows:
                        cursor.execute(f"INSERT INTO `{table}` VALUES\n" + ",\n".join(rows))
                    table, rows = None, []
                continue
            if not statement and line.startswith("INSERT INTO `") and line.rstrip().endswith("VALUES"):
                name = line[13:line.index("`", 13)]
                if name in SKIP_TABLES:
                    for rest in lines:
                        if rest.rstrip("\n").endswith(";"):
                            break
                else:
                    table = name
                continue
            if not statement and (line.startswith("--") or not line.strip()):
                continue
            statement.append(line)
            if line.rstrip().endswith(";"):
                cursor.execute("".join(statement))
                statement = []


def _one(cursor, sql):
    cursor.execute(sql)
    return cursor.fetchone()[0]


def _hand_made_cases(cursor):
    """Hidden and queued posts, a guest, HTML, an orphan, an old password and an edit; return their ids."""
    ids = {}
    comments = "SELECT postid FROM qa_posts WHERE type = 'C' ORDER BY postid"
    cursor.execute(comments)
    first, second, third, fourth = [row[0] for row in cursor.fetchmany(4)]
    ids["hidden_comment"], ids["queued_comment"], ids["guest_comment"] = first, second, third
    ids["zero_date"] = fourth
    cursor.execute(f"UPDATE qa_posts SET created = '0000-00-00 00:00:00' WHERE postid = {fourth}")
    cursor.execute(f"UPDATE qa_posts SET type = 'C_HIDDEN' WHERE postid = {first}")
    cursor.execute(f"UPDATE qa_posts SET type = 'C_QUEUED' WHERE postid = {second}")
    cursor.execute(f"UPDATE qa_posts SET userid = NULL, name = 'Guest Gwen' WHERE postid = {third}")
    quiet = ("upvotes = 0 AND downvotes = 0 AND NOT EXISTS (SELECT 1 FROM qa_posts s WHERE s.selchildid = p.postid)"
             " AND NOT EXISTS (SELECT 1 FROM qa_posts c WHERE c.parentid = p.postid)")
    ids["hidden_answer"] = _one(cursor, f"SELECT postid FROM qa_posts p WHERE type = 'A' AND {quiet} "
                                        "ORDER BY postid LIMIT 1")
    cursor.execute(f"UPDATE qa_posts SET type = 'A_HIDDEN' WHERE postid = {ids['hidden_answer']}")
    ids["queued_question"] = _one(cursor, "SELECT postid FROM qa_posts p WHERE type = 'Q' AND selchildid IS NULL "
                                          "AND upvotes = 0 AND downvotes = 0 ORDER BY postid DESC LIMIT 1")
    cursor.execute(f"UPDATE qa_posts SET type = 'Q_QUEUED' WHERE postid = {ids['queued_question']}")
    ids["html_answer"] = _one(cursor, "SELECT postid FROM qa_posts WHERE type = 'A' ORDER BY postid DESC LIMIT 1")
    cursor.execute("UPDATE qa_posts SET format = 'html', content = '<p>Hello <b>there</b>"
                   "<script>alert(1)</script> <a href=\"javascript:evil()\">x</a></p>' "
                   f"WHERE postid = {ids['html_answer']}")
    ids["edited_question"] = _one(cursor, "SELECT MIN(postid) FROM qa_posts WHERE type = 'Q'")
    cursor.execute("UPDATE qa_posts SET updated = created + INTERVAL 1 HOUR, updatetype = 'E', lastuserid = 1 "
                   f"WHERE postid = {ids['edited_question']}")
    cursor.execute("SELECT postid FROM qa_posts WHERE type = 'Q' ORDER BY postid LIMIT 3")
    original, ids["duplicate"], ids["closed"] = [row[0] for row in cursor.fetchall()]
    cursor.execute(f"UPDATE qa_posts SET closedbyid = {original} WHERE postid = {ids['duplicate']}")
    cursor.execute("INSERT INTO qa_posts (postid, type, parentid, userid, created, content, format) "
                   f"VALUES (99999980, 'NOTE', {ids['closed']}, 1, NOW(), 'Off topic here', '')")
    cursor.execute(f"UPDATE qa_posts SET closedbyid = 99999980 WHERE postid = {ids['closed']}")
    cursor.execute("INSERT INTO qa_categories (categoryid, parentid, title, tags, content, qcount, position, "
                   "backpath) VALUES (11, 1, 'At night', 'night', '', 1, 1, 'night/anxiety')")
    ids["night_question"] = _one(cursor, "SELECT MAX(postid) FROM qa_posts WHERE type = 'Q'")
    cursor.execute(f"UPDATE qa_posts SET categoryid = 11, catidpath1 = 1, catidpath2 = 11 "
                   f"WHERE postid = {ids['night_question']}")
    cursor.execute("SET FOREIGN_KEY_CHECKS = 0")
    cursor.execute("INSERT INTO qa_posts (postid, type, parentid, userid, created, content, format) "
                   "VALUES (99999990, 'C', 99999999, 2, NOW(), 'an orphan', '')")
    cursor.execute("SET FOREIGN_KEY_CHECKS = 1")
    # Before 1.5, Question2Answer stored sha1(salt[:8] + password + salt[8:]).
    cursor.execute("UPDATE qa_users SET passhash = NULL, passsalt = 'abcdefghijklmnop', "
                   "passcheck = UNHEX(SHA1('abcdefghold-password-1ijklmnop')) WHERE userid = 5")
    cursor.execute(POINTS_SQL)
    return ids


@pytest.fixture(scope="session")
def q2a(tmp_path_factory):
    """A throwaway Question2Answer database: (its URL, the hand-made cases' ids, the source counts)."""
    server = os.environ.get("FORUM_TEST_MYSQL_URL", "mysql://root@127.0.0.1:3306")
    if not DUMP.is_file():
        _unavailable(f"{DUMP} is missing (set FORUM_SHARED_DIR)")
    try:
        connection = _connect(server)
    except pymysql.MySQLError as error:
        _unavailable(f"MariaDB at {server} is unreachable ({error.args[-1]}); set FORUM_TEST_MYSQL_URL")
    name = f"forum_test_q2a_{uuid.uuid4().hex[:10]}"
    cursor = connection.cursor()
    try:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        cursor.execute(f"USE `{name}`")
        _load_subset(cursor, DUMP)
        ids = _hand_made_cases(cursor)
        counts = {
            "votes": _one(cursor, "SELECT COUNT(*) FROM qa_uservotes WHERE vote <> 0"),
            "best": _one(cursor, "SELECT COUNT(*) FROM qa_posts WHERE selchildid IS NOT NULL"),
            "answers": _one(cursor, "SELECT COUNT(*) FROM qa_posts WHERE type LIKE 'A%'"),
            "comments": _one(cursor, "SELECT COUNT(*) FROM qa_posts WHERE type LIKE 'C%'") - 1,  # the orphan
            "members": _one(cursor, "SELECT COUNT(*) FROM qa_users"),
        }
        cursor.execute("SELECT postid, title FROM qa_posts WHERE type = 'Q' ORDER BY postid LIMIT 1")
        counts["first_question"] = cursor.fetchone()
        cursor.execute("SELECT handle FROM qa_users WHERE userid = 2")
        counts["handle"] = cursor.fetchone()[0]
        yield f"{server.rstrip('/')}/{name}", ids, counts
    finally:
        cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        connection.close()


def _import(runner, url, *extra):
    result = runner.invoke(args=["forum", "import-q2a", url, *extra])
    assert "Traceback" not in result.output
    return result


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def _post(old_id):
    return db.session.scalar(select(Post).where(Post.import_key.endswith(f":post:{old_id}")))


def test_the_site_is_imported_with_points_passwords_and_old_links(runner, client, q2a, make_user):
    url, ids, counts = q2a
    make_user("talris208")  # a member here already has the name of Question2Answer's member 2
    result = _import(runner, url)
    assert result.exit_code == 0, result.output
    assert (_count(Question), _count(Answer), _count(Comment)) == (QUESTIONS, counts["answers"], counts["comments"])
    assert _count(Category) == 11 and _count(Tag) > 0
    night = db.session.scalar(select(Category).where(Category.slug == "night"))
    anxiety = db.session.scalar(select(Category).where(Category.slug == "anxiety"))
    assert night.parent_id == anxiety.id and _post(ids["night_question"]).category_id == night.id
    assert _count(User) == counts["members"] + 1
    assert db.session.scalar(select(func.count()).where(Vote.voter_id.is_not(None))) == counts["votes"] == _count(Vote)
    assert db.session.scalar(select(func.count()).where(Question.accepted_answer_id.is_not(None))) == counts["best"]
    assert "1 comments: its parent post is missing (e.g. 99999990)" in result.output
    assert f"points equal to Question2Answer's qa_userpoints for {counts['members']:,} of {counts['members']:,}" \
        in result.output
    assert "member 2 'talris208' is called 'talris208-2' here: the name is taken" in result.output
    assert "flask forum check: all counters match" in result.output and integrity.find_drift() == []
    # Visibility, guests, HTML, edits.
    assert _post(ids["hidden_comment"]).status == "hidden" and _post(ids["queued_comment"]).status == "queued"
    assert _post(ids["hidden_answer"]).status == "hidden" and _post(ids["queued_question"]).status == "queued"
    held = set(db.session.scalars(select(QueueItem.post_id).where(QueueItem.kind == "approval")))
    assert held == {_post(ids["queued_comment"]).id, _post(ids["queued_question"]).id}
    guest = _post(ids["guest_comment"])
    assert guest.author_id is None and guest.guest_name == "Guest Gwen"
    assert _post(ids["zero_date"]).created_at == common.UNKNOWN_TIME
    html = _post(ids["html_answer"]).body_html
    assert "<strong>there</strong>" in html and "script" not in html and "javascript:" not in html
    edited = _post(ids["edited_question"])
    admin = db.session.scalar(select(User).where(User.username == "admin"))
    assert edited.edited_at is not None and edited.edited_by_id == admin.id and admin.level == 120
    duplicate, closed = _post(ids["duplicate"]), _post(ids["closed"])
    assert duplicate.closed_reason == "duplicate" and duplicate.duplicate_of_id == _post(ids["edited_question"]).id
    assert closed.closed_reason == "other" and closed.closed_note == "Off topic here" and closed.closed_at
    # Old addresses redirect permanently.
    old_id, title = counts["first_question"]
    response = client.get(f"/{old_id}/some-old-slug")
    assert response.status_code == 301 and response.headers["Location"].startswith(f"/questions/{_post(old_id).id}/")
    assert client.get(f"/{old_id}").status_code == 301
    assert client.get("/user/talris208").headers["Location"] == "/users/talris208-2"
    assert client.get("/questions/anxiety").headers["Location"] == "/categories/anxiety"
    assert client.get("/questions/anxiety/night").headers["Location"] == "/categories/night"
    tag = db.session.scalar(select(Tag.name).order_by(Tag.id))
    assert client.get(f"/tag/{tag}").headers["Location"] == f"/tags/{tag}"
    queued = client.get(f"/{ids['queued_question']}")
    assert queued.status_code == 301 and queued.headers["Location"] == f"/questions/{_post(ids['queued_question']).id}"
    assert client.get("/99999998").status_code == 404
    # Members log in with their old passwords, which are then rehashed; weak ones are asked to change.
    member = db.session.scalar(select(User).where(User.import_key.endswith(":user:3")))
    assert member.password_hash.startswith("$2y$")
    assert client.post("/login", data={"username": member.username, "password": "wrong password"}).status_code == 400
    response = client.post("/login", data={"username": member.username, "password": "benchpass"},
                           follow_redirects=True)
    assert response.status_code == 200 and "weaker than this site asks for" in response.get_data(as_text=True)
    db.session.refresh(member)
    assert not member.password_hash.startswith("$2") and member.password_hash.startswith(("scrypt", "pbkdf2"))
    client.post("/logout")
    old = db.session.scalar(select(User).where(User.import_key.endswith(":user:5")))
    assert old.password_hash.startswith("q2a-sha1$")
    assert client.post("/login", data={"username": old.username, "password": "old-password-1"}).status_code == 302
    db.session.refresh(old)
    assert not old.password_hash.startswith("q2a-sha1$")
    # A re-run adds nothing.
    before = (_count(Post), _count(Vote), _count(User), _count(Category))
    result = _import(runner, url)
    assert result.exit_code == 0, result.output
    assert "Imported: nothing new" in result.output
    assert (_count(Post), _count(Vote), _count(User), _count(Category)) == before


def test_an_interrupted_import_continues(runner, q2a, monkeypatch):
    url, _, counts = q2a
    monkeypatch.setattr(common, "BATCH", 50)
    real_insert, calls = common.insert_posts, []

    def interrupted(rows, tags, render):
        calls.append(len(rows))
        if len(calls) == 3:  # the questions and the first answers are in
            raise KeyboardInterrupt
        return real_insert(rows, tags, render)

    monkeypatch.setattr(common, "insert_posts", interrupted)
    result = _import(runner, url)
    assert result.exit_code == 130 and "run the command again to continue" in result.output
    assert _count(Question) == QUESTIONS and 0 < _count(Answer) < counts["answers"] and _count(Vote) == 0
    monkeypatch.setattr(common, "insert_posts", real_insert)
    result = _import(runner, url)
    assert result.exit_code == 0, result.output
    assert (_count(Question), _count(Answer), _count(Comment)) == (QUESTIONS, counts["answers"], counts["comments"])
    assert _count(Vote) == counts["votes"] and integrity.find_drift() == []
    assert f"for {counts['members']:,} of {counts['members']:,} members" in result.output


@pytest.mark.parametrize("url, message", [
    ("not a url", "is not a database URL"),
    ("postgresql://postgres@127.0.0.1/forum", "is not a MySQL/MariaDB URL"),
    ("mysql://root@127.0.0.1:1/q2a", "Could not connect to mysql://root@127.0.0.1:1/q2a"),
])
def test_a_wrong_address_is_refused(runner, url, message):
    result = _import(runner, url)
    assert result.exit_code == 1 and message in result.output


def test_a_database_that_is_not_question2answer_is_refused(runner, q2a):
    url, _, _ = q2a
    server = url.rsplit("/", 1)[0]
    name = f"forum_test_notq2a_{uuid.uuid4().hex[:8]}"
    connection = _connect(server)
    try:
        cursor = connection.cursor()
        cursor.execute(f"CREATE DATABASE `{name}`")
        cursor.execute(f"CREATE TABLE `{name}`.wp_posts (id INT PRIMARY KEY)")
        result = _import(runner, f"{server}/{name}")
        assert result.exit_code == 1 and "is not a Question2Answer database" in result.output
        cursor.execute(f"CREATE TABLE `{name}`.qa_posts (postid INT PRIMARY KEY)")
        result = _import(runner, f"{server}/{name}")
        assert result.exit_code == 1
        assert "lacks qa_users, qa_categories, qa_uservotes, which the import needs" in result.output
        result = _import(runner, f"{server}/{name}_missing")
        assert result.exit_code == 1 and "Could not connect" in result.output
        assert _count(Post) == 0 and _count(User) == 0
    finally:
        connection.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
        connection.close()


@pytest.mark.skipif(os.environ.get("FORUM_FULL_BENCH_TEST") != "1",
                    reason="set FORUM_FULL_BENCH_TEST=1 to restore and import the whole dump (many minutes)")
def test_the_whole_dump_is_imported_exactly(runner, client, q2a):
    import subprocess

    server = q2a[0].rsplit("/", 1)[0]
    parsed = make_url(server)
    name = f"forum_test_q2a_full_{uuid.uuid4().hex[:8]}"
    connection = _connect(server)
    try:
        connection.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        unzip = subprocess.Popen(["gunzip", "-c", str(DUMP)], stdout=subprocess.PIPE)
        subprocess.run(["mariadb", "-h", parsed.host or "127.0.0.1", "-P", str(parsed.port or 3306),
                        "-u", parsed.username or "root", name], stdin=unzip.stdout, check=True)
        assert unzip.wait() == 0
        result = _import(runner, f"{server}/{name}")
        assert result.exit_code == 0, result.output
        assert "10,000 questions, 40,000 answers, 20,000 comments, 2,100 best answers, 60,000 votes" \
            in result.output
        assert "qa_userpoints for 2,001 of 2,001 members" in result.output
        assert client.post("/login", data={"username": "talris208", "password": "benchpass"}).status_code == 302
        assert client.get("/2535/old-slug").status_code == 301
    finally:
        connection.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
        connection.close()
        if db.engine.dialect.name == "postgresql":
            # The fixture's row-by-row DELETE checks every foreign key to members against
            # 70,000 dead post rows; TRUNCATE empties the tables at once.
            db.session.rollback()
            db.session.execute(text("TRUNCATE " + ", ".join(t.name for t in db.metadata.sorted_tables)
                                    + " CASCADE"))
            db.session.commit()
