"""In Chromium: voting updates the score in place with JavaScript, and by a form post without."""
from playwright.sync_api import expect

from tests.factories import make_answer, make_question
from tests.fixtures.users import PASSWORD


def _login(page, base, user):
    page.goto(base + "/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_vote_without_a_reload(live_server, page, member, make_user):
    question = make_question(make_user("asker"))
    make_answer(question, make_user("answerer"))
    _login(page, live_server.url, member)
    page.goto(f"{live_server.url}/questions/{question.id}")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    answer = page.locator("article.answer").first
    answer.get_by_role("button", name="Vote up").click()
    expect(answer.locator(".score-value")).to_have_text("+1")
    expect(answer.get_by_role("button", name="Vote up")).to_have_attribute("aria-pressed", "true")
    answer.get_by_role("button", name="Vote up").click()  # pressing again takes the vote back
    expect(answer.locator(".score-value")).to_have_text("0")
    assert navigations == []
    page.reload()
    expect(page.locator("article.answer").first.locator(".score-value")).to_have_text("0")


def test_vote_without_javascript(live_server, page_without_js, member, make_user):
    question = make_question(make_user("asker"))
    make_answer(question, make_user("answerer"))
    _login(page_without_js, live_server.url, member)
    page_without_js.goto(f"{live_server.url}/questions/{question.id}")
    page_without_js.locator("article.question").get_by_role("button", name="Vote up").click()
    expect(page_without_js.locator("article.question .score-value")).to_have_text("+1")
    expect(page_without_js.locator("article.question").get_by_role("button", name="Vote up")).to_have_attribute(
        "aria-pressed", "true")
