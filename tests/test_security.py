"""Security defaults: headers on every response, no inline script, CSRF everywhere."""
import re
from pathlib import Path

import pytest

from forum.security import CONTENT_SECURITY_POLICY

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/nope", "/static/css/forum.css", "/admin/settings"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "script-src" not in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_the_policy_is_the_agreed_one():
    for part in ("default-src 'self'", "object-src 'none'", "base-uri 'self'", "frame-ancestors 'none'"):
        assert part in CONTENT_SECURITY_POLICY


def _template_files():
    return sorted(TEMPLATES.rglob("*.html"))


def test_templates_exist_to_scan():
    assert len(_template_files()) >= 8


@pytest.mark.parametrize("path", _template_files(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_no_template_has_inline_script_style_or_event_handlers(path):
    source = path.read_text()
    for match in re.finditer(r"<script\b([^>]*)>", source, re.I):
        assert "src=" in match.group(1), f"inline <script> in {path.name}"
    assert not re.search(r"<style\b", source, re.I), f"<style> block in {path.name}"
    assert not re.search(r"\sstyle\s*=", source, re.I), f"style attribute in {path.name}"
    assert not re.search(r"\son[a-z]+\s*=", source, re.I), f"on…= handler in {path.name}"
    assert not re.search(r"javascript:", source, re.I)


def test_no_template_loads_anything_from_another_host():
    for path in _template_files():
        source = path.read_text()
        assert not re.search(r"""(src|href)=["'](https?:)?//""", source), path.name


@pytest.mark.csrf
def test_a_post_without_a_csrf_token_gets_a_friendly_400(client, auth, member):
    response = client.post("/logout")
    assert response.status_code == 400
    assert "nothing was saved" in response.get_data(as_text=True)


@pytest.mark.csrf
def test_a_form_without_a_valid_token_comes_back_with_the_typed_text(client):
    response = client.post("/register", data={
        "username": "keepme", "email": "keep@example.org", "password": "x" * 20,
        "confirm": "x" * 20, "consent": "y", "csrf_token": "forged"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="keepme"' in html and 'value="keep@example.org"' in html
    assert "Your session had expired" in html
    assert "x" * 20 not in html  # never the password
    from forum.services import accounts

    assert accounts.get_user_by_name("keepme") is None


@pytest.mark.csrf
def test_a_valid_token_is_accepted(client):
    html = client.get("/register").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/register", data={
        "username": "tokenholder", "email": "t@example.org", "password": "a long enough passphrase",
        "confirm": "a long enough passphrase", "consent": "y", "csrf_token": token})
    assert response.status_code == 302


def test_csrf_tokens_do_not_expire_within_a_session(app):
    assert app.config["WTF_CSRF_TIME_LIMIT"] is None


def test_an_over_long_field_gets_a_field_message_not_a_413(client):
    response = client.post("/register", data={"username": "u" * 500_000, "email": "a@example.org"})
    assert response.status_code == 400
    assert 'id="username-error"' in response.get_data(as_text=True)


def test_rate_limiter_is_off_in_tests_but_configured(app):
    assert app.config["RATELIMIT_ENABLED"] is False
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"


@pytest.mark.ratelimit
def test_login_attempts_are_rate_limited(client, member):
    statuses = [
        client.post("/login", data={"username": "alex", "password": "wrong password x"}).status_code
        for _ in range(7)
    ]
    assert statuses[:6] == [400] * 6
    assert statuses[6] == 429
    assert "Slow down" in client.post("/login", data={}).get_data(as_text=True)
