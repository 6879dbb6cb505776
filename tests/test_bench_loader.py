"""The benchmark loader: bulk inserts that leave every counter and every member's points exact."""
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import aliased
from werkzeug.security import check_password_hash

from bench import load_dataset, q2a_points
from forum.extensions import db
from forum.models import Answer, Category, Comment, Post, Question, Revision, Tag, User, Vote, post_tags
from forum.services import bulk, integrity
from forum.services.errors import Conflict

SHARED = Path(os.environ.get("FORUM_SHARED_DIR") or Path(__file__).resolve().parents[2] / "shared")
Q2A = SHARED / "data" / "q2a-bench"
TAGS = ["sleep", "worry", "panic", "grief"]


def small_dataset():
    """Return a data set's lines: 3 categories, 20 members, 30 questions, 40 answers, 20 comments.

    Members 0, 1 and 2 have hand-computable points: 0 asks q0 (12 up, 4 down votes:
    both caps) and q1, answers q1 and selects that self-answer, and selects 1's a0
    on q0; a0 gets 11 up and 3 down votes (both caps again).
    """
    lines = [{"t": "cat", "i": 0, "title": "Anxiety", "slug": "anxiety"},
             {"t": "cat", "i": 1, "title": "Sleep", "slug": "sleep"},
             {"t": "cat", "i": 2, "title": "Work and Study", "slug": "work-study"}]
    lines += [{"t": "user", "i": k, "handle": f"Tester{k:02d}", "email": f"tester{k:02d}@example.invalid"}
              for k in range(20)]
    asker = {0: 0, 1: 0} | {i: 3 + i % 17 for i in range(2, 30)}
    for i in range(30):
        tags = sorted({TAGS[i % 4], TAGS[(i * 7) % 4]})
        lines.append({"t": "q", "i": i, "user": asker[i], "cat": i % 3, "title": f"Question number {i} about sleep?",
                      "body": f"Body of question {i}.\n\nIt has *two* paragraphs.", "tags": tags})
    answers = [(0, 1), (1, 0), (1, 1), (0, 2)] + [(2 + k % 28, 3 + (k + 5) % 17) for k in range(36)]
    for i, (question, user) in enumerate(answers):
        lines.append({"t": "a", "i": i, "q": question, "user": user, "body": f"Answer {i}: try this."})
    parents = [["q", 0], ["a", 0]] + [["q" if k % 2 else "a", 2 + k] for k in range(18)]
    commenters = [2, 0] + [3 + k % 17 for k in range(18)]
    for i, (parent, user) in enumerate(zip(parents, commenters, strict=True)):
        lines.append({"t": "c", "i": i, "parent": parent, "user": user, "body": f"Comment {i}"})
    lines += [{"t": "sel", "q": 0, "a": 0}, {"t": "sel", "q": 1, "a": 1}, {"t": "sel", "q": 2, "a": 4}]
    votes = [(u, "q", 0, 1) for u in range(3, 15)] + [(u, "q", 0, -1) for u in range(15, 19)]
    votes += [(u, "a", 0, 1) for u in range(3, 14)] + [(u, "a", 0, -1) for u in range(14, 17)]
    votes += [(0, "a", 3, 1), (1, "a", 3, -1), (2, "q", 1, 1), (2, "a", 2, -1)]
    for k in range(20):  # members 3..19 vote on others' answers 4..23
        author = answers[4 + k][1]
        votes.append((3 + (author - 3 + 1 + k % 5) % 17, "a", 4 + k, 1 if k % 4 else -1))
    lines += [{"t": "v", "user": u, "post": [kind, index], "v": value} for u, kind, index, value in votes]
    return lines, len(votes)


@pytest.fixture
def dataset(tmp_path):
    lines, vote_count = small_dataset()
    path = tmp_path / "small.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path, vote_count


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def points_of(handle):
    return db.session.scalar(select(User.points).where(User.username == handle))


