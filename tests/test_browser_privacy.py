"""In Chromium: every request a page makes, including those its content tries, stays on this host."""
import pytest
from playwright.sync_api import expect

from forum.services import answers, comments
from tests.factories import make_category, make_question
from tests.fixtures.users import PASSWORD

pytestmark = pytest.mark.browser

#: Content that would reach another host if anything let it through: images, embeds, styles.
HOSTILE_BODY = """Some help: ![tracker](https://tracker.example/pixel.png)

<img src="https://tracker.example/raw.png"> <iframe src="https://tracker.example/frame"></iframe>
<link rel="stylesheet" href="https://fonts.example/css"> <video src="https://tracker.example/v.mp4"></video>
[a link is fine](https://example.org/resource)"""


def _recording(page):
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    return requests


def _visit_everything(page, base, question):
    paths = ["/", "/questions", "/unanswered", "/questions/hot", "/categories", "/categories/sleep",
             "/tags/worry", "/users", "/users/helpful", "/search?q=sleep", "/help", "/guidelines",
             "/ask", "/login", "/register", f"/questions/{question.id}", f"/posts/{question.id}/revisions"]
    for path in paths:
        response = page.goto(base + path)
        assert response.status < 400, path
    page.goto(base + f"/questions/{question.id}")
    expect(page.get_by_role("link", name="a link is fine")).to_have_count(2)


@pytest.fixture
def thread(make_user):
    helper = make_user("helpful")
    question = make_question(helper, title="How do I stop worrying at night?", body=HOSTILE_BODY,
                             category=make_category("Sleep"), tags="worry sleep")
    answer = answers.post_answer(question, make_user("another"), HOSTILE_BODY)
    comments.post_comment(answer, helper, "Thanks ![x](https://tracker.example/c.png)")
    from forum.extensions import db
    db.session.commit()
    return question


def test_no_page_requests_another_host_as_a_guest(live_server, page, thread):
    requests = _recording(page)
    _visit_everything(page, live_server.url, thread)
    assert requests and all(url.startswith(live_server.url + "/") for url in requests), requests


def test_no_page_requests_another_host_as_a_member(live_server, page, thread, make_user):
    reader = make_user("reader")
    requests = _recording(page)
    page.goto(live_server.url + "/login")
    page.get_by_label("Username").fill(reader.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="reader")).to_be_visible()
    _visit_everything(page, live_server.url, thread)
    for path in ("/account", "/notifications", "/account/safety"):
        assert page.goto(live_server.url + path).status < 400, path
    # Typing a title asks for similar questions; that request too stays here.
    page.goto(live_server.url + "/ask")
    page.get_by_label("Your question in one sentence").fill("How do I stop worrying so much")
    page.wait_for_timeout(800)
    assert any("/search/similar" in url for url in requests)
    assert all(url.startswith(live_server.url + "/") for url in requests), requests
