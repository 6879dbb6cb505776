"""The theme choice: a cookie the server renders from, set by a CSRF-checked form or by the script."""
import pytest
from playwright.sync_api import expect

from tests.fixtures.live import Browserless, csrf_token

DARK_BACKGROUND = "rgb(22, 25, 29)"
LIGHT_BACKGROUND = "rgb(255, 255, 255)"


def html_tag(client, path="/help"):
    html = client.get(path).get_data(as_text=True)
    return html[html.index("<html"):html.index(">", html.index("<html")) + 1]


def test_pages_follow_the_system_until_a_theme_is_chosen(client):
    assert html_tag(client) == '<html lang="en">'
    response = client.post("/theme", data={"theme": "dark", "next": "/search?q=sleep"})
    assert response.status_code == 303 and response.headers["Location"] == "/search?q=sleep"
    assert client.get_cookie("theme").value == "dark"
    assert html_tag(client) == '<html lang="en" data-theme="dark">'
    assert 'id="theme-dark" name="theme" value="dark" checked' in client.get("/theme").get_data(as_text=True)
    client.post("/theme", data={"theme": "light"})
    assert html_tag(client) == '<html lang="en" data-theme="light">'
    client.post("/theme", data={"theme": "system"})
    assert client.get_cookie("theme") is None
    assert html_tag(client) == '<html lang="en">'


def test_the_header_links_to_the_choice_and_back(client):
    html = client.get("/search?q=sleep").get_data(as_text=True)
    assert '<a class="theme-toggle" href="/theme?next=/search?q%3Dsleep">Light or dark</a>' in html
    page = client.get("/theme?next=/search?q%3Dsleep").get_data(as_text=True)
    assert '<input type="hidden" name="next" value="/search?q=sleep">' in page
    assert 'id="theme-system" name="theme" value="system" checked' in page
    for value in ("system", "light", "dark"):
        assert f'<label for="theme-{value}">' in page


def test_a_guest_page_sets_no_cookie(client):
    """The header holds a link, not a form: a guest's page needs no session, so it can be cached."""
    response = client.get("/help")
    assert not response.headers.getlist("Set-Cookie")
    assert "Cookie" in response.headers.get("Vary", "")


@pytest.mark.parametrize("value", ["", "purple", "dark\x00", "x" * 5000])
def test_an_unknown_theme_is_refused_and_changes_nothing(client, value):
    client.post("/theme", data={"theme": "dark"})
    response = client.post("/theme", data={"theme": value})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'role="alert" id="theme-error">Choose one of the themes.' in html
    assert 'aria-describedby="theme-error"' in html
    assert client.get_cookie("theme").value == "dark"


def test_a_forged_cookie_is_ignored(client):
    client.set_cookie("theme", '"><script>')
    assert html_tag(client) == '<html lang="en">'


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_it_only_goes_back_to_this_site(client, target):
    response = client.post("/theme", data={"theme": "dark", "next": target})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert 'name="next" value="/"' in client.get("/theme", query_string={"next": target}).get_data(as_text=True)


@pytest.mark.csrf
def test_the_theme_post_needs_its_csrf_token(client):
    response = client.post("/theme", data={"theme": "dark"})
    assert response.status_code == 400 and "please choose again" in response.get_data(as_text=True)
    assert client.get_cookie("theme") is None


@pytest.mark.ratelimit
def test_the_theme_post_is_rate_limited(client):
    codes = [client.post("/theme", data={"theme": "dark"}).status_code for _ in range(31)]
    assert codes[:30] == [303] * 30 and codes[30] == 429


def test_the_choice_is_saved_by_a_plain_form_post(live_server):
    visitor = Browserless(live_server.url)
    status, html = visitor.get("/theme?next=/help")
    status, _ = visitor.post("/theme", {"csrf_token": csrf_token(html), "theme": "dark", "next": "/help"})
    assert status == 303
    status, html = visitor.get("/help")
    assert '<html lang="en" data-theme="dark">' in html


def test_the_toggle_switches_at_once_and_is_remembered(live_server, browser):
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    try:
        page.goto(live_server.url + "/help")
        toggle = page.get_by_role("button", name="Light theme")  # the script saw the system's dark
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == DARK_BACKGROUND
        navigations = []
        page.on("framenavigated", lambda frame: navigations.append(frame.url))
        toggle.click()
        expect(page.locator("html")).to_have_attribute("data-theme", "light")
        expect(page.locator(".theme-toggle")).to_have_text("Dark theme")
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == LIGHT_BACKGROUND
        assert navigations == []
        page.reload()  # the server now renders the remembered choice
        expect(page.locator("html")).to_have_attribute("data-theme", "light")
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == LIGHT_BACKGROUND
        page.get_by_role("button", name="Dark theme").click()
        page.reload()
        expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    finally:
        context.close()


def test_the_choice_works_without_javascript(live_server, page_without_js):
    page_without_js.goto(live_server.url + "/help")
    page_without_js.get_by_role("link", name="Light or dark").click()
    page_without_js.get_by_label("Dark").check()
    page_without_js.get_by_role("button", name="Save").click()
    page_without_js.wait_for_url(live_server.url + "/help")
    expect(page_without_js.locator("html")).to_have_attribute("data-theme", "dark")
    assert page_without_js.evaluate("getComputedStyle(document.body).backgroundColor") == DARK_BACKGROUND