def test_the_loader_sets_every_counter_and_points(app, dataset):
    path, vote_count = dataset
    stats = load_dataset.load(path)
    assert stats["questions"] == 30 and stats["votes"] == vote_count
    assert integrity.find_drift() == []
    assert (count(Category), count(User), count(Question), count(Answer), count(Comment)) == (3, 20, 30, 40, 20)
    assert count(Vote) == vote_count
    assert count(Revision) == 90
    assert db.session.scalar(select(func.count()).where(Revision.number == 1)) == 90
    assert count(Tag) == 4 and count(post_tags) == sum(len({i % 4, i * 7 % 4}) for i in range(30))
    assert db.session.scalar(select(func.count()).where(Question.accepted_answer_id.is_not(None))) == 3

    q0 = db.session.scalar(select(Question).where(Question.import_key == "bench:q:0"))
    a0 = db.session.scalar(select(Answer).where(Answer.import_key == "bench:a:0"))
    c1 = db.session.scalar(select(Comment).where(Comment.import_key == "bench:c:1"))
    assert (q0.upvote_count, q0.downvote_count, q0.score, q0.answer_count, q0.comment_count) == (12, 4, 8, 2, 1)
    assert (a0.upvote_count, a0.downvote_count, a0.score, a0.comment_count) == (11, 3, 8, 1)
    assert q0.accepted_answer_id == a0.id and c1.parent_id == a0.id and c1.question_id == q0.id
    assert q0.created_at < a0.created_at < c1.created_at == q0.last_activity_at
    assert a0.body_html == "<p>Answer 0: try this.</p>"
    assert db.session.scalar(select(Vote.source).limit(1)) == "bench"

    member = db.session.scalar(select(User).where(User.username == "Tester00"))
    assert member.username_canonical == "tester00" and member.email == "tester00@example.invalid"
    assert member.level == 0 and check_password_hash(member.password_hash, "benchpass")
    assert member.password_hash.startswith("scrypt:")
    assert len(set(db.session.scalars(select(User.password_hash)))) == 1  # hashed once

    # 0: 2 questions (2 each), 1 answer (4), 2 selections (3 each; the self-answer earns
    # no 30), 1 vote cast, q0 min(12, 10) - min(4, 3) = 7, q1 +1, a1 0.
    assert points_of("Tester00") == 100 + 10 * (4 + 4 + 6 + 1 + 7 + 1)
    # 1: 2 answers, a0 selected (30), 1 vote cast, a0 min(22, 20) - min(6, 5) = 15, a2 -2.
    assert points_of("Tester01") == 100 + 10 * (8 + 30 + 1 + 15 - 2)
    # 2: 1 answer, 2 votes cast, a3 +2 - 2; a comment earns nothing.
    assert points_of("Tester02") == 100 + 10 * (4 + 2 + 0)


def test_timestamps_follow_the_load_order(app, dataset):
    load_dataset.load(dataset[0])
    rows = db.session.execute(select(Post.type, Post.created_at).order_by(Post.id)).all()
    times = [at for _, at in rows]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert [t for t, _ in rows] == ["question"] * 30 + ["answer"] * 40 + ["comment"] * 20
    assert times[0] == bulk.BASE_TIME + (3 + 20) * bulk.STEP


def test_copies_are_independent_communities(app, dataset):
    path, vote_count = dataset
    load_dataset.load(path, scale=2)
    assert integrity.find_drift() == []
    assert (count(User), count(Question), count(Vote), count(Category), count(Tag)) == (40, 60, 2 * vote_count, 6, 8)
    assert points_of("Tester00-2") == points_of("Tester00") == 330
    assert db.session.scalar(select(Category.slug).where(Category.slug == "work-study-2")) == "work-study-2"
    voter, post = aliased(User), aliased(Post)
    pairs = db.session.execute(
        select(voter.import_key, post.import_key).select_from(Vote)
        .join(voter, voter.id == Vote.voter_id).join(post, post.id == Vote.post_id)
    ).all()
    copy = [(v.split(":")[0], p.split(":")[0]) for v, p in pairs]
    assert sorted(set(copy)) == [("bench", "bench"), ("bench-2", "bench-2")]
    assert copy.count(("bench-2", "bench-2")) == vote_count


