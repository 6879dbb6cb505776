"""The cached public view of a thread: served to guests, never stale, never anyone's own view."""
import os
from datetime import date, timedelta

import pytest
from sqlalchemy import update

from forum.extensions import db
from forum.models import Credential, Post, User
from forum.services import answers, comments, curation, editing, thread_cache, votes
from tests.factories import make_answer, make_question


@pytest.fixture
def thread(make_user):
    asker, helper = make_user("asker"), make_user("helper")
    question = make_question(asker, title="How do I cope with panic at work?", body="It comes suddenly.")
    answer = make_answer(question, helper, body="Breathe out slowly, longer than in.")
    return question, answer


def guest_page(app, question):
    response = app.test_client().get(f"/questions/{question.id}/how-do-i-cope-with-panic-at-work")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_guest_page_is_served_from_the_cache(app, thread, count_queries):
    question, _ = thread
    with count_queries() as first:
        guest_page(app, question)
    with count_queries() as second:
        again = guest_page(app, question)
    assert "Breathe out slowly" in again
    # The thread's posts, comments and answer count are not read again: only the key's two queries.
    assert second.count < first.count
    assert not any("FROM posts JOIN" in s or "count(posts.id)" in s for s in second.statements)


@pytest.mark.parametrize("change", ["vote", "edit", "answer", "comment", "hide", "points", "name", "badge"])
def test_every_change_shows_at_once(app, thread, make_user, moderator, change):
    question, answer = thread
    guest_page(app, question)  # fill the cache
    if change == "vote":
        votes.cast_vote(make_user("voter"), answer, 1)
        expected = "+1"
    elif change == "edit":
        editing.edit_post(db.session.get(User, answer.author_id), answer, body="Breathe out slowly, and count to six.")
        expected = "count to six"
    elif change == "answer":
        answers.post_answer(question, make_user("third"), "Tell one colleague you trust.")
        expected = "Tell one colleague"
    elif change == "comment":
        comments.post_comment(answer, db.session.get(User, question.author_id), "This helped me today.")
        expected = "This helped me today."
    elif change == "hide":
        curation.hide_post(moderator, answer, "off topic")
        expected = None
    elif change == "points":
        db.session.execute(update(User).where(User.id == answer.author_id).values(points=4900))
        expected = "4.9k"
    elif change == "name":
        db.session.execute(update(User).where(User.id == answer.author_id).values(username="renamedhelper"))
        expected = "renamedhelper"
    else:
        today = date.today()
        db.session.add(Credential(user_id=answer.author_id, kind="psychiatrist", registration_number="1234567",
                                  issuing_body="General Medical Council", jurisdiction="UK", state="verified",
                                  verified_on=today, expires_on=today + timedelta(days=365)))
        expected = "Verified psychiatrist, UK"
    db.session.commit()
    page = guest_page(app, question)
    if expected is None:
        assert "Breathe out slowly" not in page
    else:
        assert expected in page


def test_a_moderators_view_never_reaches_a_guest(app, thread, moderator, auth, client):
    question, answer = thread
    curation.hide_post(moderator, answer, "needs a look")
    db.session.commit()
    auth.login(moderator)
    seen = client.get(f"/questions/{question.id}/how-do-i-cope-with-panic-at-work").get_data(as_text=True)
    assert "Breathe out slowly" in seen and f"/posts/{answer.id}/moderate" in seen
    auth.logout()
    page = guest_page(app, question)
    assert "Breathe out slowly" not in page
    assert "/moderate" not in page and "Unhide" not in page and moderator.username not in page
    assert 'class="vote-form"' not in page


def test_a_members_own_votes_and_controls_never_reach_a_guest(app, thread, make_user, auth, client):
    question, answer = thread
    reader = make_user("zoltanreads")
    votes.cast_vote(reader, answer, 1)
    db.session.commit()
    auth.login(reader)
    seen = client.get(f"/questions/{question.id}/how-do-i-cope-with-panic-at-work").get_data(as_text=True)
    assert 'aria-pressed="true"' in seen and 'class="vote-form"' in seen
    auth.logout()
    page = guest_page(app, question)
    assert 'aria-pressed="true"' not in page and 'class="vote-form"' not in page and "zoltanreads" not in page


def test_a_guest_with_a_post_awaiting_approval_gets_their_own_view(app, thread, client):
    question, _ = thread
    guest_page(app, question)  # a cached public view exists
    answer = answers.post_answer(question, None, "My own answer, still waiting for a moderator.")
    db.session.execute(update(Post).where(Post.id == answer.id).values(status="queued"))
    db.session.commit()
    with client.session_transaction() as session:
        session["own_posts"] = [answer.id]
    mine = client.get(f"/questions/{question.id}/how-do-i-cope-with-panic-at-work").get_data(as_text=True)
    assert "My own answer, still waiting" not in guest_page(app, question)
    # Their own queued answer is theirs to see on the answer's own page; the thread is rendered for them.
    assert "Breathe out slowly" in mine


