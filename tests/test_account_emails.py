"""Account emails through a real SMTP server: confirming an address, resets, changes of address."""
import re
import time
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import itsdangerous.timed
import pytest
from sqlalchemy import func, select, update

from forum.extensions import db
from forum.models import OutboxMessage, User, utcnow
from forum.services import account_emails, accounts, worker
from tests.fixtures.users import PASSWORD

GOOD = "a long enough passphrase"
NEW = "another long passphrase"


def register(client, **overrides):
    data = {"username": "newbie", "email": "newbie@example.org", "password": GOOD,
            "confirm": GOOD, "consent": "y"}
    data.update(overrides)
    return client.post("/register", data=data)


def deliver():
    """Commit what the test wrote and let the worker send everything due."""
    db.session.commit()
    worker.run_once("test-worker")


def link(message, path):
    """The path of the first link in ``message`` whose path starts with ``path``."""
    for url in re.findall(r"https?://\S+", message.get_content()):
        if urlsplit(url).path.startswith(path):
            return urlsplit(url).path
    raise AssertionError(f"no {path} link in:\n{message.get_content()}")


def only(messages):
    assert len(messages) == 1, [m["Subject"] for m in messages]
    return messages[0]


def html(response):
    return response.get_data(as_text=True)


def logged_in(client):
    return "Log out" in html(client.get("/"))


def account_mail_count(address):
    return db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.to_address == address, OutboxMessage.category == "account"))


# --- Confirming the address at registration ------------------------------------------

def test_registration_emails_a_link_that_confirms_the_address_and_logs_in(app, client, mailbox):
    response = register(client)
    assert response.status_code == 302 and response.headers["Location"] == "/check-email"
    assert not logged_in(client)
    page = client.get("/check-email")
    assert "Check your email" in html(page) and "newbie@example.org" in html(page)
    assert page.headers["Cache-Control"] == "no-store"

    deliver()
    message = only(mailbox.to("newbie@example.org"))
    assert message["To"] == "newbie@example.org"
    assert message["Subject"] == "[Forum] Confirm your email address"
    assert message["Message-ID"].endswith("@forum.invalid>")
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None
    assert "newbie" in message.get_content()
    path = link(message, "/verify/")

    # Opening the link (as a mail scanner might) shows a button and changes nothing.
    page = client.get(path)
    assert page.status_code == 200 and "Confirm my address" in html(page)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert accounts.get_user_by_name("newbie").email_verified_at is None

    response = client.post(path)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert accounts.get_user_by_name("newbie").email_verified_at is not None
    assert logged_in(client)

    # The link logs in once: afterwards it only says the address is confirmed.
    other = app.test_client()
    assert "already confirmed" in html(other.get(path))
    response = other.post(path)
    assert response.headers["Location"] == "/login"
    assert not logged_in(other)


def test_an_unconfirmed_member_cannot_log_in_and_can_have_the_link_sent_again(client, mailbox):
    register(client)
    response = client.post("/login", data={"username": "newbie", "password": GOOD})
    page = html(response)
    assert response.status_code == 403 and not logged_in(client)
    assert "isn't confirmed yet" in page and "Send the link again" in page

    # A wrong password says nothing about the state of the account.
    response = client.post("/login", data={"username": "newbie", "password": "wrong password!"})
    assert response.status_code == 400 and "Wrong username or password." in html(response)
    assert "confirmed" not in html(response)

    response = client.post("/verify/resend", data={"email": "newbie@example.org"})
    assert response.status_code == 302 and response.headers["Location"] == "/check-email"
    deliver()
    first, second = mailbox.to("newbie@example.org")
    assert first["Subject"] == second["Subject"] == "[Forum] Confirm your email address"
    client.post(link(second, "/verify/"))
    assert logged_in(client)


def test_resending_answers_the_same_whoever_the_address_belongs_to(client, member, mailbox):
    register(client)
    answers = []
    for address in ("newbie@example.org", member.email, "nobody@example.org"):
        response = client.post("/verify/resend", data={"email": address})
        page = client.get("/check-email")
        answers.append((response.status_code, response.headers["Location"],
                        html(page).replace(address, "ADDRESS")))
    assert answers[0] == answers[1] == answers[2]
    deliver()
    # Only the unconfirmed account gets a new link; the others get nothing.
    assert len(mailbox.to("newbie@example.org")) == 2
    assert mailbox.to(member.email) == [] and mailbox.to("nobody@example.org") == []


