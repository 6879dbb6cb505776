"""In Chromium: A asks, B answers; A sees the bell count, opens the inbox and marks all read."""
from playwright.sync_api import expect

from tests.factories import make_category
from tests.fixtures.users import PASSWORD

TITLE = "How do I stop worrying before exams?"


def _login(page, base, user):
    page.goto(base + "/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _logout(page):
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()


def _ask(page, base):
    page.goto(base + "/ask")
    page.get_by_label("Your question in one sentence").fill(TITLE)
    page.get_by_label("More detail (optional)").fill("My heart races the night before.")
    page.get_by_label("Category").select_option(label="Study")
    page.get_by_role("button", name="Post your question").click()
    expect(page.get_by_role("heading", level=1, name=TITLE)).to_be_visible()


def _answer(page):
    page.get_by_role("textbox", name="Your answer").fill("Slow breathing for a minute helps me.")
    page.get_by_role("button", name="Post your answer").click()
    expect(page.get_by_text("Slow breathing for a minute helps me.")).to_be_visible()


def test_bell_inbox_and_mark_all_read(live_server, page, make_user):
    make_category("Study")
    asker, helper = make_user("asha"), make_user("bram")
    base = live_server.url

    _login(page, base, asker)
    _ask(page, base)
    bell = page.locator("a.bell")
    expect(bell).to_have_text("Notifications")
    _logout(page)

    _login(page, base, helper)
    page.goto(base + "/")
    page.get_by_role("link", name=TITLE).click()
    _answer(page)
    _logout(page)

    _login(page, base, asker)
    expect(bell.locator(".count-badge")).to_have_text("1 unread")
    expect(bell).to_have_accessible_name("Notifications 1 unread")
    bell.click()
    expect(page).to_have_url(base + "/notifications")
    expect(page.get_by_role("heading", level=1, name="Notifications")).to_be_visible()
    item = page.locator("li.notification.unread")
    expect(item).to_have_count(1)
    expect(item.get_by_role("link")).to_have_text(f"bram answered “{TITLE}”")

    page.get_by_role("button", name="Mark all read").click()
    expect(page).to_have_url(base + "/notifications")
    expect(page.locator("li.notification.unread")).to_have_count(0)
    expect(page.locator("li.notification")).to_have_count(1)
    expect(bell.locator(".count-badge")).to_have_count(0)
    expect(bell).to_have_text("Notifications")
    page.goto(base + "/")
    expect(page.locator("a.bell .count-badge")).to_have_count(0)
