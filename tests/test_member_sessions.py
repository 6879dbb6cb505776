"""Members' sessions: listed on the account page, ended one by one or all but this one,
ended by logging out, and refused (remember cookie too) once ended."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import MemberSession, utcnow
from forum.services import member_sessions
from tests.fixtures.users import PASSWORD

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
PHONE = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/126.0 Mobile Safari/537.36")


def device(app, user, agent=FIREFOX, remember=False):
    """A new browser logged in as ``user`` through the login form."""
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = agent
    data = {"username": user.username, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    assert client.post("/login", data=data).status_code == 302
    return client


def logged_in(client):
    """Whether the client is a member now (the account page answers instead of sending to login)."""
    return client.get("/account").status_code == 200


def records(user):
    return db.session.scalars(select(MemberSession).where(MemberSession.user_id == user.id)
                              .order_by(MemberSession.id)).all()


def test_logging_in_opens_a_record_with_the_browser_but_no_address(app, member):
    device(app, member)
    (record,) = records(member)
    assert record.ended_at is None and record.user_agent == FIREFOX
    assert record.epoch == member.session_epoch
    assert not any("127.0.0.1" in str(getattr(record, column.key) or "")
                   for column in MemberSession.__table__.columns)


def test_the_account_page_lists_open_sessions_and_marks_this_device(app, member):
    laptop = device(app, member)
    device(app, member, agent=PHONE)
    html = laptop.get("/account").get_data(as_text=True)
    assert "Firefox on Linux" in html and "Chrome on Android" in html
    assert html.count("This device") == 1
    assert html.index("This device") > html.index("Firefox on Linux")
    assert "End all other sessions" in html
    assert "127.0.0.1" not in html


def test_ending_another_session_logs_that_device_out_on_its_next_request(app, member):
    laptop, phone = device(app, member), device(app, member, agent=PHONE)
    phone_record = records(member)[1]
    response = laptop.post(f"/account/sessions/{phone_record.id}/end")
    assert response.status_code == 303
    assert not logged_in(phone)
    assert logged_in(laptop)
    db.session.refresh(phone_record)
    assert phone_record.ended_at is not None
    assert "Chrome on Android" not in laptop.get("/account").get_data(as_text=True)


def test_ending_this_devices_session_logs_out_here(app, member):
    laptop = device(app, member)
    (record,) = records(member)
    response = laptop.post(f"/account/sessions/{record.id}/end")
    assert response.status_code == 303 and response.headers["Location"].endswith("/login")
    assert not logged_in(laptop)


def test_ending_all_other_sessions_keeps_this_one(app, member):
    laptop, phone, tablet = device(app, member), device(app, member, PHONE), device(app, member)
    assert laptop.post("/account/sessions/end-others").status_code == 303
    assert not logged_in(phone) and not logged_in(tablet)
    assert logged_in(laptop)
    assert [r.ended_at is None for r in records(member)] == [True, False, False]


def test_someone_elses_session_cannot_be_ended(app, member, make_user):
    other = make_user("sam")
    theirs = device(app, other)
    mine = device(app, member)
    their_record = records(other)[0]
    assert mine.post(f"/account/sessions/{their_record.id}/end").status_code == 404
    assert mine.post("/account/sessions/end-others").status_code == 303
    assert logged_in(theirs)
    db.session.refresh(their_record)
    assert their_record.ended_at is None


@pytest.mark.parametrize("session_id", ["0", "99999999999999999999", "abc"])
def test_a_nonsense_session_id_is_a_404(app, member, session_id):
    assert device(app, member).post(f"/account/sessions/{session_id}/end").status_code == 404


def test_logging_out_ends_its_record_only(app, member):
    laptop, phone = device(app, member), device(app, member, PHONE)
    phone.post("/logout")
    laptop_record, phone_record = records(member)
    assert phone_record.ended_at is not None and laptop_record.ended_at is None
    assert logged_in(laptop)


def test_log_out_everywhere_ends_every_record(app, member):
    laptop, phone = device(app, member), device(app, member, PHONE)
    laptop.post("/account/logout-everywhere")
    assert all(r.ended_at is not None for r in records(member))
    assert not logged_in(phone) and not logged_in(laptop)


def remember_cookie(client):
    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    return cookie.value


def browser_with_only(app, remember):
    """A browser restarted: its session cookie is gone, the remember cookie stays."""
    client = app.test_client()
    client.set_cookie("remember_token", remember)
    return client


def test_the_remember_cookie_of_an_ended_session_is_refused(app, member):
    laptop = device(app, member)
    phone = device(app, member, PHONE, remember=True)
    remember = remember_cookie(phone)
    assert logged_in(browser_with_only(app, remember))  # the cookie works while the session is open
    laptop.post(f"/account/sessions/{records(member)[1].id}/end")
    assert not logged_in(browser_with_only(app, remember))


def test_a_session_id_without_a_record_is_refused(app, member):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = member.get_id()  # the form used before session records
        session["_fresh"] = True
    assert not logged_in(client)
    with client.session_transaction() as session:
        session["_user_id"] = f"{member.get_id()}.made-up-key"
    assert not logged_in(client)


def test_last_active_is_written_at_most_every_few_minutes(app, member):
    laptop = device(app, member)
    (record,) = records(member)
    first_seen = record.last_seen_at
    laptop.get("/")
    db.session.refresh(record)
    assert record.last_seen_at == first_seen  # fresh: nothing written
    stale = utcnow() - member_sessions.SEEN_EVERY - timedelta(minutes=1)
    record.last_seen_at = stale
    db.session.commit()
    laptop.get("/")
    db.session.refresh(record)
    assert record.last_seen_at > stale + member_sessions.SEEN_EVERY


def test_changing_the_password_keeps_this_device_and_ends_the_others(app, member):
    laptop, phone = device(app, member), device(app, member, PHONE)
    new = "a different long passphrase"
    response = laptop.post("/account/password", data={"current_password": PASSWORD,
                                                      "new_password": new, "confirm": new})
    assert response.status_code == 302
    assert logged_in(laptop) and not logged_in(phone)
    assert [r.ended_at is None for r in records(member)] == [False, False, True]


@pytest.mark.parametrize("agent, expected", [
    (FIREFOX, "Firefox on Linux"), (PHONE, "Chrome on Android"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 "
     "Mobile/15E148 Safari/604.1", "Safari on iOS"),
    ("", "An unknown browser or app"),
])
def test_browsers_are_described_in_plain_words(agent, expected):
    assert member_sessions.describe(agent) == expected


def test_the_daily_prune_forgets_records_that_can_never_be_used_again(app, member, make_user):
    from forum.services import jobs

    other = make_user("otherdevice")
    now = utcnow()
    kept = member_sessions.start_session(member, "kept")
    ended_lately = member_sessions.start_session(member, "ended lately")
    ended_long_ago = member_sessions.start_session(member, "ended long ago")
    idle = member_sessions.start_session(member, "idle")
    member_sessions.start_session(other, "before log out everywhere")
    ended_lately.ended_at = now - timedelta(days=2)
    ended_long_ago.ended_at = now - timedelta(days=31)
    idle.last_seen_at = now - timedelta(days=366)
    other.session_epoch = (other.session_epoch or 0) + 1
    db.session.commit()
    jobs.prune_member_sessions()
    db.session.commit()
    left = set(db.session.scalars(select(MemberSession.user_agent)))
    assert left == {"kept", "ended lately"} and kept.id is not None
    from forum.services.worker import JOBS

    jobs.register()
    assert JOBS["prune-member-sessions"] == (24 * 3600, jobs.prune_member_sessions)
