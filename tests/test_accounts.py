"""Accounts: registration and login rules, bad input, sessions."""
import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import User
from forum.services import accounts
from tests.fixtures.users import PASSWORD

GOOD = "a long enough passphrase"


def register(client, **overrides):
    data = {"username": "newbie", "email": "newbie@example.org", "password": GOOD,
            "confirm": GOOD, "consent": "y"}
    data.update(overrides)
    return client.post("/register", data=data)


def user_count():
    return db.session.scalar(select(func.count(User.id)))


def test_register_creates_a_member_who_must_confirm_their_address(client):
    response = register(client)
    assert response.status_code == 302 and response.headers["Location"] == "/check-email"
    user = accounts.get_user_by_name("newbie")
    assert user.email == "newbie@example.org" and user.consented_at is not None
    assert user.email_verified_at is None
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:")) and GOOD not in user.password_hash
    assert "Log in" in client.get("/").get_data(as_text=True)  # not logged in yet


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"username": ""}, "username", "Choose a username."),
        ({"username": "ab"}, "username", "Use 3 to 30 characters."),
        ({"username": "x" * 31}, "username", "Field cannot be longer than 30 characters."),
        ({"username": "bad name!"}, "username", "Use letters, digits"),
        ({"username": "Admin"}, "username", "reserved"),
        ({"username": "bell\x07name"}, "username", "control characters"),
        ({"email": ""}, "email", "Enter your email address."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address"),
        ({"email": "a@" + "b" * 260 + ".org"}, "email", "too long"),
        ({"password": "", "confirm": ""}, "password", "Enter a password."),
        ({"password": "short pass", "confirm": "short pass"}, "password", "at least 12"),
        ({"password": "p" * 129, "confirm": "p" * 129}, "password", "at most 128"),
        ({"password": "password1234", "confirm": "password1234"}, "password", "too common"),
        ({"password": "Q1W2E3R4T5Y6", "confirm": "Q1W2E3R4T5Y6"}, "password", "too common"),
        ({"password": "newbie-and-more-words", "confirm": "newbie-and-more-words"}, "password", "username"),
        ({"confirm": "something else entirely"}, "confirm", "don&#39;t match"),
        ({"consent": ""}, "consent", "Please agree"),
    ],
)
def test_bad_registrations_say_why_next_to_the_field_and_save_nothing(client, overrides, field, message):
    response = register(client, **overrides)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = html.split(f'id="{field}-error"', 1)
    assert len(error) == 2, f"no error shown for {field}"
    assert message in error[1].split("</p>", 1)[0]
    assert user_count() == 0
    # What was typed is kept, except passwords.
    typed = overrides.get("username", "newbie")
    if field != "username" and typed:
        assert f'value="{typed}"' in html
    assert GOOD not in html


def test_any_characters_are_fine_in_a_long_password(client):
    password = "ünïcode ✓ パスワード \"quoted\" ' <b>"
    assert register(client, password=password, confirm=password).status_code == 302
    assert accounts.authenticate("newbie", password) is not None


@pytest.mark.parametrize("variant", ["NEWBIE", "Newbie", "ｎｅｗｂｉｅ"])
def test_username_variants_clash(client, variant):
    assert register(client).status_code == 302
    client.post("/logout")
    response = register(client, username=variant, email="other@example.org")
    assert response.status_code == 400
    assert "This username is taken" in response.get_data(as_text=True)
    assert user_count() == 1


def test_registering_with_a_known_address_does_not_say_so(client, member):
    response = register(client, email=member.email)
    assert response.status_code == 302
    assert "already" not in client.get("/").get_data(as_text=True)


def test_login_and_logout(client, auth, member):
    auth.login(member)
    assert "Log out" in client.get("/").get_data(as_text=True)
    auth.logout()
    assert "Log in" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(
    "username, password",
    [("alex", "wrong password here"), ("nobody", PASSWORD), ("ALEX", "wrong password here")],
)
def test_failed_logins_never_reveal_whether_the_account_exists(client, member, username, password):
    response = client.post("/login", data={"username": username, "password": password})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Wrong username or password." in html
    assert f'value="{username}"' in html and password not in html


def test_login_with_a_canonical_variant_of_the_name(client, member):
    assert client.post("/login", data={"username": "ALEX", "password": PASSWORD}).status_code == 302


def test_login_checks_only_the_hash_whatever_the_length(client, make_user):
    old = make_user("veteran", password="short")  # e.g. an imported account
    assert client.post("/login", data={"username": old.username, "password": "short"}).status_code == 302


def test_login_with_empty_fields(client):
    response = client.post("/login", data={})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Enter your username." in html and "Enter your password." in html


@pytest.mark.parametrize("target", ["//evil.example", "https://evil.example/x", "/\\evil.example", "javascript:alert(1)"])
def test_login_never_redirects_off_site(client, member, target):
    response = client.post(f"/login?next={target}", data={"username": "alex", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_login_follows_a_same_site_next(client, member):
    response = client.post("/login?next=/users/alex", data={"username": "alex", "password": PASSWORD})
    assert response.headers["Location"] == "/users/alex"


def test_remember_me_sets_a_lasting_cookie(client, member):
    response = client.post("/login", data={"username": "alex", "password": PASSWORD, "remember": "y"})
    assert any("remember_token" in value for value in response.headers.getlist("Set-Cookie"))


def test_logout_everywhere_ends_other_sessions(app, member):
    first, second = app.test_client(), app.test_client()
    for client in (first, second):
        client.post("/login", data={"username": "alex", "password": PASSWORD, "remember": "y"})
    assert "Log out" in second.get("/").get_data(as_text=True)
    assert first.post("/account/logout-everywhere").status_code == 302
    assert "Log in" in second.get("/").get_data(as_text=True)


def test_password_change_ends_other_sessions_but_keeps_this_one(app, member):
    this, other = app.test_client(), app.test_client()
    for client in (this, other):
        client.post("/login", data={"username": "alex", "password": PASSWORD})
    new = "another long passphrase"
    response = this.post("/account/password", data={
        "current_password": PASSWORD, "new_password": new, "confirm": new})
    assert response.status_code == 302
    assert "Log out" in this.get("/").get_data(as_text=True)
    assert "Log in" in other.get("/").get_data(as_text=True)
    assert accounts.authenticate("alex", new) is not None


@pytest.mark.parametrize(
    "data, field",
    [
        ({"current_password": "wrong one entirely", "new_password": GOOD, "confirm": GOOD}, "current_password"),
        ({"current_password": PASSWORD, "new_password": "short", "confirm": "short"}, "new_password"),
        ({"current_password": PASSWORD, "new_password": GOOD, "confirm": "different"}, "confirm"),
    ],
)
def test_bad_password_changes_change_nothing(client, auth, member, data, field):
    auth.login(member)
    response = client.post("/account/password", data=data)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert accounts.authenticate("alex", PASSWORD) is not None


def test_account_pages_need_a_login(client):
    response = client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.post("/account/logout-everywhere").status_code in (302, 401)


def test_account_page_is_not_cached(client, auth, member):
    auth.login(member)
    assert client.get("/account").headers["Cache-Control"] == "no-store"
