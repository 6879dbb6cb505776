"""The security log: each event one line, UTC time, no secrets, and no forged lines."""
import logging
import re

import pytest

from forum import security_log
from forum.extensions import db
from forum.services import account_emails, accounts
from tests.factories import make_question
from tests.fixtures.app import build_app
from tests.fixtures.users import PASSWORD

LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z [a-z_]+( [a-z_]+=\"(?:[^\"\\]|\\.)*\")*$")


@pytest.fixture
def events(caplog):
    """Return a function listing the security lines logged so far (each checked for shape)."""
    caplog.set_level(logging.INFO, logger="forum.security")

    def lines():
        found = [r.getMessage() for r in caplog.records if r.name == "forum.security"]
        for line in found:
            assert "\n" not in line and "\r" not in line
            assert LINE.match(line), line
        return found

    return lines


def only(lines, name):
    matching = [line for line in lines if line.split(" ")[1] == name]
    assert len(matching) == 1, (name, lines)
    return matching[0]


def test_a_login_is_logged_with_id_username_and_utc_time(client, auth, member, events):
    auth.login(member)
    line = only(events(), "login")
    assert f'user_id="{member.id}" username="alex"' in line
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ", line)  # UTC, ISO 8601
    assert PASSWORD not in line and "session" not in line and "@" not in line


def test_a_failed_login_is_logged_without_the_password(client, member, events):
    client.post("/login", data={"username": "alex", "password": "a wrong guess here"})
    line = only(events(), "login_failed")
    assert 'username="alex"' in line and 'ip="127.0.0.1"' in line
    assert "a wrong guess here" not in line


def test_an_email_address_typed_as_the_username_is_not_logged(client, member, events):
    client.post("/login", data={"username": "alex@example.org", "password": "whatever it is"})
    line = only(events(), "login_failed")
    assert "example.org" not in line and 'username="[an email address]"' in line


def test_a_forged_newline_in_a_username_cannot_make_a_second_line(client, events):
    forged = 'mallory"\n2026-01-01T00:00:00.000Z login user_id="1" username="ada'
    client.post("/login", data={"username": forged, "password": "whatever it is"})
    lines = events()
    assert [line.split(" ")[1] for line in lines] == ["login_failed"]
    assert '\\"\\n2026-01-01T00:00:00.000Z login user_id=\\"1\\"' in lines[0]


@pytest.mark.parametrize("sneaky", ["\r", "\u2028", "\u2029", "\x85", "\x1b[2J", "\u202e", "\x0b"])
def test_every_line_breaking_or_invisible_character_is_escaped(sneaky, events):
    security_log.login_failed(f"a{sneaky}b")
    line = only(events(), "login_failed")
    assert sneaky not in line and "\\" in line
    assert len(line.splitlines()) == 1


def test_logout_password_and_email_changes_are_logged_without_secrets(client, auth, member, events):
    auth.login(member)
    new_password = "another long passphrase here"
    client.post("/account/password", data={"current_password": PASSWORD, "new_password": new_password,
                                           "confirm": new_password})
    client.post("/account/email", data={"change-email-current_password": new_password,
                                        "change-email-email": "alex.new@example.org"})
    client.post("/logout")
    lines = events()
    assert 'via="account"' in only(lines, "password_changed")
    assert f'user_id="{member.id}"' in only(lines, "email_change_requested")
    assert 'username="alex"' in only(lines, "logout")
    text = "\n".join(lines)
    assert PASSWORD not in text and new_password not in text and "example.org" not in text


def test_a_password_reset_and_a_confirmed_email_change_are_logged(client, member, events):
    token = account_emails.reset_token(member)
    client.post(f"/password/reset/{token}", data={"new_password": "reset passphrase words",
                                                  "confirm": "reset passphrase words"})
    assert 'via="reset"' in only(events(), "password_changed")
    member = accounts.get_user_by_name("alex")
    link = account_emails.verification_token(member, "changed@example.org")
    client.post(f"/verify/{link}")
    line = only(events(), "email_changed")
    assert f'user_id="{member.id}"' in line and "changed@example.org" not in line


