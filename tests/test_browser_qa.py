"""In Chromium: a guest asks with a display name, a member answers; with and without JavaScript."""
from playwright.sync_api import expect

from tests.factories import make_category
from tests.fixtures.users import PASSWORD


def _ask_as_guest(page, base, title):
    page.goto(base + "/")
    page.get_by_role("link", name="Ask a question").click()
    page.get_by_label("Your question in one sentence").fill(title)
    page.get_by_label("More detail (optional)").fill("I keep waking at **4 am** and can't settle.")
    page.get_by_label("Category").select_option(label="Sleep")
    page.get_by_label("Tags (optional)").fill("sleep, worry")
    page.get_by_label("Your name to display (optional)").fill("Robin")
    page.get_by_role("button", name="Post your question").click()
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible()


def _answer_as_member(page, base, user, title):
    page.goto(base + "/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name=title).click()
    page.get_by_role("textbox", name="Your answer").fill("A wind-down routine helped me a lot.")
    page.get_by_role("button", name="Post your answer").click()


def _check_names(page, member):
    question = page.locator("article.question")
    expect(question.locator(".author")).to_have_text("Robin")
    expect(question.locator(".badge")).to_have_text("guest")
    expect(question.get_by_role("link", name="Robin")).to_have_count(0)
    answer = page.locator("article.answer").first
    expect(answer.get_by_role("link", name=member.username)).to_be_visible()
    expect(answer.get_by_text("A wind-down routine helped me a lot.")).to_be_visible()
    expect(question.locator("strong")).to_have_text("4 am")


def test_guest_asks_member_answers(live_server, page, member):
    make_category("Sleep")
    title = "How do I stop waking up at 4 am?"
    _ask_as_guest(page, live_server.url, title)
    _answer_as_member(page, live_server.url, member, title)
    _check_names(page, member)


def test_guest_asks_member_answers_without_javascript(live_server, page_without_js, member):
    make_category("Sleep")
    title = "Why do I wake up so early every day?"
    _ask_as_guest(page_without_js, live_server.url, title)
    _answer_as_member(page_without_js, live_server.url, member, title)
    _check_names(page_without_js, member)
