"""In Chromium: register and log in through the real pages, with and without JavaScript."""
import re

from playwright.sync_api import expect
from sqlalchemy import select

from forum.extensions import db
from forum.models import OutboxMessage


def _register(page, base, username):
    page.goto(base + "/register")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.org")
    page.get_by_label("Password", exact=True).fill("a long enough passphrase")
    page.get_by_label("Repeat password").fill("a long enough passphrase")
    page.get_by_label(re.compile("I agree")).check()
    page.get_by_role("button", name="Create account").click()


def _confirm(page, username):
    """Open the confirmation link from the queued email and confirm."""
    body = db.session.scalar(select(OutboxMessage.body).where(
        OutboxMessage.to_address == f"{username}@example.org"))
    page.goto(re.search(r"http://\S+/verify/\S+", body).group(0))
    page.get_by_role("button", name="Confirm my address").click()


def test_register_log_out_and_log_in_again(live_server, page):
    _register(page, live_server.url, "browseruser")
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    _confirm(page, "browseruser")
    expect(page.get_by_text("your address is confirmed")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Username").fill("browseruser")
    page.get_by_label("Password").fill("wrong password entirely")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Wrong username or password.")).to_be_visible()
    expect(page.get_by_label("Username")).to_have_value("browseruser")
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="browseruser")).to_be_visible()


def test_register_without_javascript(live_server, page_without_js):
    _register(page_without_js, live_server.url, "nojsuser")
    _confirm(page_without_js, "nojsuser")
    expect(page_without_js.get_by_role("link", name="nojsuser")).to_be_visible()


def test_pages_make_no_request_to_another_host(live_server, page):
    hosts = set()
    page.on("request", lambda request: hosts.add(re.sub(r"^https?://([^/]+).*$", r"\1", request.url)))
    for path in ("/", "/register", "/login"):
        page.goto(live_server.url + path)
    assert hosts == {live_server.url.split("//", 1)[1]}
