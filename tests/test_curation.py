"""Curation: hide, delete, close and merge; counters, points, audit and visibility stay exact."""
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Category, ModerationAction, Post, Tag, User
from forum.services import integrity, selection, votes
from forum.text import slugify
from tests.factories import make_answer, make_category, make_comment, make_question
from tests.fixtures.users import AuthActions

# Default points scheme (multiple 10): base 100, asking +20, answering +40, an up vote on an
# answer +20 to its author, casting an up vote +10, a best answer +300 to its author, +30 to the asker.
BASE, ASKED, ANSWERED, A_UP, CAST, SELECTED, SELECTS = 100, 20, 40, 20, 10, 300, 30

# --- Helpers ------------------------------------------------------------------------------


def client_for(app, user=None):
    client = app.test_client()
    if user is not None:
        AuthActions(client).login(user)
    return client


def fresh(post):
    db.session.expire_all()
    return db.session.get(Post, post.id)


def points_of(user):
    db.session.expire_all()
    return db.session.scalar(select(User.points).where(User.id == user.id))


def question_url(question):
    question = fresh(question)
    return f"/questions/{question.id}/{slugify(question.title)}"


def page_of(client, question, status=200):
    response = client.get(question_url(question))
    assert response.status_code == status
    return response.get_data(as_text=True)


def audit_entries(action=None, post=None):
    query = select(ModerationAction).order_by(ModerationAction.id)
    if action:
        query = query.where(ModerationAction.action == action)
    if post is not None:
        query = query.where(ModerationAction.post_id == post.id)
    return list(db.session.scalars(query))


def field_error(html, field):
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', html, re.S)
    return match.group(1) if match else None


def assert_consistent(runner):
    """Every counter and every member's points equal their recount, by the service and the CLI."""
    db.session.expire_all()
    assert integrity.find_drift() == []
    result = runner.invoke(args=["forum", "check"])
    assert result.exit_code == 0, result.output
    assert "All counters match" in result.output


def tag_counts():
    return dict(db.session.execute(select(Tag.name, Tag.question_count)).all())


def category_counts():
    return dict(db.session.execute(select(Category.slug, Category.question_count)).all())


def act(client, post, action, reason="Breaks the rules", **extra):
    return client.post(f"/posts/{post.id}/{action}", data={"reason": reason, **extra})


@pytest.fixture
def thread(make_user, moderator):
    """A question in Health > Sleep with two answers, an up vote, a best answer and comments."""
    health = make_category("Health")
    sleep = make_category("Sleep", parent=health)
    asker = make_user("asker")
    answerer = make_user("answerer")
    other = make_user("other")
    voter = make_user("voter")
    reader = make_user("reader")
    question = make_question(asker, body="I lie awake every night.", category=sleep, tags="sleep insomnia")
    best = make_answer(question, answerer, body="A wind-down routine helped me.")
    answer = make_answer(question, other, body="Try reading a dull book in bed.")
    votes.cast_vote(voter, best, 1)
    votes.cast_vote(voter, answer, 1)
    votes.cast_vote(voter, question, 1)
    selection.select_answer(question, best)
    db.session.commit()
    comment = make_comment(answer, voter, body="This worked for me as well.")
    question_comment = make_comment(question, other, body="How long has this been going on?")
    assert integrity.find_drift() == []
    return SimpleNamespace(question=question, best=best, answer=answer, comment=comment,
                           question_comment=question_comment, asker=asker, answerer=answerer,
                           other=other, voter=voter, reader=reader, health=health, sleep=sleep,
                           moderator=moderator)


# --- Hide, unhide, delete, undelete ------------------------------------------------------------

TEXTS = {
    "question": "I lie awake every night.",
    "answer": "Try reading a dull book in bed.",
    "best": "A wind-down routine helped me.",
    "comment": "This worked for me as well.",
}


