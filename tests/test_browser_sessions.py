"""In Chromium, without JavaScript: a member ends the session of another browser from the account page."""
from playwright.sync_api import expect

from tests.fixtures.users import PASSWORD


def _log_in(page, base, username):
    page.goto(base + "/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name=username)).to_be_visible()


def test_ending_another_browsers_session(live_server, browser, member):
    laptop = browser.new_context(java_script_enabled=False).new_page()
    phone = browser.new_context(java_script_enabled=False,
                                user_agent="Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile").new_page()
    try:
        _log_in(laptop, live_server.url, "alex")
        _log_in(phone, live_server.url, "alex")
        laptop.goto(live_server.url + "/account")
        other = laptop.get_by_role("listitem").filter(has_text="Chrome on Android")
        expect(other).to_be_visible()
        expect(laptop.get_by_role("listitem").filter(has_text="This device")).to_have_count(1)
        other.get_by_role("button", name="End this session").click()
        expect(laptop.get_by_text("That session has ended")).to_be_visible()
        expect(laptop.get_by_text("Chrome on Android")).to_have_count(0)
        phone.reload()
        expect(phone.get_by_role("link", name="Log in")).to_be_visible()
        laptop.goto(live_server.url + "/account")
        expect(laptop.get_by_role("heading", name="Your account")).to_be_visible()
    finally:
        laptop.context.close()
        phone.context.close()