def test_a_permission_refusal_is_logged(client, auth, member, events):
    auth.login(member)
    assert client.get("/admin/settings").status_code == 403
    line = only(events(), "refused")
    assert 'status="403"' in line and 'reason="permission"' in line
    assert 'path="/admin/settings"' in line and 'username="alex"' in line


@pytest.mark.csrf
def test_a_csrf_refusal_is_logged(client, events):
    client.post("/login", data={"username": "alex", "password": "whatever it is", "csrf_token": "forged"})
    line = only(events(), "refused")
    assert 'status="400"' in line and 'reason="csrf"' in line and 'path="/login"' in line


@pytest.mark.ratelimit
def test_a_rate_limit_refusal_is_logged(client, events):
    for _ in range(7):
        client.post("/login", data={"username": "alex", "password": "whatever it is"})
    line = only(events(), "refused")
    assert 'status="429"' in line and 'reason="rate limit"' in line and 'endpoint="auth.login"' in line
    assert len([line for line in events() if " login_failed " in line]) == 6


def test_a_hostile_path_in_a_refusal_is_escaped(app, events):
    with app.test_request_context("/admin/settings%0d%0a2026-01-01T00:00:00.000Z%20login"):
        security_log.refused(403, "permission")
    line = only(events(), "refused")
    assert 'path="/admin/settings\\r\\n2026-01-01T00:00:00.000Z login"' in line


def test_moderator_actions_are_logged_once_committed_without_reason_or_body(
        client, auth, moderator, member, events):
    question = make_question(member, body="A very private story about my week.")
    auth.login(moderator)
    response = client.post(f"/posts/{question.id}/hide", data={"reason": "Secret moderator note"})
    assert response.status_code in (302, 303)
    line = only(events(), "moderation")
    assert 'action="hide"' in line and f'actor_id="{moderator.id}"' in line
    assert f'post_id="{question.id}"' in line
    assert "Secret moderator note" not in line and "private story" not in line


def test_an_audit_entry_rolled_back_is_not_logged(app, moderator, events):
    from forum.services import audit

    audit.record(moderator, "settings", setting="site_name", old="a", new="b")
    db.session.flush()
    db.session.rollback()
    assert [line for line in events() if " moderation " in line] == []
    audit.record(moderator, "settings", setting="site_name", old="a", new="b")
    db.session.commit()
    assert 'action="settings"' in only(events(), "moderation")


def test_the_log_goes_to_the_file_named_by_forum_security_log(database_url, tmp_path, member):
    path = tmp_path / "security.log"
    other = build_app(database_url, tmp_path / "instance", FORUM_SECURITY_LOG=str(path))
    try:
        client = other.test_client()
        client.post("/login", data={"username": "nobody\nforged", "password": "some wrong words"})
        written = path.read_text().splitlines()
        assert len(written) == 1 and " login_failed " in written[0]
        assert 'username="nobody\\nforged"' in written[0]
    finally:
        security_log.init_app(build_app(database_url, tmp_path / "reset"))  # back to caplog


def test_the_default_destination_outside_tests_is_stderr(database_url, tmp_path, monkeypatch):
    monkeypatch.delenv("FORUM_SECURITY_LOG", raising=False)
    try:
        build_app(database_url, tmp_path / "instance", TESTING=False)
        handlers = [h for h in security_log.log.handlers if getattr(h, "_forum_security_handler", False)]
        assert len(handlers) == 1 and isinstance(handlers[0], logging.StreamHandler)
        assert not isinstance(handlers[0], logging.FileHandler)
        assert handlers[0].stream.name == "<stderr>" or handlers[0].stream is __import__("sys").stderr
    finally:
        security_log.init_app(build_app(database_url, tmp_path / "reset"))


def test_the_login_after_confirming_an_address_is_logged(client, make_user, caplog):
    user = make_user("confirmer")
    user.email_verified_at = None
    db.session.commit()
    token = account_emails.verification_token(user, user.email)
    with caplog.at_level(logging.INFO, logger="forum.security"):
        assert client.post(f"/verify/{token}").status_code == 302
    lines = [r.getMessage() for r in caplog.records]
    assert any(re.search(r"\blogin\b", line) and "confirmer" in line for line in lines), lines
