"""The theme choice: a cookie set by a CSRF-checked POST, rendered by the server, switched live by script."""
import pytest
from playwright.sync_api import expect

from tests.fixtures.live import Browserless, csrf_token


def html_tag(client, path="/login"):
    html = client.get(path).get_data(as_text=True)
    return html[html.index("<html"):html.index(">", html.index("<html")) + 1]


def test_pages_follow_the_system_until_a_theme_is_chosen(client):
    assert html_tag(client) == '<html lang="en">'
    response = client.post("/theme", data={"theme": "dark", "next": "/search?q=sleep"})
    assert response.status_code == 303 and response.headers["Location"] == "/search?q=sleep"
    cookie = client.get_cookie("theme")
    assert cookie.value == "dark" and cookie.http_only
    assert html_tag(client) == '<html lang="en" data-theme="dark">'
    assert ">Light theme</button>" in client.get("/login").get_data(as_text=True)
    client.post("/theme", data={"theme": "light"})
    assert html_tag(client) == '<html lang="en" data-theme="light">'
    client.post("/theme", data={"theme": "system"})
    assert client.get_cookie("theme") is None
    assert html_tag(client) == '<html lang="en">'


@pytest.mark.parametrize("value", ["", "purple", "dark\x00", "x" * 5000])
def test_an_unknown_theme_is_refused_and_changes_nothing(client, value):
    client.post("/theme", data={"theme": "dark"})
    response = client.post("/theme", data={"theme": value})
    assert response.status_code == 400
    assert "Choose the light or the dark theme." in response.get_data(as_text=True)
    assert client.get_cookie("theme").value == "dark"


def test_a_forged_cookie_is_ignored(client):
    client.set_cookie("theme", '"><script>')
    assert html_tag(client) == '<html lang="en">'


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_it_only_goes_back_to_this_site(client, target):
    response = client.post("/theme", data={"theme": "dark", "next": target})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_a_script_gets_no_redirect(client):
    response = client.post("/theme", data={"theme": "dark"}, headers={"Accept": "application/json"})
    assert response.status_code == 204 and client.get_cookie("theme").value == "dark"


@pytest.mark.csrf
def test_the_theme_post_needs_its_csrf_token(client):
    assert client.post("/theme", data={"theme": "dark"}).status_code == 400
    assert client.get_cookie("theme") is None


@pytest.mark.ratelimit
def test_the_theme_post_is_rate_limited(client):
    codes = [client.post("/theme", data={"theme": "dark"}).status_code for _ in range(31)]
    assert codes[:30] == [303] * 30 and codes[30] == 429


def test_pages_vary_on_the_cookie(client):
    assert "Cookie" in client.get("/login").headers.get("Vary", "")


def test_the_choice_survives_without_javascript(live_server):
    visitor = Browserless(live_server.url)
    status, html = visitor.get("/help")
    status, _ = visitor.post("/theme", {"csrf_token": csrf_token(html), "theme": "dark", "next": "/help"})
    assert status == 303
    status, html = visitor.get("/help")
    assert '<html lang="en" data-theme="dark">' in html


def test_the_toggle_switches_at_once_and_is_remembered(live_server, browser):
    context = browser.new_context(color_scheme="dark")
    page = context.new_page()
    try:
        page.goto(live_server.url + "/help")
        toggle = page.locator(".theme-toggle")
        expect(toggle).to_have_text("Light theme")  # the script saw the system's dark theme
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        navigations = []
        page.on("framenavigated", lambda frame: navigations.append(frame.url))
        with page.expect_response(lambda r: r.url.endswith("/theme")) as posted:
            toggle.click()
        assert posted.value.status == 204
        expect(page.locator("html")).to_have_attribute("data-theme", "light")
        expect(toggle).to_have_text("Dark theme")
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") != background
        assert navigations == []
        page.reload()
        expect(page.locator("html")).to_have_attribute("data-theme", "light")
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    finally:
        context.close()


def test_the_toggle_works_without_javascript(live_server, page_without_js):
    page_without_js.goto(live_server.url + "/help")
    page_without_js.get_by_role("button", name="Dark theme").click()
    page_without_js.wait_for_url(live_server.url + "/help")
    expect(page_without_js.locator("html")).to_have_attribute("data-theme", "dark")
    assert page_without_js.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(22, 25, 29)"
