"""In Chromium: a member flags a post, a moderator hides it from the queue, readers no longer see it."""
from playwright.sync_api import expect

from tests.factories import make_answer, make_question
from tests.fixtures.users import PASSWORD


def _login(page, base, user):
    page.goto(base + "/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _flag_then_hide(page, base, member, moderator, question):
    _login(page, base, member)
    page.goto(f"{base}/questions/{question.id}")
    page.locator("article.answer").get_by_role("link", name="Flag").click()
    page.get_by_label("What is wrong with it?").select_option("rude")
    page.get_by_role("button", name="Flag").click()
    expect(page.get_by_text("The moderators will look at it")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    _login(page, base, moderator)
    page.get_by_role("link", name="Queue").click()
    page.get_by_role("link", name="Flag:").first.click()
    page.get_by_label("Note (optional; never shown to the author)").fill("insulting")
    page.get_by_role("button", name="Hide").click()
    expect(page.get_by_text("Resolved: hide.")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    page.goto(f"{base}/questions/{question.id}")
    expect(page.get_by_text("You are all idiots")).to_have_count(0)


def test_flag_and_hide_from_the_queue(live_server, page, member, moderator, make_user):
    question = make_question(make_user("asker"))
    make_answer(question, make_user("writer"), body="You are all idiots")
    _flag_then_hide(page, live_server.url, member, moderator, question)


def test_flag_and_hide_from_the_queue_without_javascript(live_server, page_without_js, member, moderator, make_user):
    question = make_question(make_user("asker"))
    make_answer(question, make_user("writer"), body="You are all idiots")
    _flag_then_hide(page_without_js, live_server.url, member, moderator, question)