def test_a_forum_with_posts_is_refused_unless_forced(app, dataset):
    path, _ = dataset
    load_dataset.load(path)
    with pytest.raises(Conflict, match="already has 90 posts"):
        load_dataset.load(path)
    with pytest.raises(Conflict, match="already exist"):
        load_dataset.load(path, force=True)
    assert count(Question) == 30 and integrity.find_drift() == []


def test_a_malformed_data_set_names_its_line():
    lines, _ = small_dataset()
    lines.append({"t": "v", "user": 0, "post": ["q", 0], "v": 1})
    with pytest.raises(ValueError, match=rf"line {len(lines)}: .*own post"):
        bulk.read_dataset(json.dumps(line) for line in lines)


def test_the_parser_reads_both_insert_layouts(tmp_path):
    dump = tmp_path / "dump.sql"
    dump.write_text(
        "CREATE TABLE `qa_userpoints` (\n  `userid` int(10) unsigned NOT NULL,\n"
        "  `points` int(11) NOT NULL DEFAULT 0,\n  `note` varchar(9),\n  PRIMARY KEY (`userid`)\n);\n"
        "INSERT INTO `qa_other` VALUES (1,2);\n"
        "INSERT INTO `qa_userpoints` VALUES (1,100,'a, (b)'),(2,250,NULL);\n"
        "INSERT INTO `qa_userpoints` VALUES\n(3,-40,'it''s'),\n(4,7,'x\\'y');\nUNLOCK TABLES;\n"
    )
    assert q2a_points.parse_userpoints(dump) == {1: 100, 2: 250, 3: -40, 4: 7}


@pytest.mark.skipif(not (Q2A / q2a_points.DUMP).is_file(), reason="the Question2Answer dump is not here")
def test_the_question2answer_dump_is_parsed():
    userpoints = q2a_points.parse_userpoints(Q2A / q2a_points.DUMP)
    members = q2a_points.parse_idmap_users(Q2A / q2a_points.IDMAP)
    assert len(members) == 2000
    member_points = [userpoints[userid] for userid, _ in members.values()]
    assert len(member_points) == 2000 and max(member_points) == 181_540


@pytest.fixture
def quick_cleanup(app):
    """Empty the tables after the test faster than the app fixture's DELETEs can.

    Deleting a post makes the database look for rows that refer to it, and some
    referring columns have no index (posts.accepted_answer_id, duplicate_of_id,
    merged_into_id, ...), so deleting 70,000 posts row by row takes hours.
    """
    yield
    db.session.remove()
    present = set(inspect(db.engine).get_table_names())
    names = [table.name for table in db.metadata.sorted_tables if table.name in present]
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{name}"' for name in names) + " CASCADE"))
        return
    with db.engine.connect() as conn:
        raw = conn.connection.driver_connection  # autocommit: PRAGMA foreign_keys needs no transaction
        raw.execute("PRAGMA foreign_keys=OFF")
        try:
            for name in reversed(names):
                raw.execute(f'DELETE FROM "{name}"')
        finally:
            raw.execute("PRAGMA foreign_keys=ON")


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get("FORUM_FULL_BENCH_TEST") != "1",
                    reason="loads the whole data set (minutes); set FORUM_FULL_BENCH_TEST=1")
@pytest.mark.skipif(not (Q2A / q2a_points.DUMP).is_file(), reason="the Question2Answer dump is not here")
def test_every_member_has_question2answers_points(app, quick_cleanup):
    app.config["FORUM_SHARED_DIR"] = str(SHARED)
    load_dataset.load(scale=1, jobs=os.cpu_count() or 1)
    assert integrity.find_drift() == []
    result = q2a_points.compare(q2a_points.parse_userpoints(Q2A / q2a_points.DUMP),
                                q2a_points.parse_idmap_users(Q2A / q2a_points.IDMAP))
    assert (result.compared, result.equal, result.differences) == (2000, 2000, [])
