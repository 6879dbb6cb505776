"""Members' list and search pages: shared by members alike, each with their own name and tokens.

A list shows a member nothing of their own but the header (their name, unread count, the
links their level and privileges give) and, on a category or tag, whether they follow it.
Members alike in those share one rendered page; everything else stays theirs.
"""
import re
import time

import pytest

from forum.extensions import db
from forum.services import notifications
from tests.factories import make_category, make_question
from tests.test_member_thread_cache import member_client


@pytest.fixture
def listed(make_user):
    asker = make_user("asker")
    category = make_category("Family")
    for n in range(3):
        make_question(asker, title=f"How do I support my brother, part {n}?", body="He is struggling.",
                      category=category, tags="family")
    db.session.commit()
    return category


def fetch(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def csrf_tokens(page):
    return set(re.findall(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page))


@pytest.mark.csrf
@pytest.mark.parametrize("url", ["/", "/unanswered", "/categories/family", "/tags/family", "/search?q=brother"])
def test_members_alike_share_a_list_page_with_their_own_name_and_token(app, listed, make_user, count_queries, url):
    first, second = (member_client(app, make_user(name, points=200)) for name in ("reader1", "reader2"))
    for _ in range(2):  # once more if a minute turned between the two (keys hold the minute)
        minute = time.time() // 60
        with count_queries() as rendered:
            filled = fetch(first, url)
        with count_queries() as shared:
            page = fetch(second, url)
        if time.time() // 60 == minute:
            break
    # (search marks the words it found)
    assert re.search(r"How do I support my (<mark>)?brother(</mark>)?, part 2\?", page)
    assert 'href="/users/reader2">reader2</a>' in page and "reader1" not in page
    assert 'href="/users/reader1">reader1</a>' in filled and "reader2" not in filled
    assert "\x1f" not in page and "\x1f" not in filled
    assert len(csrf_tokens(page)) == len(csrf_tokens(filled)) == 1 and csrf_tokens(page) != csrf_tokens(filled)
    # Found in the cache: the member (with the cache generation), the list's ids and, on a
    # category or tag, it and whether they follow it; no question, author or tag list.
    assert shared.count < rendered.count
    assert shared.count <= (4 if "/categories/" in url or "/tags/" in url else 2), shared.statements


def test_following_unread_count_and_level_are_each_members_own(app, listed, make_user, moderator):
    follower, other = make_user("follower", points=200), make_user("other", points=200)
    notifications.follow(follower, "category", listed.id)
    notifications.notify_member(other, "answer", None, "Someone answered a question you follow.")
    db.session.commit()
    members = {"follower": follower, "other": other, "moderator": moderator}
    pages = {name: fetch(member_client(app, user), "/categories/family") for name, user in members.items()}
    assert "Unfollow this category" in pages["follower"] and "Unfollow this category" not in pages["other"]
    assert re.search(r'class="count-badge">1<', pages["other"]) and "count-badge" not in pages["follower"]
    assert ">Queue</a>" in pages["moderator"] and ">Queue</a>" not in pages["other"]
    # Each page holds its own member's name only.
    names = {name: user.username for name, user in members.items()}
    for name, page in pages.items():
        assert f">{names[name]}</a>" in page
        assert not [n for key, n in names.items() if key != name and f">{n}</a>" in page]


def test_a_new_question_and_a_waiting_message_reach_a_member_at_once(app, listed, make_user):
    reader = make_user("reader", points=200)
    client = member_client(app, reader)
    assert "A brand new question" not in fetch(client, "/")
    make_question(make_user("writer"), title="A brand new question about my parents", body="Help.",
                  category=listed)
    db.session.commit()
    assert "A brand new question about my parents" in fetch(client, "/")
    with client.session_transaction() as session:
        session["_flashes"] = [("info", "Your question is waiting for a moderator.")]
    assert "Your question is waiting for a moderator." in fetch(client, "/")
    assert "Your question is waiting for a moderator." not in fetch(client, "/")


def test_a_follow_landing_between_the_key_and_the_render_never_reaches_another_member(
        app, listed, make_user, monkeypatch):
    """Follows are not in the cache generation: the page must show the follow state its key
    was made with, or a follow made meanwhile (PostgreSQL reads each statement afresh) would
    be stored for members who follow nothing."""
    follower, other = make_user("follower", points=200), make_user("other", points=200)
    clients = {"follower": member_client(app, follower), "other": member_client(app, other)}
    real = notifications.is_following

    def follow_lands_after_the_first_read(user, target_type, target_id):
        seen = real(user, target_type, target_id)
        notifications.follow(user, target_type, target_id)  # committed just after the key's read
        return seen

    monkeypatch.setattr(notifications, "is_following", follow_lands_after_the_first_read)
    first = fetch(clients["follower"], "/categories/family")
    monkeypatch.setattr(notifications, "is_following", real)
    assert "Follow this category" in first and "Unfollow" not in first
    assert "Unfollow" not in fetch(clients["other"], "/categories/family")