@pytest.mark.parametrize("target", ["question", "answer", "best", "comment"])
def test_hide_unhide_delete_undelete_keep_everything_exact(app, runner, thread, target):
    post = getattr(thread, target)
    client = client_for(app, thread.moderator)
    for action, status in (("hide", "hidden"), ("unhide", "visible"), ("delete", "deleted"),
                           ("undelete", "visible")):
        reason = "" if action in ("unhide", "undelete") else f"reason for {action}"
        response = act(client, post, action, reason=reason)
        assert response.status_code == 303, (action, response.get_data(as_text=True)[:2000])
        assert fresh(post).status == status
        entries = audit_entries(action, post)
        assert len(entries) == 1 and entries[0].actor_id == thread.moderator.id, action
        assert_consistent(runner)
    assert [e.action for e in audit_entries(post=post)] == ["hide", "unhide", "delete", "undelete"]


def test_hiding_an_upvoted_answer_removes_and_unhiding_restores_vote_points(app, runner, thread):
    answerer_before, voter_before = points_of(thread.other), points_of(thread.voter)
    assert answerer_before == BASE + ANSWERED + A_UP
    client = client_for(app, thread.moderator)
    assert act(client, thread.answer, "hide").status_code == 303
    assert points_of(thread.other) == BASE
    assert points_of(thread.voter) == voter_before - CAST
    assert fresh(thread.question).answer_count == 1
    assert fresh(thread.answer).comment_count == 1, "its comments stay, hidden with it"
    assert_consistent(runner)
    assert act(client, thread.answer, "unhide", reason="").status_code == 303
    assert points_of(thread.other) == answerer_before
    assert points_of(thread.voter) == voter_before
    assert fresh(thread.question).answer_count == 2
    assert_consistent(runner)


def test_hiding_the_best_answer_unselects_it(app, runner, thread):
    asker_before, answerer_before = points_of(thread.asker), points_of(thread.answerer)
    assert answerer_before == BASE + ANSWERED + A_UP + SELECTED
    client = client_for(app, thread.moderator)
    assert act(client, thread.best, "hide").status_code == 303
    assert fresh(thread.question).accepted_answer_id is None
    assert points_of(thread.asker) == asker_before - SELECTS
    assert points_of(thread.answerer) == BASE
    assert_consistent(runner)
    html = page_of(client, thread.question)
    assert "Best answer" not in html.split('id="answers-heading"')[1]
    # Showing it again does not make it the best answer again.
    assert act(client, thread.best, "unhide", reason="").status_code == 303
    assert fresh(thread.question).accepted_answer_id is None
    assert points_of(thread.answerer) == BASE + ANSWERED + A_UP
    assert_consistent(runner)


def test_hiding_and_deleting_a_question_moves_category_and_tag_counts(app, runner, thread):
    client = client_for(app, thread.moderator)
    assert category_counts() == {"health": 1, "sleep": 1}
    for action, expected in (("hide", 0), ("unhide", 1), ("delete", 0), ("undelete", 1)):
        reason = "" if action in ("unhide", "undelete") else "spam"
        assert act(client, thread.question, action, reason=reason).status_code == 303
        assert category_counts() == {"health": expected, "sleep": expected}, action
        assert tag_counts() == {"sleep": expected, "insomnia": expected}, action
        assert_consistent(runner)


def test_deleting_the_newest_answer_moves_last_activity_back(app, runner, thread, make_user):
    late = make_answer(thread.question, make_user("late"), body="A late answer.")
    assert fresh(thread.question).last_activity_at == fresh(late).created_at
    assert act(client_for(app, thread.moderator), late, "delete").status_code == 303
    question = fresh(thread.question)
    assert question.last_activity_at < fresh(late).created_at
    assert_consistent(runner)


# --- Who sees hidden and deleted posts ---------------------------------------------------------


@pytest.mark.parametrize("action, notice", [("hide", "Hidden from readers"), ("delete", "Deleted.")])
def test_hidden_and_deleted_answers_and_comments_are_invisible_to_readers(app, thread, action, notice):
    moderator = client_for(app, thread.moderator)
    assert act(moderator, thread.answer, action).status_code == 303
    assert act(moderator, thread.question_comment, action).status_code == 303
    for user in (None, thread.reader):
        client = client_for(app, user)
        html = page_of(client, thread.question)
        assert TEXTS["answer"] not in html
        assert "This worked for me as well." not in html, "the hidden answer's comments go with it"
        assert "How long has this been going on?" not in html
        assert f'id="a{thread.answer.id}"' not in html
        assert "1 Answer" in html
        assert client.get(f"/answers/{thread.answer.id}").status_code == 404
        assert client.get(f"/posts/{thread.answer.id}/revisions").status_code == 404
    html = page_of(moderator, thread.question)
    assert TEXTS["answer"] in html and "How long has this been going on?" in html
    article = html[html.index(f'id="a{thread.answer.id}"'):]
    assert article.split("</article>")[0].count(notice) == 1
    comment = html[html.index(f'id="c{thread.question_comment.id}"'):]
    assert notice in comment.split("</li>")[0]


