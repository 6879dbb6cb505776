"""In Chromium: typing a question in crisis words shows the resources; posting anyway shows the panel."""
from playwright.sync_api import expect

from forum.extensions import db
from forum.services import phrases


def _ask(page, base):
    page.goto(base + "/")
    expect(page.get_by_role("banner").get_by_role("link", name="Need help now?")).to_be_visible()
    page.get_by_role("link", name="Ask a question").click()
    page.get_by_label("Your question in one sentence").fill("I want to end my life, can anyone help?")
    page.get_by_label("More detail (optional)").fill("I have felt like this for weeks.")
    page.get_by_role("button", name="Post your question").click()
    expect(page.get_by_role("heading", name="Before you post")).to_be_visible()
    expect(page.get_by_text("Samaritans")).to_be_visible()
    page.get_by_role("button", name="Post it").click()
    expect(page.get_by_role("heading", level=1, name="I want to end my life, can anyone help?")).to_be_visible()
    expect(page.get_by_role("complementary", name="Support is available")).to_be_visible()


def test_the_crisis_interstitial(live_server, page):
    phrases.install_defaults()
    db.session.commit()
    _ask(page, live_server.url)


def test_the_crisis_interstitial_without_javascript(live_server, page_without_js):
    phrases.install_defaults()
    db.session.commit()
    _ask(page_without_js, live_server.url)
