"""Every security header, one test each, asserting its exact value so dropping it fails."""
import re

import pytest
from werkzeug.routing import IntegerConverter

from forum.config import ProductionConfig
from forum.security import PRIVATE_PREFIXES
from tests.fixtures.app import IsolatedClient
from tests.fixtures.users import PASSWORD

#: The policy, written out: default-src 'self' is also the script policy (no script-src, so
#: no 'unsafe-inline' or 'unsafe-eval' can slip in), and nothing may frame the site.
EXPECTED_CSP = ("default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
                "form-action 'self'")
PAGES = ["/", "/login", "/ask", "/no-such-page", "/static/css/forum.css"]


def directives(policy):
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


@pytest.mark.parametrize("path", PAGES)
def test_content_security_policy_allows_only_own_scripts(client, path):
    policy = client.get(path).headers["Content-Security-Policy"]
    assert policy == EXPECTED_CSP
    rules = directives(policy)
    scripts = rules.get("script-src", rules["default-src"])
    assert scripts == ["'self'"], "scripts may come from this site only, never inline"


@pytest.mark.parametrize("path", PAGES)
def test_nosniff(client, path):
    assert client.get(path).headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", PAGES)
def test_referrer_policy(client, path):
    assert client.get(path).headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("path", PAGES)
def test_no_framing(client, path):
    response = client.get(path)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert directives(response.headers["Content-Security-Policy"])["frame-ancestors"] == ["'none'"]


def test_no_hsts_outside_production(client):
    """Sent over plain http in development, HSTS would lock a local site out."""
    assert "Strict-Transport-Security" not in client.get("/").headers


# --- Production: HSTS and cookies --------------------------------------------------------------

@pytest.fixture
def production(app, tmp_path):
    """An app in production mode (CSRF on, secure cookies) on the test database."""
    from forum import create_app

    config = type("ProductionTestConfig", (ProductionConfig,), {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "a-production-secret-key-for-tests",
    })
    prod = create_app(config, instance_path=str(tmp_path / "prod-instance"))
    prod.test_client_class = IsolatedClient
    return prod


def test_production_sends_hsts(production):
    response = production.test_client().get("/", base_url="https://forum.test")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def login_in_production(production, user, remember):
    client = production.test_client()
    html = client.get("/login", base_url="https://forum.test").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    data = {"username": user.username, "password": PASSWORD, "csrf_token": token}
    if remember:
        data["remember"] = "y"
    # Over https, Flask-WTF also checks that the form came from this site.
    response = client.post("/login", data=data, base_url="https://forum.test",
                           headers={"Referer": "https://forum.test/login"})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response


def cookie(response, name):
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            return {part.strip().split("=")[0].lower(): part.strip() for part in header.split(";")[1:]}
    raise AssertionError(f"no {name} cookie set")


def test_production_session_cookie_is_secure_httponly_and_samesite(production, member):
    attributes = cookie(login_in_production(production, member, remember=False), "session")
    assert "secure" in attributes and "httponly" in attributes
    assert attributes["samesite"] == "SameSite=Lax"


def test_production_remember_cookie_is_secure_httponly_and_samesite(production, member):
    attributes = cookie(login_in_production(production, member, remember=True), "remember_token")
    assert "secure" in attributes and "httponly" in attributes
    assert attributes["samesite"] == "SameSite=Lax"


# --- Private pages are never stored -----------------------------------------------------------

PRIVATE_PAGES = ["/account", "/account/safety", "/account/data", "/account/data/download/not-a-token",
                 "/account/delete", "/account/credentials", "/admin/", "/admin/settings", "/admin/users",
                 "/moderation/queue", "/moderation/log", "/notifications", "/updates"]


@pytest.mark.parametrize("path", PRIVATE_PAGES)
def test_private_pages_are_not_stored(client, auth, admin, path):
    auth.login(admin)
    assert client.get(path).headers.get("Cache-Control") == "no-store", path


def test_private_pages_are_not_stored_for_guests_either(client):
    """A guest sent to the login page from a private address, or holding an emailed link."""
    for path in ("/account", "/password/reset/a-token", "/unsubscribe/a-token", "/admin/settings"):
        assert client.get(path).headers.get("Cache-Control") == "no-store", path


def test_every_page_of_a_logged_in_member_is_not_stored(client, auth, member):
    assert client.get("/").headers.get("Cache-Control") != "no-store"  # a guest on a public page
    auth.login(member)
    for path in ("/", "/users/alex", "/questions"):
        assert client.get(path).headers.get("Cache-Control") == "no-store", path
    assert client.get("/static/css/forum.css").headers.get("Cache-Control") != "no-store"


def _example_url(rule):
    values = {name: (1 if isinstance(conv, IntegerConverter) else "x")
              for name, conv in rule._converters.items()}
    for name, conv in rule._converters.items():
        if hasattr(conv, "items"):  # any(...) converters: their first choice
            values[name] = sorted(conv.items)[0]
    return rule.build(values, append_unknown=False)[1]


def test_every_private_route_in_the_url_map_is_not_stored(app, client, auth, admin):
    """New private routes are covered as soon as they exist."""
    auth.login(admin)
    checked = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not rule.rule.startswith(PRIVATE_PREFIXES):
            continue
        url = _example_url(rule)
        response = client.get(url)
        assert response.headers.get("Cache-Control") == "no-store", f"{url} ({rule.endpoint}) may be stored"
        checked.append(url)
    assert len(checked) >= 15