@pytest.mark.csrf
def test_guests_post_answers_from_a_cached_page(app, thread):
    question, _ = thread
    first, second = app.test_client(), app.test_client()
    url = f"/questions/{question.id}/how-do-i-cope-with-panic-at-work"
    first.get(url)
    html = second.get(url).get_data(as_text=True)  # served from the cache
    import re
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"', html)
    submission = re.search(r'name="submission_token"[^>]*value="([^"]+)"', html)
    response = second.post(f"/questions/{question.id}/answers", data={
        "csrf_token": token.group(1) or token.group(2), "submission_token": submission.group(1),
        "body": "Walking round the block helps me reset."})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    assert "Walking round the block" in guest_page(app, question)


def test_the_redis_store_is_shared_between_apps(app, thread, database_url, tmp_path):
    url = os.environ.get("FORUM_TEST_REDIS_URL")
    if not url:
        if os.environ.get("FORUM_REQUIRE_SERVICES") == "1":
            pytest.fail("FORUM_TEST_REDIS_URL is required in CI")
        pytest.skip("set FORUM_TEST_REDIS_URL to test the shared cache")
    from tests.fixtures.app import build_app

    question, answer = thread
    first = build_app(database_url, tmp_path / "one", REDIS_URL=url)
    second = build_app(database_url, tmp_path / "two", REDIS_URL=url)
    with first.app_context():
        store = thread_cache.store()
        assert isinstance(store, thread_cache.RedisStore)
        # Entries an earlier test or run left for a question of the same id live an hour.
        stale = store.client.keys(thread_cache.REDIS_PREFIX + f"{question.id}:*")
        if stale:
            store.client.delete(*stale)
        key_page = first.test_client().get(f"/questions/{question.id}/how-do-i-cope-with-panic-at-work")
        assert key_page.status_code == 200
        keys = store.client.keys(thread_cache.REDIS_PREFIX + f"{question.id}:*")
        assert keys
    with second.app_context():
        store = thread_cache.store()
        stored = store.get(keys[0].decode().removeprefix(thread_cache.REDIS_PREFIX))
        assert stored and "Breathe out slowly" in stored
        store.client.delete(*keys)
    for other in (first, second):
        with other.app_context():
            db.engine.dispose()


# --- The whole page a guest gets ----------------------------------------------------

URL = "/questions/{id}/how-do-i-cope-with-panic-at-work"


def _token(html, name):
    import re

    found = re.search(rf'name="{name}"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="{name}"', html)
    assert found, f"no {name} in the page"
    return found.group(1) or found.group(2)


def test_a_guests_whole_page_is_found_without_loading_the_question(app, thread, count_queries):
    question, _ = thread
    guest_page(app, question)
    url = URL.format(id=question.id)  # read before counting: the test's own object is expired
    with count_queries() as second:
        page = app.test_client().get(url).get_data(as_text=True)
    assert "Breathe out slowly" in page and "Your answer" in page
    # Only the key's statements (and the settings): no post is loaded as an object.
    assert not any("posts.body_html" in s for s in second.statements), second.statements
    assert second.count <= 6, second.statements


def test_every_guest_gets_their_own_form_tokens(app, thread):
    question, _ = thread
    first, second = app.test_client(), app.test_client()
    one = first.get(URL.format(id=question.id)).get_data(as_text=True)
    two = second.get(URL.format(id=question.id)).get_data(as_text=True)
    again = second.get(URL.format(id=question.id)).get_data(as_text=True)
    assert _token(one, "submission_token") != _token(two, "submission_token") != _token(again, "submission_token")
    assert "\x1f" not in one + two + again
    with first.session_transaction() as session_one, second.session_transaction() as session_two:
        assert session_one["csrf_token"] != session_two["csrf_token"]


def test_a_message_for_one_guest_is_neither_cached_nor_shown_to_another(app, thread):
    question, _ = thread
    guest_page(app, question)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Only for this guest: thanks for your answer.")]
    mine = client.get(URL.format(id=question.id)).get_data(as_text=True)
    assert "Only for this guest" in mine
    assert "Only for this guest" not in guest_page(app, question)


def test_the_theme_a_guest_chose_is_not_served_to_another(app, thread):
    question, _ = thread
    dark = app.test_client()
    dark.set_cookie("theme", "dark")
    assert 'data-theme="dark"' in dark.get(URL.format(id=question.id)).get_data(as_text=True)
    assert 'data-theme="dark"' not in guest_page(app, question)
    assert 'data-theme="dark"' in dark.get(URL.format(id=question.id)).get_data(as_text=True)


def test_a_cached_page_follows_a_new_title_hide_and_duplicate(app, thread, make_user, moderator):
    question, _ = thread
    guest_page(app, question)
    other = make_question(make_user("another"), title="Panic attacks in meetings", body="Same thing here.")
    db.session.commit()
    curation.close_question(moderator, other, "duplicate", duplicate_of=question)
    db.session.commit()
    assert "Panic attacks in meetings" in guest_page(app, question)
    editing.edit_post(db.session.get(User, question.author_id), question, title="How do I cope with panic in the office?")
    db.session.commit()
    moved = app.test_client().get(URL.format(id=question.id))
    assert moved.status_code == 301 and "panic-in-the-office" in moved.headers["Location"]
    curation.hide_post(moderator, question, "off topic")
    db.session.commit()
    assert app.test_client().get(f"/questions/{question.id}/how-do-i-cope-with-panic-in-the-office").status_code == 404
