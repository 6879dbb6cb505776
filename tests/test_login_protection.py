"""Login protection: failed logins limited per address and per name, answers that never tell
whether an account exists, and a 429 that keeps the typed name but never the password."""
import itertools
import logging
import os
import re
import uuid

import pytest

from forum.extensions import db, limiter
from forum.services import account_emails, accounts
from tests.fixtures.users import PASSWORD

WRONG = "not the right password"
_addresses = (f"198.51.100.{n}" for n in itertools.count(1))


def attempt(client, username, password, ip=None):
    """Post the login form, from a new address unless ``ip`` is given (so only the per-name
    limit can answer)."""
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": ip or next(_addresses)})


def fail(client, username, times):
    return [attempt(client, username, WRONG).status_code for _ in range(times)]


def same_page(html, typed):
    """The page with the typed name and per-session tokens taken out, to compare two answers."""
    html = html.replace(f'value="{typed}"', 'value="TYPED"')
    return re.sub(r'name="csrf_token"[^>]*>', "", html)


# --- Per address ----------------------------------------------------------------------

@pytest.mark.ratelimit
def test_one_address_gets_six_tries_a_minute_whatever_the_names(client):
    statuses = [attempt(client, f"name{n}", WRONG, ip="203.0.113.7").status_code for n in range(7)]
    assert statuses == [400] * 6 + [429]
    # Another address is not affected.
    assert attempt(client, "name0", WRONG, ip="203.0.113.8").status_code == 400


@pytest.mark.ratelimit
def test_one_address_gets_thirty_tries_an_hour(client, app, monkeypatch):
    import time as real_time
    from types import SimpleNamespace

    import limits.storage.memory

    clock = [real_time.time()]
    # The store's clock only: each six tries fall in a new minute of the same hour.
    monkeypatch.setattr(limits.storage.memory, "time", SimpleNamespace(time=lambda: clock[0]))
    statuses = []
    for n in range(31):
        if n and n % 6 == 0:
            clock[0] += 61  # a new minute, the same hour
        statuses.append(attempt(client, f"name{n}", WRONG, ip="203.0.113.9").status_code)
    assert statuses == [400] * 30 + [429]


@pytest.mark.ratelimit
def test_over_the_address_limit_the_typed_name_is_kept_and_the_password_is_not(client):
    for _ in range(6):
        attempt(client, "alex", "hunter2 typed secret", ip="203.0.113.10")
    response = attempt(client, "alex", "hunter2 typed secret", ip="203.0.113.10")
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Slow down" in html and 'value="alex"' in html
    assert "hunter2" not in html


# --- Per name -------------------------------------------------------------------------

@pytest.mark.ratelimit
def test_ten_failures_for_one_name_lock_it_even_from_new_addresses(client, member):
    assert fail(client, "alex", 10) == [400] * 10
    response = attempt(client, "alex", PASSWORD)  # the right password, from a fresh address
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "too many failed attempts" in html and 'value="alex"' in html
    assert PASSWORD not in html
    assert 50 * 60 <= int(response.headers["Retry-After"]) <= 60 * 60
    assert "Log in" in client.get("/").get_data(as_text=True)  # still a guest


@pytest.mark.ratelimit
def test_the_lock_is_on_the_canonical_name(client, member):
    fail(client, "alex", 5)
    fail(client, "ALEX", 5)
    assert attempt(client, "Alex", PASSWORD).status_code == 429


@pytest.mark.ratelimit
def test_other_names_are_not_locked_by_one_names_failures(client, member, make_user):
    other = make_user("sam")
    fail(client, "alex", 10)
    assert attempt(client, other.username, PASSWORD).status_code == 302


@pytest.mark.ratelimit
def test_only_failures_count_towards_the_lock(app, member):
    for _ in range(12):
        assert attempt(app.test_client(), "alex", PASSWORD).status_code == 302
    client = app.test_client()
    assert fail(client, "alex", 10) == [400] * 10
    assert attempt(client, "alex", WRONG).status_code == 429


@pytest.mark.ratelimit
def test_a_password_reset_by_email_lifts_the_lock(client, member):
    fail(client, "alex", 10)
    assert attempt(client, "alex", PASSWORD).status_code == 429
    token = account_emails.reset_token(member)
    new = "a brand new passphrase here"
    response = client.post(f"/password/reset/{token}", data={"new_password": new, "confirm": new},
                           environ_base={"REMOTE_ADDR": next(_addresses)})
    assert response.status_code == 302
    assert attempt(client, "alex", new).status_code == 302


@pytest.mark.ratelimit
def test_the_store_never_holds_the_typed_name(client, app):
    fail(client, "someone@example.org", 2)
    keys = " ".join(str(key) for key in limiter.storage.storage)
    assert "login-failures" in keys
    assert "someone" not in keys and "example.org" not in keys


