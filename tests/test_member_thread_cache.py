"""The cached thread members share: one per level, privileges and part in the thread.

Members who wrote nothing in a thread and voted on nothing in it see the same thread as any
other member of their level and privileges, so it is rendered once for all of them; their
own votes, posts, follows and tokens never reach another member, and moderators, members
with muted words and members with a post others cannot see get their own render.
"""
import json
import re
import time

import pytest
from sqlalchemy import update

from forum.extensions import db
from forum.models import Level, Post, User
from forum.services import curation, notifications, votes
from tests.factories import make_answer, make_question
from tests.fixtures.users import PASSWORD


@pytest.fixture
def thread(make_user):
    asker, helper = make_user("asker"), make_user("helper")
    question = make_question(asker, title="How do I talk to my sister about her drinking?", body="She gets angry.")
    answer = make_answer(question, helper, body="Pick a calm, sober moment and speak about yourself.")
    db.session.commit()
    return question, answer


def member_client(app, user):
    client = app.test_client()
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD,
                                           "csrf_token": token.group(1) if token else ""})
    assert response.status_code == 302
    return client


def view(client, question):
    response = client.get(f"/questions/{question.id}", follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_uninvolved_members_share_one_render(app, thread, make_user, count_queries):
    question, _ = thread
    first, second = (member_client(app, make_user(name, points=200)) for name in ("reader1", "reader2"))
    for _ in range(2):  # once more if a minute turned between the two (keys hold the minute)
        minute = time.time() // 60
        with count_queries() as rendered:
            view(first, question)
        with count_queries() as shared:
            page = view(second, question)
        if time.time() // 60 == minute:
            break
    assert "Pick a calm, sober moment" in page and 'class="vote-form"' in page
    # The thread's answers and comments are not loaded for the second member.
    assert shared.count < rendered.count
    assert not any("count(posts.id)" in s and "posts.question_id" in s for s in shared.statements)
    assert "reader2" in page and "reader1" not in page


@pytest.mark.csrf
def test_a_member_votes_from_a_shared_render_with_their_own_token(app, thread, make_user):
    question, answer = thread
    first, second = (member_client(app, make_user(name, points=200)) for name in ("reader1", "reader2"))
    view(first, question)
    page = view(second, question)
    token = re.search(rf'action="/posts/{answer.id}/vote">\s*<input type="hidden" name="csrf_token" value="([^"]+)"', page)
    response = second.post(f"/posts/{answer.id}/vote", data={"csrf_token": token.group(1), "value": "up"})
    assert response.status_code in (302, 303)
    assert db.session.get(Post, answer.id).score == 1
    assert 'aria-pressed="true"' in view(second, question)
    assert 'aria-pressed="true"' not in view(first, question)


def test_own_votes_posts_and_follows_stay_with_their_member(app, thread, make_user):
    question, answer = thread
    asker, helper = db.session.get(User, question.author_id), db.session.get(User, answer.author_id)
    voter, follower, other = (make_user(name, points=200) for name in ("voter", "follower", "other"))
    votes.cast_vote(voter, answer, 1)
    notifications.follow(follower, "question", question.id)
    db.session.commit()
    pages = {user.username: view(member_client(app, user), question)
             for user in (other, voter, follower, asker, helper)}
    edit_answer = f'href="/posts/{answer.id}/edit"'
    assert pages["voter"].count('aria-pressed="true"') == 1
    assert "Unfollow this question" in pages["follower"]
    assert "Select as best answer" in pages["asker"] and edit_answer in pages["helper"]
    for name in ("other", "follower", "asker", "helper"):
        assert 'aria-pressed="true"' not in pages[name], name
    for name in ("other", "voter"):  # askers follow their own questions
        assert "Unfollow this question" not in pages[name], name
    for name in ("other", "voter", "follower", "helper"):
        assert "Select as best answer" not in pages[name], name
    for name in ("other", "voter", "follower", "asker"):
        assert edit_answer not in pages[name], name


def test_privileges_and_levels_get_their_own_render(app, thread, make_user, moderator):
    question, answer = thread
    voter, newcomer = make_user("voter", points=200), make_user("newcomer", points=0)
    editor = make_user("trusted", level=Level.EDITOR)
    pages = {user.username: view(member_client(app, user), question)
             for user in (voter, newcomer, editor, moderator)}
    # Same level, different points: voting up needs 100 of them.
    assert 'class="vote-form"' in pages["voter"] and 'class="vote-form"' not in pages["newcomer"]
    assert f'href="/posts/{answer.id}/edit"' in pages["trusted"]
    assert f'href="/posts/{answer.id}/edit"' not in pages["newcomer"]
    assert f"/posts/{answer.id}/moderate" in pages[moderator.username]
    assert "/moderate" not in pages["trusted"] and "/moderate" not in pages["newcomer"]


def test_a_member_with_muted_words_or_a_hidden_post_gets_their_own_view(app, thread, make_user):
    question, answer = thread
    reader, muter = make_user("reader", points=200), make_user("muter", points=200)
    view(member_client(app, reader), question)  # a shared render exists
    db.session.execute(update(User).where(User.id == muter.id).values(muted_words=json.dumps(["sober"])))
    db.session.commit()
    muted = view(member_client(app, muter), question)
    assert "it contains something you muted" in muted
    assert "it contains something you muted" not in view(member_client(app, reader), question)

    waiting = make_answer(question, muter, body="My answer is still waiting for a moderator.")
    db.session.execute(update(Post).where(Post.id == waiting.id).values(status="queued"))
    db.session.execute(update(User).where(User.id == muter.id).values(muted_words="[]"))
    db.session.commit()
    assert "still waiting for a moderator" in view(member_client(app, muter), question)
    assert "still waiting for a moderator" not in view(member_client(app, reader), question)


def test_a_change_reaches_members_at_once(app, thread, make_user):
    question, answer = thread
    reader = member_client(app, make_user("reader", points=200))
    view(reader, question)
    votes.cast_vote(make_user("voter", points=200), answer, 1)
    db.session.commit()
    assert re.search(r'score-value[^>]*>\+1<', view(reader, question))


def test_a_hidden_original_reaches_only_its_author(app, thread, make_user, moderator):
    """A question closed as a duplicate links to its original, which only its author may
    still see once it is hidden: that view is never shared."""
    question, _ = thread
    author, reader = make_user("originalauthor", points=200), make_user("reader", points=200)
    original = make_question(author, title="Talking to a sibling about addiction", body="Where to begin?")
    curation.close_question(moderator, question, "duplicate", duplicate_of=original)
    curation.hide_post(moderator, original, "needs a look")
    db.session.commit()
    assert "Talking to a sibling about addiction" in view(member_client(app, author), question)
    assert "Talking to a sibling about addiction" not in view(member_client(app, reader), question)


def submission_token(page):
    return re.search(r'name="submission_token" type="hidden" value="([^"]+)"', page).group(1)


@pytest.mark.csrf
def test_a_plain_visit_is_one_shared_page_with_the_viewers_own_name_and_tokens(
        app, thread, make_user, count_queries):
    """The whole page is shared by uninvolved members alike, found before the question is
    loaded, in one query: the member with their session, their part in the thread and the
    cache generation."""
    question, _ = thread
    first, second = (member_client(app, make_user(name, points=200)) for name in ("reader1", "reader2"))
    url = first.get(f"/questions/{question.id}").headers["Location"]
    for _ in range(2):  # once more if a minute turned between the two (keys hold the minute)
        minute = time.time() // 60
        filled = first.get(url).get_data(as_text=True)
        with count_queries() as shared:
            page = second.get(url).get_data(as_text=True)
        if time.time() // 60 == minute:
            break
    assert shared.count == 1, shared.statements
    assert all(table in shared.statements[0] for table in ("cache_generation", "member_sessions", "votes", "follows"))
    assert "Pick a calm, sober moment" in page
    assert 'href="/users/reader2">reader2</a>' in page and "reader1" not in page
    assert 'href="/users/reader1">reader1</a>' in filled
    assert "\x1f" not in page and "\x1f" not in filled
    assert submission_token(page) != submission_token(filled)
    tokens = [set(re.findall(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)) for html in (page, filled)]
    assert len(tokens[0]) == len(tokens[1]) == 1 and tokens[0] != tokens[1]


def test_a_waiting_message_new_notifications_and_the_guidelines_are_each_members_own(app, thread, make_user):
    question, answer = thread
    reader, writer = make_user("reader", points=200), make_user("writer", points=200)
    first_question = make_question(writer, title="A first question of mine", body="Hello.")
    for text in ("One.", "Two."):
        make_answer(first_question, writer, body=f"An answer of mine: {text}")
    db.session.commit()
    clients = {"reader": member_client(app, reader), "writer": member_client(app, writer)}
    pages = {name: view(client, question) for name, client in clients.items()}
    # The guidelines stay open on the form until a member's third post.
    assert "Posting guidelines</summary>" in pages["reader"]
    assert "Posting guidelines</summary>" not in pages["writer"]

    with clients["reader"].session_transaction() as session:
        session["_flashes"] = [("info", "Your answer is waiting for a moderator.")]
    assert "Your answer is waiting for a moderator." in view(clients["reader"], question)
    assert "Your answer is waiting for a moderator." not in view(clients["reader"], question)  # once
    assert "waiting for a moderator" not in view(clients["writer"], question)

    notifications.notify_member(reader, "answer", answer, "Someone answered a question you follow.")
    db.session.commit()
    assert re.search(r'class="count-badge">1<', view(clients["reader"], question))
    assert "count-badge" not in view(clients["writer"], question)