def test_account_emails_to_one_address_are_limited_per_hour(client, mailbox):
    register(client)
    for _ in range(8):
        assert client.post("/verify/resend", data={"email": "newbie@example.org"}).status_code == 302
    assert account_mail_count("newbie@example.org") == account_emails.PER_ADDRESS_PER_HOUR
    # An hour later links can be sent again.
    db.session.execute(update(OutboxMessage).values(created_at=utcnow() - timedelta(hours=1, seconds=1)))
    db.session.commit()
    client.post("/verify/resend", data={"email": "newbie@example.org"})
    assert account_mail_count("newbie@example.org") == account_emails.PER_ADDRESS_PER_HOUR + 1


@pytest.mark.ratelimit
def test_resend_requests_are_rate_limited_per_address(app, client):
    statuses = [client.post("/verify/resend", data={"email": "x@example.org"}).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]


def test_a_tampered_or_expired_verification_link_shows_a_clear_page(client, mailbox, monkeypatch):
    register(client)
    deliver()
    path = link(only(mailbox.messages), "/verify/")
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    for response in (client.get(tampered), client.post(tampered)):
        assert response.status_code == 400 and "not valid" in html(response)
    assert accounts.get_user_by_name("newbie").email_verified_at is None

    monkeypatch.setattr(account_emails, "VERIFY_MAX_AGE", timedelta(seconds=-1))
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 410 and "expired" in html(response)
        assert "Send a new link" in html(response)
    assert accounts.get_user_by_name("newbie").email_verified_at is None


# --- Registering with an address that already has an account --------------------------

def _csrf(page):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def _register_as_a_browser(client, username, address):
    """GET the form, POST it with its token, follow to the next page; return both answers."""
    token = _csrf(html(client.get("/register")))
    posted = register(client, username=username, email=address, csrf_token=token)
    page = client.get(posted.headers["Location"])
    return posted, page


def _comparable(response):
    headers = sorted((k, v) for k, v in response.headers.items() if k.lower() != "set-cookie")
    body = re.sub(r'(name="csrf_token" type="hidden" value=")[^"]+"', r'\1"', html(response))
    return response.status_code, headers, body


@pytest.mark.csrf
@pytest.mark.parametrize("owner_confirmed", [True, False])
def test_registering_with_a_taken_address_looks_exactly_like_a_new_registration(
        app, mailbox, owner_confirmed):
    address = "shared@example.org"
    fresh = _register_as_a_browser(app.test_client(), "firstcomer", address)
    owner = accounts.get_user_by_name("firstcomer")
    if owner_confirmed:
        owner.email_verified_at = owner.created_at
    deliver()
    mailbox.clear()

    taken = _register_as_a_browser(app.test_client(), "secondcomer", address)
    assert _comparable(taken[0]) == _comparable(fresh[0])
    assert _comparable(taken[1]) == _comparable(fresh[1])
    assert taken[1].status_code == 200 and "Check your email" in html(taken[1])
    assert any(k.lower() == "set-cookie" for k in taken[0].headers.keys()) == any(
        k.lower() == "set-cookie" for k in fresh[0].headers.keys())
    assert accounts.get_user_by_name("secondcomer") is None
    assert db.session.scalar(select(func.count(User.id))) == 1

    deliver()
    warning = only(mailbox.to(address))
    assert warning["Subject"] == "[Forum] Someone tried to use your email address"
    assert warning["List-Unsubscribe"] is None
    body = warning.get_content()
    assert "firstcomer" in body and "secondcomer" not in body
    if owner_confirmed:
        assert link(warning, "/password/forgot")
    else:
        # Perhaps the owner lost the first link: this one confirms their account.
        client = app.test_client()
        path = link(warning, "/verify/")
        client.post(path, data={"csrf_token": _csrf(html(client.get(path)))})
        assert accounts.get_user_by_name("firstcomer").email_verified_at is not None


def test_the_address_owner_is_not_flooded_by_repeated_attempts(client, member, mailbox):
    for i in range(8):
        register(client, username=f"attempt{i}", email=member.email)
    deliver()
    assert len(mailbox.to(member.email)) == account_emails.PER_ADDRESS_PER_HOUR


# --- Forgotten passwords ------------------------------------------------------------------