@pytest.mark.ratelimit
def test_a_configured_allowance_replaces_the_default(app, member):
    app.config["LOGIN_FAILURES_PER_ACCOUNT"] = "3 per hour"
    client = app.test_client()
    assert fail(client, "alex", 4) == [400, 400, 400, 429]


def test_with_limits_off_no_name_is_ever_locked(client, member):
    assert fail(client, "alex", 12) == [400] * 12
    assert attempt(client, "alex", PASSWORD).status_code == 302


# --- Answers that tell nothing ----------------------------------------------------------

@pytest.mark.parametrize("unknown", ["nobody", "nobody@example.org"])
def test_unknown_name_and_wrong_password_get_the_same_answer(app, member, unknown):
    wrong = attempt(app.test_client(), "alex", WRONG)
    missing = attempt(app.test_client(), unknown, WRONG)
    assert wrong.status_code == missing.status_code == 400
    assert same_page(wrong.get_data(as_text=True), "alex") == \
        same_page(missing.get_data(as_text=True), unknown)
    assert "Wrong username or password." in wrong.get_data(as_text=True)
    assert dict(wrong.headers).keys() == dict(missing.headers).keys()


@pytest.mark.ratelimit
def test_a_locked_name_answers_the_same_whether_or_not_it_has_an_account(app, member):
    fail(app.test_client(), "alex", 10)
    fail(app.test_client(), "nobody", 10)
    for password in (PASSWORD, WRONG):
        known = attempt(app.test_client(), "alex", password)
        unknown = attempt(app.test_client(), "nobody", password)
        assert known.status_code == unknown.status_code == 429
        assert same_page(known.get_data(as_text=True), "alex") == \
            same_page(unknown.get_data(as_text=True), "nobody")
        assert known.headers["Retry-After"] and unknown.headers["Retry-After"]


@pytest.fixture
def hash_checks(monkeypatch):
    """Count the password hashes checked while answering (the work that takes time)."""
    calls = []
    real = accounts.check_password_hash

    def counting(stored, password):
        calls.append(stored)
        return real(stored, password)

    monkeypatch.setattr(accounts, "check_password_hash", counting)
    return calls


@pytest.mark.ratelimit
@pytest.mark.parametrize("case", ["wrong password", "unknown name", "locked name", "locked unknown name"])
def test_every_refusal_checks_one_password_hash(app, member, hash_checks, case):
    name = "nobody" if "unknown" in case else "alex"
    if "locked" in case:
        fail(app.test_client(), name, 10)
    hash_checks.clear()
    response = attempt(app.test_client(), name, PASSWORD if "locked" in case else WRONG)
    assert response.status_code == (429 if "locked" in case else 400)
    assert len(hash_checks) == 1


@pytest.mark.ratelimit
def test_a_locked_login_is_in_the_security_log_without_the_password(client, member, caplog):
    caplog.set_level(logging.INFO, logger="forum.security")
    fail(client, "alex", 10)
    attempt(client, "alex", PASSWORD, ip="203.0.113.77")
    lines = [r.getMessage() for r in caplog.records if r.name == "forum.security"]
    locked = [line for line in lines if " login_locked " in line]
    assert len(locked) == 1
    assert 'username="alex"' in locked[0] and 'ip="203.0.113.77"' in locked[0]
    assert PASSWORD not in " ".join(lines) and WRONG not in " ".join(lines)
    assert sum(" login_failed " in line for line in lines) == 10


# --- Shared between app servers -----------------------------------------------------------

def test_failures_are_shared_through_redis_between_app_servers(database_url, tmp_path, app, member):
    url = os.environ.get("FORUM_TEST_REDIS_URL")
    if not url:
        if os.environ.get("FORUM_REQUIRE_SERVICES") == "1":
            pytest.fail("FORUM_TEST_REDIS_URL is required in CI")
        pytest.skip("set FORUM_TEST_REDIS_URL to test limits shared through Redis")
    from tests.fixtures.app import build_app

    settings = {"RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": url,
                "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"}
    first = build_app(database_url, tmp_path / "one", **settings)
    try:
        with first.app_context():
            assert fail(first.test_client(), "alex", 10) == [400] * 10
            db.session.remove()
        # A second server, with its own connection to the store, sees the same count.
        second = build_app(database_url, tmp_path / "two", **settings)
        with second.app_context():
            assert attempt(second.test_client(), "alex", PASSWORD).status_code == 429
            assert attempt(second.test_client(), "sam", WRONG).status_code == 400
            db.session.remove()
    finally:
        import redis

        store = redis.Redis.from_url(url)
        for key in store.scan_iter(f"*{settings['RATELIMIT_KEY_PREFIX']}*"):
            store.delete(key)