@pytest.mark.parametrize("action, notice", [("hide", "Hidden from readers"), ("delete", "Deleted.")])
def test_hidden_and_deleted_questions_are_404_to_readers(app, thread, action, notice):
    moderator = client_for(app, thread.moderator)
    response = act(moderator, thread.question, action)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/posts/{thread.question.id}/moderate")
    for user in (None, thread.reader):
        client = client_for(app, user)
        assert client.get(question_url(thread.question)).status_code == 404
        assert client.get(f"/questions/{thread.question.id}").status_code == 404
        assert client.get(f"/answers/{thread.best.id}").status_code == 404
        listing = client.get("/").get_data(as_text=True)
        assert "How can I sleep better at night?" not in listing
        assert client.get("/tags/sleep").status_code in (200, 404)
        assert "How can I sleep better at night?" not in client.get("/tags/sleep").get_data(as_text=True)
    html = page_of(moderator, thread.question)
    assert notice in html.split('id="answers-heading"')[0]
    assert TEXTS["question"] in html


def test_a_hidden_answers_text_is_absent_for_guests(app, thread):
    assert act(client_for(app, thread.moderator), thread.best, "hide").status_code == 303
    html = page_of(client_for(app), thread.question)
    assert TEXTS["best"] not in html
    assert "wind-down" not in html


# --- Refusals ------------------------------------------------------------------------------------


def test_hiding_without_a_reason_is_refused_with_the_message(app, runner, thread):
    client = client_for(app, thread.moderator)
    for reason in ("", "   "):
        response = act(client, thread.answer, "hide", reason=reason)
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert field_error(html, "reason") == "Give a reason; it goes in the audit log."
    response = act(client, thread.answer, "delete", reason="")
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "reason") == "Give a reason; it goes in the audit log."
    assert fresh(thread.answer).status == "visible"
    assert audit_entries() == []
    assert_consistent(runner)


def test_hiding_a_hidden_post_and_other_repeats_say_why(app, thread):
    client = client_for(app, thread.moderator)
    assert act(client, thread.answer, "hide").status_code == 303
    response = act(client, thread.answer, "hide", reason="again")
    assert response.status_code == 400
    assert "That post is already hidden." in field_error(response.get_data(as_text=True), "reason")
    response = act(client, thread.comment, "unhide", reason="")
    assert response.status_code == 400
    assert "That post is not hidden." in field_error(response.get_data(as_text=True), "reason")
    response = act(client, thread.comment, "undelete", reason="")
    assert response.status_code == 400
    assert "That post is not deleted" in field_error(response.get_data(as_text=True), "reason")
    assert act(client, thread.comment, "delete").status_code == 303
    response = act(client, thread.comment, "delete", reason="again")
    assert response.status_code == 400
    assert "That post is already deleted." in field_error(response.get_data(as_text=True), "reason")
    assert [e.action for e in audit_entries()] == ["hide", "delete"]


def test_a_too_long_reason_is_refused(app, thread):
    response = act(client_for(app, thread.moderator), thread.answer, "hide", reason="r" * 301)
    assert response.status_code == 400
    assert "under 300 characters" in field_error(response.get_data(as_text=True), "reason")
    assert fresh(thread.answer).status == "visible"


