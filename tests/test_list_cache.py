"""The cached list pages a guest gets: found by the page's question ids, never stale, never a member's."""
import pytest
from sqlalchemy import update

from forum.extensions import db
from forum.models import Category, Post, User
from forum.services import curation, safety, votes
from tests.factories import make_category, make_question


@pytest.fixture
def listed(make_user):
    category = make_category("Sleep")
    asker = make_user("nightowl")
    question = make_question(asker, title="Why do I wake at four every night?", body="Every night.",
                             category=category, tags="sleep insomnia")
    return category, question


def guest_list(app, path="/"):
    response = app.test_client().get(path)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_guests_list_is_served_from_the_cache(app, listed, count_queries):
    guest_list(app)
    with count_queries() as second:
        page = guest_list(app)
    assert "Why do I wake at four every night?" in page and "nightowl" in page and "insomnia" in page
    # The page's ids and the key's statements, but no question is loaded as an object.
    assert not any("posts.body_html" in s or "LEFT OUTER JOIN users" in s for s in second.statements), second.statements


@pytest.mark.parametrize("change", ["question", "vote", "name", "hide", "views", "category", "retag"])
def test_every_change_to_a_list_shows_at_once(app, listed, make_user, moderator, change):
    category, question = listed
    question_id, category_id = question.id, category.id
    path = "/categories/sleep" if change == "category" else "/"
    assert "Why do I wake at four" in guest_list(app, path)  # fill the cache
    if change == "question":
        make_question(make_user("earlybird"), title="Is a nap after lunch a bad idea?", category=category)
        expected = "Is a nap after lunch a bad idea?"
    elif change == "vote":
        votes.cast_vote(make_user("voter"), db.session.get(Post, question_id), 1)
        expected = "<strong>+1</strong>"
    elif change == "name":
        db.session.execute(update(User).where(User.username == "nightowl").values(username="renamedowl"))
        expected = "renamedowl"
    elif change == "hide":
        curation.hide_post(moderator, db.session.get(Post, question_id), "off topic")
        expected = None
    elif change == "views":
        db.session.execute(update(Post).where(Post.id == question_id).values(view_count=4321))
        expected = "4.3k"
    elif change == "category":
        db.session.execute(update(Category).where(Category.id == category_id)
                           .values(description="Nights, naps and waking early."))
        expected = "Nights, naps and waking early."
    else:
        from forum.services import editing
        question = db.session.get(Post, question_id)
        editing.edit_post(moderator, question, tag_text="sleep early-waking")
        expected = "early-waking"
    db.session.commit()
    page = guest_list(app, path)
    if expected is None:
        assert "Why do I wake at four" not in page
    else:
        assert expected in page


def test_a_members_list_never_reaches_a_guest(app, listed, make_user, auth, client):
    reader = make_user("quietreader")
    safety.set_muting(reader, "four", [])
    db.session.commit()
    auth.login(reader)
    mine = client.get("/").get_data(as_text=True)
    assert "quietreader" in mine and "Why do I wake at four" not in mine  # muted for them
    auth.logout()
    page = guest_list(app)
    assert "quietreader" not in page and "Why do I wake at four" in page
    auth.login(reader)
    assert "Why do I wake at four" not in client.get("/").get_data(as_text=True)


def test_a_dark_theme_list_is_not_served_to_another_guest(app, listed):
    dark = app.test_client()
    dark.set_cookie("theme", "dark")
    assert 'data-theme="dark"' in dark.get("/").get_data(as_text=True)
    assert 'data-theme="dark"' not in guest_list(app)


def test_pages_of_a_list_are_cached_apart(app, make_user):
    asker = make_user("manyquestions")
    for number in range(35):
        make_question(asker, title=f"Question number {number} about sleep?")
    first, second = guest_list(app, "/"), guest_list(app, "/?page=2")
    assert "Question number 34 about" in first and "Question number 34 about" not in second
    assert "Question number 0 about" in second and "Question number 0 about" not in first
    again = guest_list(app, "/?page=2")  # from the cache now
    assert "Question number 0 about" in again and "Question number 34 about" not in again