def test_forgot_password_answers_the_same_for_any_address(client, member, mailbox):
    answers = []
    for address in (member.email, "nobody@example.org"):
        response = client.post("/password/forgot", data={"email": address})
        page = client.get(response.headers["Location"])
        answers.append((response.status_code, response.headers["Location"], page.status_code,
                        html(page).replace(address, "ADDRESS")))
    assert answers[0] == answers[1]
    assert answers[0][:3] == (302, "/check-email", 200)
    deliver()
    assert mailbox.to("nobody@example.org") == []
    message = only(mailbox.to(member.email))
    assert message["Subject"] == "[Forum] Reset your password"
    assert message["List-Unsubscribe"] is None
    assert "2 hours" in message.get_content()


def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(app, member, mailbox):
    elsewhere = app.test_client()
    elsewhere.post("/login", data={"username": "alex", "password": PASSWORD, "remember": "y"})
    assert logged_in(elsewhere)
    client = app.test_client()
    client.post("/password/forgot", data={"email": member.email})
    deliver()
    path = link(only(mailbox.to(member.email)), "/password/reset/")

    page = client.get(path)
    assert page.status_code == 200 and "Set my new password" in html(page)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    response = client.post(path, data={"new_password": NEW, "confirm": NEW})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert accounts.authenticate("alex", NEW) is not None
    assert accounts.authenticate("alex", PASSWORD) is None
    assert not logged_in(elsewhere)

    # The same link again: a clear page offering a new one, and nothing changes.
    for response in (client.get(path), client.post(path, data={"new_password": GOOD, "confirm": GOOD})):
        assert response.status_code == 410 and "already been used" in html(response)
        assert "/password/forgot" in html(response)
    assert accounts.authenticate("alex", NEW) is not None


def test_a_weak_new_password_is_refused_next_to_the_field_and_the_link_still_works(client, member, mailbox):
    client.post("/password/forgot", data={"email": member.email})
    deliver()
    path = link(only(mailbox.messages), "/password/reset/")
    response = client.post(path, data={"new_password": "short", "confirm": "short"})
    assert response.status_code == 400 and 'id="new_password-error"' in html(response)
    assert accounts.authenticate("alex", PASSWORD) is not None
    assert client.post(path, data={"new_password": NEW, "confirm": NEW}).status_code == 302


def test_a_tampered_reset_link_changes_nothing(client, member, mailbox):
    client.post("/password/forgot", data={"email": member.email})
    deliver()
    path = link(only(mailbox.messages), "/password/reset/")
    head, _, signature = path.rpartition(".")
    tampered = f"{head}.{signature[::-1]}"
    for response in (client.get(tampered), client.post(tampered, data={"new_password": NEW, "confirm": NEW})):
        assert response.status_code == 400 and "not valid" in html(response)
    assert accounts.authenticate("alex", PASSWORD) is not None


def test_an_expired_reset_link_offers_a_new_one(client, member, monkeypatch):
    three_hours_ago = int(time.time()) - 3 * 3600
    with monkeypatch.context() as patch:
        patch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: three_hours_ago)
        token = account_emails.reset_token(member)
    for response in (client.get(f"/password/reset/{token}"),
                     client.post(f"/password/reset/{token}", data={"new_password": NEW, "confirm": NEW})):
        assert response.status_code == 410 and "expired" in html(response)
        assert "Ask for a new link" in html(response)
    assert accounts.authenticate("alex", PASSWORD) is not None


def test_a_reset_link_dies_when_the_password_changes_another_way(client, auth, member):
    token = account_emails.reset_token(member)
    auth.login(member)
    client.post("/account/password", data={"current_password": PASSWORD, "new_password": NEW, "confirm": NEW})
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 410 and "already been used" in html(response)


def test_two_requests_racing_with_one_reset_link_change_the_password_once(member, monkeypatch):
    payload = account_emails.read_reset_token(account_emails.reset_token(member))
    # What the second request loaded before the first one committed its change:
    stale = SimpleNamespace(id=member.id, username=member.username,
                            password_hash=member.password_hash, session_epoch=member.session_epoch)
    accounts.reset_password(payload, NEW)
    db.session.commit()
    monkeypatch.setattr(accounts, "get_reset_user", lambda payload: stale)
    with pytest.raises(account_emails.UsedLink):
        accounts.reset_password(payload, GOOD)
    db.session.rollback()
    assert accounts.authenticate("alex", NEW) is not None