@pytest.mark.parametrize("who", ["guest", "member", "editor"])
@pytest.mark.parametrize("action", ["hide", "delete", "undelete", "unhide"])
def test_members_below_moderator_may_not_hide_or_delete(app, thread, editor, who, action):
    if action in ("undelete", "unhide"):
        assert act(client_for(app, thread.moderator), thread.answer,
                   "delete" if action == "undelete" else "hide").status_code == 303
    status = fresh(thread.answer).status
    user = {"guest": None, "member": thread.reader, "editor": editor}[who]
    client = client_for(app, user)
    response = act(client, thread.answer, action)
    assert response.status_code in ((403,) if status == "visible" else (403, 404))
    assert fresh(thread.answer).status == status
    if status == "visible":
        assert client.get(f"/posts/{thread.answer.id}/moderate").status_code == 403


def test_a_basic_member_posting_hide_gets_403_and_editor_cannot_delete(app, thread, editor):
    assert act(client_for(app, thread.reader), thread.question, "hide").status_code == 403
    assert act(client_for(app, editor), thread.question, "delete").status_code == 403
    assert act(client_for(app, editor), thread.best, "delete").status_code == 403
    assert fresh(thread.question).status == "visible" and fresh(thread.best).status == "visible"
    assert audit_entries() == []
    html = page_of(client_for(app, editor), thread.question)
    assert f'href="/posts/{thread.question.id}/moderate"' not in html


# --- Closing and reopening ------------------------------------------------------------------------


@pytest.fixture
def pair(thread, make_user):
    """An original (the thread's question) and a later question asking the same."""
    duplicate = make_question(make_user("again"), title="How do I get to sleep at night?",
                              body="Same problem here.", category=thread.sleep, tags="sleep")
    return thread.question, duplicate


def close(client, question, reason="duplicate", duplicate_of="", note=""):
    return client.post(f"/questions/{question.id}/close",
                       data={"reason": reason, "duplicate_of": duplicate_of, "note": note})


@pytest.mark.parametrize("how", ["number", "link", "hash"])
def test_closing_as_a_duplicate_links_both_ways(app, runner, thread, pair, how):
    original, duplicate = pair
    given = {"number": str(original.id), "link": f"https://forum.example.org{question_url(original)}",
             "hash": f"#{original.id}"}[how]
    client = client_for(app, thread.moderator)
    response = close(client, duplicate, duplicate_of=given, note="Same question")
    assert response.status_code == 303
    closed = fresh(duplicate)
    assert closed.closed_reason == "duplicate" and closed.duplicate_of_id == original.id
    [entry] = audit_entries("close", duplicate)
    assert entry.actor_id == thread.moderator.id
    guest = client_for(app)
    html = page_of(guest, duplicate)
    assert (f'a duplicate of\n        <a href="{question_url(original)}">How can I sleep better at night?</a>'
            in html)
    assert "Same question" in html
    html = page_of(guest, original)
    assert (f'Asked again as: <a href="/questions/{duplicate.id}/how-do-i-get-to-sleep-at-night">'
            'How do I get to sleep at night?</a>') in html
    assert_consistent(runner)


def test_closing_with_a_link_whose_host_has_digits(app, thread, pair):
    original, duplicate = pair
    response = close(client_for(app, thread.moderator), duplicate,
                     duplicate_of=f"http://localhost:5000{question_url(original)}")
    assert response.status_code == 303
    assert fresh(duplicate).duplicate_of_id == original.id


def test_a_closed_question_takes_no_answers_until_reopened(app, runner, thread, pair):
    original, duplicate = pair
    client = client_for(app, thread.moderator)
    assert close(client, duplicate, reason="off-topic").status_code == 303
    member = client_for(app, thread.reader)
    html = page_of(member, duplicate)
    assert "Closed to new answers: off-topic for this community." in html
    assert "This question is closed to new answers." in html
    assert f'action="/questions/{duplicate.id}/answers"' not in html
    response = member.post(f"/questions/{duplicate.id}/answers", data={"body": "Let me answer anyway."})
    assert response.status_code == 403
    assert client_for(app).post(f"/questions/{duplicate.id}/answers",
                                data={"body": "A guest answer."}).status_code == 403
    assert fresh(duplicate).answer_count == 0

    response = client.post(f"/questions/{duplicate.id}/reopen", data={"reason": "It is on topic"})
    assert response.status_code == 303
    assert fresh(duplicate).closed_at is None
    [entry] = audit_entries("reopen", duplicate)
    assert entry.reason == "It is on topic"
    html = page_of(member, duplicate)
    assert "Closed to new answers" not in html
    assert f'action="/questions/{duplicate.id}/answers"' in html
    assert member.post(f"/questions/{duplicate.id}/answers", data={"body": "Now I can answer."}).status_code == 303
    assert fresh(duplicate).answer_count == 1
    assert_consistent(runner)
    response = client.post(f"/questions/{duplicate.id}/reopen", data={}, follow_redirects=True)
    assert "That question is open." in response.get_data(as_text=True)


