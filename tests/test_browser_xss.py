"""In Chromium, under the app's real Content-Security-Policy: every attack vector posted
through the answer form runs nothing, tries nothing, and leaves no script link to click."""
from urllib.parse import urlsplit

from playwright.sync_api import expect

from forum.extensions import db
from forum.models import utcnow
from tests.factories import make_question
from tests.fixtures.users import PASSWORD
from tests.test_xss_vectors import VECTORS


def test_no_attack_vector_runs_in_the_browser(live_server, page, make_user):
    olive = make_user("olive", points=5_000)  # established: the new-member link limit is not the point
    olive.created_at = utcnow().replace(year=2020)
    db.session.commit()
    question = make_question(None, title="What helps with waking too early?")

    dialogs, violations, outside = [], [], []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.on("pageerror", lambda error: violations.append(str(error)))

    def only_loopback(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_loopback)
    page.add_init_script("window.__pwned = 0;")

    page.goto(live_server.url + "/login")
    page.get_by_label("Username").fill("olive")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/questions/{question.id}")
    body = "\n\n".join(vector.replace("\x00", "") for vector in VECTORS)
    page.get_by_role("textbox", name="Your answer").fill(body)
    page.get_by_role("button", name="Post your answer").click()
    answer = page.locator("article.answer").first
    expect(answer).to_be_visible()

    # Fire at everything in the answer the events a handler could hang on.
    answer.evaluate("""root => root.querySelectorAll('*').forEach(el => {
        for (const type of ['mouseover', 'mouseenter', 'focus', 'toggle', 'animationstart']) {
            el.dispatchEvent(new Event(type, {bubbles: true}));
        }
        if (el.tagName !== 'A') el.dispatchEvent(new MouseEvent('click', {bubbles: true}));
    })""")
    links = answer.locator("a")
    protocols = links.evaluate_all("links => links.map(a => new URL(a.href, location.href).protocol)")
    assert set(protocols) <= {"http:", "https:", "mailto:"}, protocols
    for index in range(links.count()):
        href = links.nth(index).get_attribute("href") or ""
        if urlsplit(href).hostname in (None, "127.0.0.1"):
            links.nth(index).click(modifiers=["Control"], timeout=2000)  # a new tab, never leaving
    page.wait_for_timeout(500)

    assert page.evaluate("window.__pwned") == 0
    assert dialogs == []
    assert violations == [], violations  # nothing even tried to run and was stopped by the CSP
    assert page.evaluate("document.querySelectorAll('article.answer script, article.answer [style]').length") == 0
    handlers = page.evaluate("""() => [...document.querySelectorAll('article.answer *')]
        .flatMap(el => [...el.attributes].map(a => a.name)).filter(n => n.startsWith('on'))""")
    assert handlers == []
    assert outside == [], outside  # nothing on the page fetched another host
