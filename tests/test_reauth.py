"""Moderators and admins re-enter their password before sensitive actions once it is old."""
import time

import pytest

from forum.extensions import db
from forum.models import Setting
from forum.views import reauth
from tests.fixtures.users import PASSWORD

SENSITIVE = [
    "admin.update_settings", "admin.apply_points_preset", "admin.set_level", "admin.user",
    "admin_categories.create", "admin_categories.update", "admin_categories.move",
    "admin_categories.reorder", "admin_categories.merge", "admin_categories.delete",
    "admin_moderation.add_phrase", "admin_moderation.remove_phrase",
    "admin_moderation.add_address_block", "admin_moderation.lift_address_block",
    "admin_moderation.update_crisis_resources",
    "sanctions.block", "sanctions.unblock", "sanctions.block_address",
    "curation.reveal", "credentials.decide",
]


def login(client, user, remember=False):
    data = {"username": user.username, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302


def age_password(client, minutes=16):
    """Pretend the password was last typed ``minutes`` ago in this session."""
    with client.session_transaction() as session:
        session[reauth.PASSWORD_AT] = int(time.time()) - minutes * 60


def site_name():
    return db.session.get(Setting, "site_name")


@pytest.mark.parametrize("endpoint", SENSITIVE)
def test_every_sensitive_action_asks_for_a_recent_password(app, endpoint):
    assert getattr(app.view_functions[endpoint], "requires_recent_password", False), endpoint


def test_right_after_logging_in_no_password_is_asked(client, admin):
    login(client, admin)
    response = client.get("/admin/users/ada")
    assert response.status_code == 200


def test_an_old_password_sends_a_get_to_reauthenticate_and_back(client, admin):
    login(client, admin)
    age_password(client)
    response = client.get("/admin/users/ada?tab=x")
    assert response.status_code == 303
    assert response.headers["Location"] == "/reauthenticate?next=/admin/users/ada?tab%3Dx"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and 'name="next" value="/admin/users/ada?tab=x"' in page.get_data(as_text=True)
    back = client.post("/reauthenticate", data={"password": PASSWORD, "next": "/admin/users/ada?tab=x"})
    assert back.status_code == 303 and back.headers["Location"] == "/admin/users/ada?tab=x"
    assert client.get("/admin/users/ada").status_code == 200


def test_an_old_password_stops_a_post_and_returns_to_its_form_without_replaying_it(client, admin):
    login(client, admin)
    age_password(client)
    response = client.post("/admin/settings", data={"site_name": "Changed without a password"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/reauthenticate?next=/admin/settings"
    assert (site_name() is None) or site_name().value != "Changed without a password"
    back = client.post("/reauthenticate", data={"password": PASSWORD, "next": "/admin/settings"})
    assert back.headers["Location"] == "/admin/settings"
    assert (site_name() is None) or site_name().value != "Changed without a password"


def test_a_post_without_a_get_page_returns_to_the_referring_form(client, admin, make_user):
    make_user("sam")
    login(client, admin)
    age_password(client)
    response = client.post("/admin/users/sam/level", data={"level": "10"},
                           headers={"Referer": "http://localhost/admin/users/sam"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/reauthenticate?next=/admin/users/sam"


def test_a_wrong_password_keeps_asking(client, admin):
    login(client, admin)
    age_password(client)
    response = client.post("/reauthenticate", data={"password": "not it at all", "next": "/admin/settings"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "That is not your password." in html and 'value="/admin/settings"' in html
    assert "not it at all" not in html
    assert client.get("/admin/users/ada").status_code == 303


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example", "/\\evil.example",
                                    "/%5Cevil.example", "javascript:alert(1)", "\\\\evil.example",
                                    "/\r\nLocation: https://evil.example"])
def test_reauthenticating_never_leaves_the_site(client, admin, target):
    login(client, admin)
    response = client.post("/reauthenticate", query_string={"next": target},
                           data={"password": PASSWORD, "next": target})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_a_session_restored_from_the_remember_cookie_must_enter_the_password(app, admin):
    first = app.test_client()
    login(first, admin, remember=True)
    restored = app.test_client()
    restored.set_cookie("remember_token", first.get_cookie("remember_token").value)
    response = restored.get("/admin/users/ada")
    assert response.status_code == 303 and response.headers["Location"].startswith("/reauthenticate")


def test_the_window_is_a_config_value(app, client, admin):
    app.config["REAUTH_WINDOW_MINUTES"] = 60
    login(client, admin)
    age_password(client, minutes=30)
    assert client.get("/admin/users/ada").status_code == 200
    app.config["REAUTH_WINDOW_MINUTES"] = 5
    age_password(client, minutes=6)
    assert client.get("/admin/users/ada").status_code == 303


def test_guests_are_sent_to_log_in(client):
    response = client.get("/reauthenticate")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.csrf
def test_the_reauthenticate_form_needs_its_csrf_token(client, admin):
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": "ada", "password": PASSWORD, "csrf_token": token})
    age_password(client)
    refused = client.post("/reauthenticate", data={"password": PASSWORD, "next": "/admin/settings"})
    assert refused.status_code == 400
    assert client.get("/admin/users/ada").status_code == 303


@pytest.mark.ratelimit
def test_reauthenticating_is_rate_limited_per_address(client, admin):
    login(client, admin)
    statuses = [client.post("/reauthenticate", data={"password": "wrong one"}).status_code
                for _ in range(7)]
    assert statuses[-1] == 429
    assert 400 in statuses


@pytest.mark.ratelimit
def test_wrong_passwords_here_count_towards_the_accounts_lock(app, admin):
    client = app.test_client()
    login(client, admin)
    for n in range(10):
        client.post("/reauthenticate", data={"password": "wrong one"},
                    environ_base={"REMOTE_ADDR": f"192.0.2.{n + 1}"})
    response = client.post("/reauthenticate", data={"password": PASSWORD},
                           environ_base={"REMOTE_ADDR": "192.0.2.99"})
    assert response.status_code == 429
    assert "too many wrong passwords" in response.get_data(as_text=True)