def test_closing_as_a_duplicate_of_itself_or_of_nothing_is_refused(app, thread, pair):
    original, duplicate = pair
    client = client_for(app, thread.moderator)
    response = close(client, duplicate, duplicate_of=str(duplicate.id))
    assert response.status_code == 400
    assert "A question can&#39;t be a duplicate of itself." in field_error(response.get_data(as_text=True),
                                                                          "duplicate_of")
    response = close(client, duplicate, duplicate_of="")
    assert response.status_code == 400
    assert "Give the number or link of the original question." in field_error(response.get_data(as_text=True),
                                                                              "duplicate_of")
    response = close(client, duplicate, duplicate_of="999999")
    assert response.status_code == 400
    response = close(client, duplicate, reason="")
    assert response.status_code == 400
    assert "Choose one of the reasons." in field_error(response.get_data(as_text=True), "reason")
    assert fresh(duplicate).closed_at is None
    assert audit_entries() == []


def test_closing_a_closed_question_says_so(app, thread, pair):
    original, duplicate = pair
    client = client_for(app, thread.moderator)
    assert close(client, duplicate, reason="needs-detail").status_code == 303
    response = close(client, duplicate, reason="off-topic")
    assert response.status_code == 303
    assert fresh(duplicate).closed_reason == "needs-detail"
    page = client.get(response.headers["Location"])
    assert "That question is already closed." in page.get_data(as_text=True)


def test_closing_a_closed_question_changes_nothing(app, thread, pair):
    original, duplicate = pair
    client = client_for(app, thread.moderator)
    assert close(client, duplicate, reason="needs-detail").status_code == 303
    response = close(client, duplicate, reason="off-topic")
    assert response.status_code == 303
    assert fresh(duplicate).closed_reason == "needs-detail"
    assert len(audit_entries("close")) == 1


def test_only_moderators_close(app, thread, pair, editor):
    original, duplicate = pair
    for user in (None, thread.reader, editor):
        assert close(client_for(app, user), duplicate, reason="other").status_code == 403
    assert fresh(duplicate).closed_at is None


# --- Merging ---------------------------------------------------------------------------------------


@pytest.fixture
def merge_pair(thread, make_user):
    """A duplicate with two answers (one best, one up-voted), comments on both, and a comment on itself."""
    asker = make_user("again")
    duplicate = make_question(asker, title="How do I get to sleep at night?", body="Same problem here.",
                              category=thread.sleep, tags="sleep worry")
    first = make_answer(duplicate, make_user("helper"), body="Moved answer one.")
    second = make_answer(duplicate, thread.other, body="Moved answer two.")
    votes.cast_vote(thread.voter, second, 1)
    selection.select_answer(duplicate, first)
    db.session.commit()
    comments = [make_comment(first, thread.voter, body="Comment on moved one."),
                make_comment(second, asker, body="Comment on moved two.")]
    on_question = make_comment(duplicate, thread.voter, body="Comment on the duplicate itself.")
    return SimpleNamespace(original=thread.question, duplicate=duplicate, first=first, second=second,
                           comments=comments, on_question=on_question, asker=asker)


def merge(client, duplicate, original, reason=""):
    return client.post(f"/questions/{duplicate.id}/merge", data={"original": original, "reason": reason})