def test_a_reset_confirms_an_unconfirmed_address(client, mailbox):
    register(client)
    client.post("/password/forgot", data={"email": "newbie@example.org"})
    deliver()
    reset = next(m for m in mailbox.messages if "Reset" in m["Subject"])
    client.post(link(reset, "/password/reset/"), data={"new_password": NEW, "confirm": NEW})
    assert client.post("/login", data={"username": "newbie", "password": NEW}).status_code == 302


# --- Changing the address -------------------------------------------------------------------

def test_changing_the_address_needs_the_password_and_waits_for_the_new_address(app, client, auth, member, mailbox):
    auth.login(member)
    response = client.post("/account/email", data={"change-email-email": "alex.new@example.org",
                                                   "change-email-current_password": "not my password"})
    assert response.status_code == 400
    assert 'id="change-email-current_password-error"' in html(response)
    assert 'value="alex.new@example.org"' in html(response)

    response = client.post("/account/email", data={"change-email-email": "alex.new@example.org",
                                                   "change-email-current_password": PASSWORD})
    assert response.status_code == 302
    assert db.session.get(User, member.id).email == "alex@example.org"
    deliver()
    assert mailbox.to("alex@example.org") == []
    message = only(mailbox.to("alex.new@example.org"))
    assert message["Subject"] == "[Forum] Confirm your new email address"
    assert message["List-Unsubscribe"] is None
    path = link(message, "/verify/")

    assert "alex.new@example.org" in html(client.get(path))
    assert db.session.get(User, member.id).email == "alex@example.org"
    response = client.post(path)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    user = db.session.get(User, member.id)
    assert user.email == "alex.new@example.org" and user.email_canonical == "alex.new@example.org"
    assert user.email_verified_at is not None

    deliver()
    told = only(mailbox.to("alex@example.org"))
    assert told["Subject"] == "[Forum] Your email address was changed"
    assert "a***@example.org" in told.get_content() and "alex.new@" not in told.get_content()
    # The link has done its work.
    assert client.get(path).status_code == 410


def test_changing_to_a_taken_address_tells_its_owner_and_changes_nothing(client, auth, member, make_user, mailbox):
    other = make_user("other")
    auth.login(member)
    response = client.post("/account/email", data={"change-email-email": other.email,
                                                   "change-email-current_password": PASSWORD},
                           follow_redirects=True)
    assert f"We&#39;ve sent a link to {other.email}" in html(response)
    deliver()
    warning = only(mailbox.to(other.email))
    assert warning["Subject"] == "[Forum] Someone tried to use your email address"
    assert "alex" not in warning.get_content()
    assert db.session.get(User, member.id).email == "alex@example.org"


def test_a_change_link_for_an_address_taken_meanwhile_changes_nothing(client, auth, member, make_user, mailbox):
    auth.login(member)
    client.post("/account/email", data={"change-email-email": "wanted@example.org",
                                        "change-email-current_password": PASSWORD})
    deliver()
    path = link(only(mailbox.to("wanted@example.org")), "/verify/")
    make_user("quick", email="wanted@example.org")
    response = client.post(path)
    assert response.status_code == 409 and "Another account uses this address" in html(response)
    assert db.session.get(User, member.id).email == "alex@example.org"


# --- Accounts made outside the web ------------------------------------------------------------

def test_create_admin_makes_a_confirmed_account(runner, client):
    result = runner.invoke(args=["forum", "create-admin", "root2", "--email", "root@example.org",
                                 "--password", GOOD])
    assert result.exit_code == 0, result.output
    assert accounts.get_user_by_name("root2").email_verified_at is not None
    assert client.post("/login", data={"username": "root2", "password": GOOD}).status_code == 302
    taken = runner.invoke(args=["forum", "create-admin", "root3", "--email", "ROOT@example.org",
                                "--password", GOOD])
    assert taken.exit_code == 1 and "another account uses this address" in taken.output


def test_seeded_demo_members_have_no_address(app, runner):
    app.config["FORUM_SHARED_DIR"] = "/nonexistent"
    assert runner.invoke(args=["forum", "seed-demo"]).exit_code == 0
    assert db.session.scalar(select(func.count(User.id))) > 0
    assert db.session.scalar(select(func.count(User.id)).where(User.email.is_not(None))) == 0
