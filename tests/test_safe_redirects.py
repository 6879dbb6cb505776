"""Every redirect stays on this site: ``?next=`` and hidden ``next`` fields never lead elsewhere."""
import pytest

from forum.urls import safe_next
from tests.fixtures.users import PASSWORD

HOSTILE = [
    "//evil.example",
    "//evil.example/path",
    "https://evil.example",
    "http:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%5Cevil.example",
    "/%5cevil.example",
    "/%2F%2Fevil.example",
    "/%252F%252Fevil.example",
    "%2F%2Fevil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " //evil.example",
    "/\t/evil.example",
    "/\r\nLocation: https://evil.example",
    "/path\r\nSet-Cookie: x=1",
    "/%0d%0aSet-Cookie:%20x=1",
    "evil.example",
    "",
]
SAME_SITE = ["/", "/users/alex", "/questions/3/how-do-i-sleep?sort=votes#a12", "/search?q=a%2Fb"]


@pytest.mark.parametrize("target", HOSTILE)
def test_safe_next_refuses_every_other_site(target):
    assert safe_next(target, "/fallback") == "/fallback"


@pytest.mark.parametrize("target", SAME_SITE)
def test_safe_next_keeps_paths_on_this_site(target):
    assert safe_next(target, "/fallback") == target


def location(response):
    assert response.status_code in (301, 302, 303), response.status_code
    value = response.headers["Location"]
    assert "\r" not in value and "\n" not in value
    return value


def is_same_site(value):
    return value.startswith("/") and not value.startswith("//") and "\\" not in value \
        and "evil.example" not in value


@pytest.mark.parametrize("target", HOSTILE)
def test_logging_in_never_leaves_the_site(client, member, target):
    by_query = client.post("/login", query_string={"next": target},
                           data={"username": "alex", "password": PASSWORD})
    assert location(by_query) == "/"
    client.post("/logout")
    by_field = client.post("/login", data={"username": "alex", "password": PASSWORD, "next": target})
    assert location(by_field) == "/"


@pytest.mark.parametrize("target", HOSTILE)
def test_the_login_page_of_a_logged_in_member_never_leaves_the_site(client, auth, member, target):
    auth.login(member)
    assert location(client.get("/login", query_string={"next": target})) == "/"


def test_a_same_site_next_is_followed(client, member):
    response = client.post("/login", query_string={"next": "/users/alex?tab=answers"},
                           data={"username": "alex", "password": PASSWORD})
    assert location(response) == "/users/alex?tab=answers"


@pytest.mark.parametrize("target", HOSTILE)
def test_logging_out_never_leaves_the_site(client, auth, member, target):
    auth.login(member)
    response = client.post("/logout", query_string={"next": target}, data={"next": target})
    assert is_same_site(location(response))


@pytest.mark.parametrize("target", HOSTILE)
def test_the_theme_switch_never_leaves_the_site(client, target):
    response = client.post("/theme", data={"theme": "dark", "next": target})
    assert is_same_site(location(response))


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil.example",
                                    "/%5Cevil.example", "javascript:alert(1)"])
def test_notification_actions_never_leave_the_site(client, auth, member, target, app):
    auth.login(member)
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("notifications.") and "POST" in rule.methods and not rule.arguments:
            response = client.post(rule.rule, data={"next": target})
            if response.status_code in (301, 302, 303):
                assert is_same_site(location(response)), rule.rule


def test_a_login_form_never_carries_a_hostile_next_into_a_link(client):
    html = client.get("/login", query_string={"next": "javascript:alert(1)"}).get_data(as_text=True)
    assert 'href="javascript:' not in html