def test_merging_moves_answers_with_their_comments_and_redirects(app, runner, thread, merge_pair):
    m = merge_pair
    client = client_for(app, thread.moderator)
    duplicate_url = question_url(m.duplicate)
    response = merge(client, m.duplicate, str(m.original.id), reason="Same question")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(question_url(m.original))
    for answer in (m.first, m.second):
        moved = fresh(answer)
        assert moved.question_id == m.original.id and moved.parent_id == m.original.id
        assert moved.status == "visible"
    for comment in m.comments:
        assert fresh(comment).question_id == m.original.id
    original, duplicate = fresh(m.original), fresh(m.duplicate)
    assert original.answer_count == 4
    assert duplicate.status == "deleted" and duplicate.merged_into_id == original.id
    assert duplicate.accepted_answer_id is None
    assert original.last_activity_at >= fresh(m.comments[1]).created_at
    assert tag_counts() == {"sleep": 1, "insomnia": 1, "worry": 0}
    assert category_counts() == {"health": 1, "sleep": 1}
    [entry] = audit_entries("merge", m.duplicate)
    assert entry.actor_id == thread.moderator.id and entry.reason == "Same question"
    assert_consistent(runner)

    guest = client_for(app)
    for url in (duplicate_url, f"/questions/{m.duplicate.id}"):
        response = guest.get(url)
        assert response.status_code == 301, url
        assert response.headers["Location"].endswith(question_url(m.original))
    html = page_of(guest, m.original)
    for text in ("Moved answer one.", "Moved answer two.", "Comment on moved one.", "Comment on moved two."):
        assert text in html
    assert "Comment on the duplicate itself." not in html
    assert "4 Answers" in html
    assert "Asked again as" not in html


def test_merging_a_question_closed_as_a_duplicate(app, runner, thread, merge_pair):
    m = merge_pair
    client = client_for(app, thread.moderator)
    assert close(client, m.duplicate, duplicate_of=str(m.original.id)).status_code == 303
    assert "Asked again as" in page_of(client, m.original)
    assert merge(client, m.duplicate, question_url(m.original)).status_code == 303
    assert "Asked again as" not in page_of(client_for(app), m.original)
    assert_consistent(runner)
    # A merge can't be undone by undeleting.
    response = act(client, m.duplicate, "undelete", reason="")
    assert response.status_code in (400, 404)
    assert fresh(m.duplicate).status == "deleted"


@pytest.mark.parametrize("original, message", [
    ("self", "Choose another question."),
    ("999999", "There is no question with that number or link."),
    ("", "Give the number or link of the question to merge into."),
    ("nonsense", "There is no question with that number or link."),
])
def test_merging_into_itself_or_a_missing_question_is_refused(app, runner, thread, merge_pair, original, message):
    m = merge_pair
    target = str(m.duplicate.id) if original == "self" else original
    response = merge(client_for(app, thread.moderator), m.duplicate, target)
    assert response.status_code == 400
    assert message in field_error(response.get_data(as_text=True), "original")
    duplicate = fresh(m.duplicate)
    assert duplicate.status == "visible" and duplicate.merged_into_id is None
    assert duplicate.answer_count == 2 and fresh(m.first).question_id == m.duplicate.id
    assert audit_entries("merge") == []
    assert_consistent(runner)


def test_merging_into_a_hidden_question_is_refused(app, thread, merge_pair):
    m = merge_pair
    client = client_for(app, thread.moderator)
    assert act(client, m.original, "hide").status_code == 303
    response = merge(client, m.duplicate, str(m.original.id))
    assert response.status_code == 400
    assert "That question is not visible." in field_error(response.get_data(as_text=True), "original")
    assert fresh(m.duplicate).merged_into_id is None


def test_only_moderators_merge(app, thread, merge_pair, editor):
    m = merge_pair
    for user in (None, thread.reader, editor):
        assert merge(client_for(app, user), m.duplicate, str(m.original.id)).status_code == 403
    assert fresh(m.duplicate).merged_into_id is None


@pytest.mark.parametrize("action", ["hide", "delete"])
def test_a_hidden_originals_title_is_not_shown_on_its_duplicate(app, thread, pair, action):
    original, duplicate = pair
    client = client_for(app, thread.moderator)
    assert close(client, duplicate, duplicate_of=str(original.id)).status_code == 303
    assert act(client, original, action).status_code == 303
    for user in (None, thread.reader):
        html = page_of(client_for(app, user), duplicate)
        assert "How can I sleep better at night?" not in html
        assert f'href="{question_url(original)}"' not in html
