"""In Chromium: a member applies as a professional, a moderator verifies it, readers see the badge."""
from datetime import timedelta

from playwright.sync_api import expect

from forum.services import credentials
from tests.factories import make_answer, make_question
from tests.fixtures.users import PASSWORD


def _login(page, base, user):
    page.goto(base + "/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_apply_verify_and_see_the_badge(live_server, page, member, moderator, make_user):
    base = live_server.url
    question = make_question(make_user("asker"))
    make_answer(question, member, body="Keep a regular time to get up, even at weekends.")

    _login(page, base, member)
    page.goto(base + "/account")
    page.get_by_role("link", name="Your professional credential").click()
    page.get_by_label("Your profession").select_option("psychiatrist")
    page.get_by_label("Registration or licence number").fill("GMC-7741203")
    page.get_by_label("Issuing body").fill("General Medical Council")
    page.get_by_label("Country or region").fill("UK")
    page.get_by_role("button", name="Send for checking").click()
    expect(page.get_by_text("Waiting for a moderator")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    _login(page, base, moderator)
    page.goto(base + "/moderation/queue")
    page.get_by_role("link", name="Professional credentials to check").click()
    page.get_by_role("link", name="alex: Psychiatrist, UK").click()
    expect(page.get_by_text("GMC-7741203")).to_be_visible()
    expires = credentials.today() + timedelta(days=365)
    page.get_by_label("Registration valid until").fill(expires.isoformat())
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("Verified: the badge shows")).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    page.goto(f"{base}/questions/{question.id}")
    answer = page.locator("article.answer")
    expect(answer.locator(".badge.verified")).to_have_text("Verified psychiatrist, UK")
    expect(answer.locator(".care-note")).to_contain_text("not a substitute for individual care")
    expect(page.get_by_text("GMC-7741203")).to_have_count(0)
