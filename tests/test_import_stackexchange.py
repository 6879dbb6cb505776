"""`flask forum import-stackexchange`: the real conlang.meta dump, re-runs, resumed runs and hostile XML."""
import os
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.importers import common
from forum.models import Answer, Comment, Post, Question, User, Vote
from forum.services import integrity

SHARED = Path(os.environ.get("FORUM_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
CONLANG = SHARED / "data" / "stackexchange-conlang.meta"


@pytest.fixture
def conlang():
    if not (CONLANG / "Posts.xml").is_file():
        if os.environ.get("FORUM_REQUIRE_SERVICES") == "1":
            pytest.fail(f"{CONLANG} is missing (set FORUM_SHARED_DIR)")
        pytest.skip(f"{CONLANG} is missing (set FORUM_SHARED_DIR)")
    return CONLANG


def _import(runner, folder, *extra):
    result = runner.invoke(args=["forum", "import-stackexchange", str(folder), *extra])
    assert "Traceback" not in result.output
    return result


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def _dump_scores(folder):
    """{Id: Score} of questions and answers, and the up/down votes per post, read straight from the XML."""
    scores = {row.get("Id"): int(row.get("Score")) for row in ElementTree.parse(folder / "Posts.xml").getroot()
              if row.get("PostTypeId") in ("1", "2")}
    votes = Counter()
    for row in ElementTree.parse(folder / "Votes.xml").getroot():
        if row.get("VoteTypeId") in ("2", "3"):
            votes[row.get("PostId")] += 1 if row.get("VoteTypeId") == "2" else -1
    return scores, votes


def test_the_conlang_dump_is_imported_exactly(runner, client, conlang):
    result = _import(runner, conlang)
    assert result.exit_code == 0, result.output
    assert (_count(Question), _count(Answer), _count(Comment)) == (54, 115, 230)
    assert "4 tag wikis: not posts here" in result.output
    assert "4 tag wiki excerpts: not posts here" in result.output
    assert "flask forum check: all counters match" in result.output
    assert integrity.find_drift() == []
    # Every question's and answer's score is its up minus down votes in Votes.xml, and the dump's Score.
    scores, votes = _dump_scores(conlang)
    imported = dict(db.session.execute(select(Post.import_key, Post.score).where(Post.type != "comment")).all())
    assert len(imported) == len(scores) == 169
    for se_id, score in scores.items():
        assert imported[f"se:conlang.meta.stackexchange.com:post:{se_id}"] == score == votes[se_id]
    assert db.session.scalar(select(func.count()).where(Vote.voter_id.is_not(None))) == 0
    assert db.session.scalar(select(func.count()).where(Question.accepted_answer_id.is_not(None))) == 11
    # Users are placeholders: deterministic names, no email, no password.
    users = db.session.execute(select(User.username, User.email, User.password_hash)).all()
    assert len(users) == 272
    assert {email for _, email, _ in users} == {None} and {h for _, _, h in users} == {None}
    assert "se-conlang-meta-14" in {name for name, _, _ in users}
    # The attribution shows on the page: author, original post, licence by row.
    question = db.session.scalar(select(Question).where(Question.import_key.endswith(":post:1")))
    page = client.get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
    assert 'href="https://conlang.meta.stackexchange.com/q/1"' in page
    assert 'href="https://conlang.meta.stackexchange.com/users/14"' in page
    assert "CC BY-SA 3.0" in page and "https://creativecommons.org/licenses/by-sa/3.0/" in page
    # Placeholder members cannot log in.
    response = client.post("/login", data={"username": "se-conlang-meta-14", "password": "anything at all"})
    assert response.status_code == 400 and "Wrong username or password" in response.get_data(as_text=True)
    # A re-run adds nothing.
    before = (_count(Post), _count(Vote), _count(User))
    result = _import(runner, conlang)
    assert result.exit_code == 0, result.output
    assert (_count(Post), _count(Vote), _count(User)) == before
    assert "Imported: nothing new" in result.output
    assert "Already there from an earlier run: 272 users, 54 questions, 115 answers, 230 comments" in result.output


def test_an_interrupted_run_continues(runner, conlang, monkeypatch):
    monkeypatch.setattr(common, "BATCH", 20)
    real_insert, calls = common.insert_posts, []

    def interrupted(rows, tags, render):
        calls.append(len(rows))
        if len(calls) == 6:  # questions (3 batches) and two batches of answers are in
            raise KeyboardInterrupt
        return real_insert(rows, tags, render)

    monkeypatch.setattr(common, "insert_posts", interrupted)
    result = _import(runner, conlang)
    assert result.exit_code == 130 and "run the command again to continue" in result.output
    assert _count(Question) == 54 and 0 < _count(Answer) < 115 and _count(Comment) == 0
    monkeypatch.setattr(common, "insert_posts", real_insert)
    result = _import(runner, conlang)
    assert result.exit_code == 0, result.output
    assert (_count(Question), _count(Answer), _count(Comment)) == (54, 115, 230)
    assert integrity.find_drift() == []


# --- Hostile input -------------------------------------------------------------------------

def _write(folder, name, rows, root="rows"):
    folder.mkdir(exist_ok=True)
    (folder / name).write_text('\ufeff<?xml version="1.0" encoding="utf-8"?>\r\n'
                               f"<{root}>\r\n" + "\r\n".join(rows) + f"\r\n</{root}>\r\n", encoding="utf-8")


def test_hostile_rows_are_skipped_with_their_reason(runner, tmp_path, make_user):
    make_user("se-hostile-3")  # a member here already has the name an imported user would get
    dump = tmp_path / "stackexchange-hostile"
    _write(dump, "Users.xml", [
        '<row Id="1" CreationDate="2020-01-01T00:00:00.000" DisplayName="Sam" />',
        '<row Id="2" CreationDate="2020-01-01T00:00:00.000" DisplayName="Sam" />',  # display names collide
        '<row Id="3" CreationDate="2020-01-01T00:00:00.000" DisplayName="Taken" />',
        '<row Id="4" DisplayName="No date" />',
    ], "users")
    _write(dump, "Posts.xml", [
        '<row Id="10" PostTypeId="1" CreationDate="2010-05-01T10:00:00.000" Score="1" OwnerUserId="1" '
        'Title="A fine question" Tags="&lt;meta&gt;&lt;bad tag!&gt;" '
        'Body="&lt;p&gt;Hello&lt;script&gt;alert(1)&lt;/script&gt; &lt;a href=&quot;javascript:x()&quot;&gt;'
        'link&lt;/a&gt;&lt;img src=&quot;https://evil.example/x.png&quot; onerror=&quot;x()&quot;&gt;&lt;/p&gt;" />',
        '<row Id="11" PostTypeId="2" ParentId="999" CreationDate="2020-01-01T00:00:00.000" Body="orphan" />',
        '<row Id="12" PostTypeId="2" ParentId="10" Body="no date" />',
        '<row Id="13" PostTypeId="5" CreationDate="2020-01-01T00:00:00.000" Body="a tag wiki" />',
        '<row Id="14" PostTypeId="2" ParentId="10" CreationDate="2020-01-01T00:00:00.000" Score="-1" '
        'OwnerUserId="2" Body="&lt;p&gt;An answer&lt;/p&gt;" />',
        '<row Id="oops" PostTypeId="1" />',
        '<row Id="15" PostTypeId="1" CreationDate="2020-01-01T00:00:00.000" Body="untitled" />',
        '<row Id="16" PostTypeId="2" ParentId="10" CreationDate="2021-01-01T00:00:00.000" OwnerUserId="3" '
        'Body="by the member whose name is taken" ContentLicense="CC BY-SA 4.0" />',
        '<row Id="17" PostTypeId="1" CreationDate="2020-01-01T00:00:00.000" Title="Odd numbers" Body="x" '
        'Score="many" ViewCount="-5" AcceptedAnswerId="nope" OwnerUserId="ghost" LastEditDate="yesterday" />',
    ], "posts")
    _write(dump, "Votes.xml", [
        '<row Id="1" PostId="10" VoteTypeId="2" CreationDate="2020-01-01T00:00:00.000" />',
        '<row Id="2" PostId="14" VoteTypeId="3" CreationDate="2020-01-01T00:00:00.000" />',
        '<row Id="3" PostId="999" VoteTypeId="2" CreationDate="2020-01-01T00:00:00.000" />',
        '<row Id="4" PostId="10" VoteTypeId="5" CreationDate="2020-01-01T00:00:00.000" />',
        '<row Id="5" VoteTypeId="2" />',
    ], "votes")
    _write(dump, "Comments.xml", [
        '<row Id="1" PostId="10" Text="A &lt;b&gt;comment&lt;/b&gt;" CreationDate="2020-01-01T00:00:00.000" UserId="2" />',
        '<row Id="2" PostId="999" Text="lost" CreationDate="2020-01-01T00:00:00.000" />',
    ], "comments")
    result = _import(runner, dump, "--site", "hostile.stackexchange.com")
    assert result.exit_code == 0, result.output
    for line in ("1 users: malformed row", "1 answers: its question is missing (e.g. 11)",
                 "1 answers: malformed row (no CreationDate) (e.g. 12)", "1 tag wikis: not posts here (e.g. 13)",
                 "1 posts: malformed row", "1 questions: malformed row (no Title) (e.g. 15)",
                 "the post is not in the dump (deleted) or was skipped", "vote type 5 is not an up or down vote",
                 "1 comments: its post is missing (e.g. 2)"):
        assert line in result.output
    assert "users: the username is taken here by another member (e.g. se-hostile-3)" in result.output
    assert (_count(Question), _count(Answer), _count(Comment), _count(Vote)) == (2, 2, 1, 2)
    taken = db.session.scalar(select(Answer).where(Answer.import_key.endswith(":post:16")))
    assert taken.author_id is None and taken.guest_name == "Taken"
    assert taken.attribution_info["license"] == "CC BY-SA 4.0"
    odd = db.session.scalar(select(Question).where(Question.title == "Odd numbers"))
    assert odd.view_count == 0 and odd.author_id is None and odd.edited_at is None
    question = db.session.scalar(select(Question).where(Question.title == "A fine question"))
    assert "script" not in question.body_html and "javascript:" not in question.body_html
    assert "onerror" not in question.body_html and "<img" not in question.body_html
    assert db.session.scalar(select(User.username).where(User.import_key.is_not(None))
                             .order_by(User.id)) == "se-hostile-1"
    assert integrity.find_drift() == []
    # The licence follows the post's date when the row does not say: 2010 is CC BY-SA 2.5.
    assert question.attribution_info["license"] == "CC BY-SA 2.5"


def test_a_malformed_file_stops_that_file_with_a_clear_message(runner, tmp_path):
    dump = tmp_path / "broken"
    dump.mkdir()
    (dump / "Posts.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<posts>\n'
        '<row Id="1" PostTypeId="1" CreationDate="2020-01-01T00:00:00.000" Title="Fine" Body="ok" />\n'
        '<row Id="2" PostTypeId="1" Title="cut off', encoding="utf-8")
    result = _import(runner, dump, "--site", "broken.stackexchange.com")
    assert result.exit_code == 1
    assert "Error: Posts.xml is not well-formed XML at line 4" in result.output
    assert _count(Question) == 1 and integrity.find_drift() == []


@pytest.mark.parametrize("make", ["missing", "empty"])
def test_a_folder_without_the_dump_is_refused(runner, tmp_path, make):
    folder = tmp_path / "nothing"
    if make == "empty":
        folder.mkdir()
    result = _import(runner, folder)
    assert result.exit_code == 1
    assert ("holds no Posts.xml" if make == "empty" else "is not a folder") in result.output
    assert _count(Post) == 0


def test_the_site_comes_from_the_folder_name():
    from forum.importers.stackexchange import site_host, site_key

    assert site_host("/x/stackexchange-bicycles.meta") == "bicycles.meta.stackexchange.com"
    assert site_host("/x/cooking.stackexchange.com/") == "cooking.stackexchange.com"
    assert site_host("/x/dump", "https://superuser.com") == "superuser.com"
    assert site_key("bicycles.meta.stackexchange.com") == "bicycles-meta"


@pytest.mark.skipif(os.environ.get("FORUM_FULL_BENCH_TEST") != "1",
                    reason="set FORUM_FULL_BENCH_TEST=1 to import the bicycles.meta dump too (minutes)")
def test_the_bicycles_dump_is_imported_exactly(runner):
    folder = SHARED / "data" / "stackexchange-bicycles.meta"
    result = _import(runner, folder)
    assert result.exit_code == 0, result.output
    assert (_count(Question), _count(Answer), _count(Comment)) == (453, 971, 2448)
    assert "scores equal to the dump's Score for 1,424 of 1,424 questions and answers" in result.output
    scores, votes = _dump_scores(folder)
    assert all(scores[se_id] == votes[se_id] for se_id in scores)
    assert integrity.find_drift() == []
