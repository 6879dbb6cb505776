"""In Chromium: similar questions before posting, as a review step without JavaScript and live with it."""
from playwright.sync_api import expect
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Question
from tests.factories import make_answer, make_question

EARLIER = "Panic attacks at work, what helps?"
TITLE = "How do I cope with panic attacks at work?"


def _earlier(make_user):
    question = make_question(make_user("earlier"), title=EARLIER, body="Often in meetings.")
    make_answer(question, make_user("helper"), body="Slow breathing helped me.")
    return question


def _fill_question(page, base):
    page.goto(base + "/ask")
    page.get_by_label("Your question in one sentence").fill(TITLE)
    page.get_by_label("More detail (optional)").fill("My heart **races** before every meeting.")
    page.get_by_label("Tags (optional)").fill("panic, work")
    page.get_by_label("Your name to display (optional)").fill("Robin")


def _questions_titled(title):
    db.session.rollback()  # see what the live server committed
    return db.session.scalar(select(func.count(Question.id)).where(Question.title == title))


def test_without_javascript_the_review_step_lists_similar_questions_then_posts(
        live_server, page_without_js, make_user):
    page = page_without_js
    earlier = _earlier(make_user)
    _fill_question(page, live_server.url)
    page.get_by_role("button", name="Post your question").click()

    review = page.get_by_role("region", name="Questions that may already answer yours")
    expect(review).to_be_visible()
    expect(review.get_by_role("listitem")).to_have_count(1)
    link = review.get_by_role("link", name=EARLIER)
    expect(link).to_have_attribute("href", f"/questions/{earlier.id}/panic-attacks-at-work-what-helps")
    # Nothing posted yet, and everything typed is still there.
    assert _questions_titled(TITLE) == 0
    expect(page.get_by_label("Your question in one sentence")).to_have_value(TITLE)
    expect(page.get_by_label("More detail (optional)")).to_have_value("My heart **races** before every meeting.")
    expect(page.get_by_label("Tags (optional)")).to_have_value("panic, work")
    expect(page.get_by_label("Your name to display (optional)")).to_have_value("Robin")

    review.get_by_role("button", name="Post my question").click()
    expect(page.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    expect(page.locator("article.question .author")).to_have_text("Robin")
    assert _questions_titled(TITLE) == 1


def test_with_javascript_the_live_list_counts_as_the_review_and_one_submit_posts(live_server, page, make_user):
    _earlier(make_user)
    _fill_question(page, live_server.url)
    live = page.locator("#similar-questions")
    expect(live.get_by_role("link", name=EARLIER)).to_be_visible()
    expect(page.locator('input[name="reviewed"]')).to_have_value("1")

    page.get_by_role("button", name="Post your question").click()
    expect(page.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    assert _questions_titled(TITLE) == 1


def test_with_javascript_a_changed_title_clears_the_marker_until_its_list_shows(live_server, page, make_user):
    _earlier(make_user)
    _fill_question(page, live_server.url)
    expect(page.locator('input[name="reviewed"]')).to_have_value("1")
    title = page.get_by_label("Your question in one sentence")
    title.fill("Gardening ideas for a small balcony?")
    # No similar question for the new title: the list empties and the marker stays clear,
    # so the server decides (and, finding none, posts at once).
    expect(page.locator("#similar-questions li")).to_have_count(0)
    expect(page.locator('input[name="reviewed"]')).to_have_value("")
    page.get_by_role("button", name="Post your question").click()
    expect(page.get_by_role("heading", level=1, name="Gardening ideas for a small balcony?")).to_be_visible()
