"""Limits on every write: each POST route has a Flask-Limiter rule, stricter for guests and
new members; new members' links and repeated texts are refused; over a limit the form's
text is kept."""
from datetime import timedelta
from html import unescape

import pytest
from flask import Flask
from flask_limiter.util import get_qualified_name
from flask_login import login_user
from sqlalchemy import func, select

from forum.extensions import db, limiter
from forum.models import Answer, Post, Question, utcnow
from forum.permissions import is_new_member
from forum.services import settings
from tests.factories import make_question

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

#: Write routes deliberately without a limit, each with its reason. Empty: the one-click
#: unsubscribe (RFC 8058), the only candidate, has a generous limit of its own because
#: mail providers post it from shared servers, and needs no exemption.
EXEMPT: dict[str, str] = {}


def route_limits(app, endpoint):
    """The Flask-Limiter rules on an endpoint: its decorators' and its blueprint's."""
    view = app.view_functions[endpoint]
    limits = list(limiter.limit_manager.decorated_limits(get_qualified_name(view)))
    blueprint = endpoint.rpartition(".")[0]
    if blueprint:
        limits += limiter.limit_manager.blueprint_limits(app, blueprint)
    return limits


def write_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.methods & WRITE_METHODS]


def test_every_write_route_has_a_rate_limit(app):
    missing = []
    with app.test_request_context("/"):
        for rule in write_rules(app):
            if rule.endpoint in EXEMPT:
                continue
            if not route_limits(app, rule.endpoint):
                missing.append(f"{sorted(rule.methods & WRITE_METHODS)} {rule.rule} ({rule.endpoint}, "
                               f"{app.view_functions[rule.endpoint].__module__})")
    assert not missing, (
        "These write routes have no Flask-Limiter rule; add @limiter.limit(...) or a rule from "
        "forum/views/limits.py (staff_limit, account_limit, by_trust) to each:\n  " + "\n  ".join(missing))


def test_exemptions_name_existing_write_routes_and_a_reason(app):
    endpoints = {rule.endpoint for rule in write_rules(app)}
    for endpoint, reason in EXEMPT.items():
        assert endpoint in endpoints, f"exemption for {endpoint}, which is no write route"
        assert len(reason) > 20, f"exemption for {endpoint} needs a reason"


def test_the_walk_really_sees_limits_and_misses_an_unlimited_route(app):
    """The check above can fail: it reads the real rules and finds an unlimited route."""
    with app.test_request_context("/"):
        login = [str(limit.limit) for limit in route_limits(app, "auth.login")]
        assert "6 per 1 minute" in login and "30 per 1 hour" in login
    bare = Flask("bare")
    limiter.init_app(bare)
    bare.add_url_rule("/open", "open", lambda: "", methods=["POST"])
    with bare.test_request_context("/"):
        assert route_limits(bare, "open") == []


def allowance(app, endpoint, user=None):
    """The hourly allowances of an endpoint for a guest (user None) or a member."""
    with app.test_request_context("/"):
        if user is not None:
            login_user(user)
        return sorted(limit.limit.amount for limit in route_limits(app, endpoint)
                      if limit.limit.get_expiry() == 3600)


def established(make_user, name="olive"):
    user = make_user(name, points=5_000)
    user.created_at = utcnow() - timedelta(days=400)
    db.session.commit()
    return user


@pytest.mark.parametrize("endpoint", ["questions.create", "answers.create", "answers.comment"])
def test_posting_allowances_are_stricter_for_guests_and_new_members(app, make_user, member, endpoint):
    guest, new, old = (allowance(app, endpoint), allowance(app, endpoint, member),
                       allowance(app, endpoint, established(make_user)))
    assert guest and new and old
    assert min(guest) < min(new) < min(old), (guest, new, old)


def test_who_counts_as_a_new_member(app, make_user, member, moderator):
    assert is_new_member(member)  # a fresh account with the starting points
    assert not is_new_member(established(make_user))
    assert not is_new_member(moderator)  # any level above basic
    young_but_busy = make_user("busy", points=5_000)
    assert is_new_member(young_but_busy)  # the account is younger than new_member_days
    settings.update_settings(None, {"new_member_days": 0})
    db.session.commit()
    assert not is_new_member(young_but_busy)


# --- Over a limit: 429, a human message, the typed text kept ------------------------------------

@pytest.mark.ratelimit
def test_a_form_post_over_its_limit_keeps_the_typed_text(app, client):
    for number in range(3):  # a guest may ask 3 questions an hour
        response = client.post("/ask", data={
            "title": f"Question number {number} about sleep?", "body": f"Details {number}.",
            "reviewed": "1", "submission_token": f"token-{number}-0123456789abcdef"})
        assert response.status_code == 303
    typed = {"title": "Why do I wake at 4 & can't sleep?", "body": "It started in May.\nEvery night <b>since</b>.",
             "guest_name": "Sam", "reviewed": "1", "submission_token": "token-x-0123456789abcdef"}
    response = client.post("/ask", data=typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 429
    assert "Slow down a little" in html and "nothing you typed is lost" in unescape(html)
    assert int(response.headers["Retry-After"]) > 0
    assert 'value="Why do I wake at 4 &amp; can&#39;t sleep?"' in html
    assert ">\nIt started in May.\nEvery night &lt;b&gt;since&lt;/b&gt;.</textarea>" in html
    assert 'name="guest_name" value="Sam"' in html
    assert '<form method="post" action="/ask"' in html
    assert db.session.scalar(select(func.count()).select_from(Question)) == 3


@pytest.mark.ratelimit
def test_passwords_are_never_echoed_on_the_429_page(app, client):
    statuses = [client.post("/login", data={"username": "nobody", "password": "my secret words"}).status_code
                for _ in range(7)]
    assert statuses[-1] == 429
    html = client.post("/login", data={"username": "nobody", "password": "my secret words"}).get_data(as_text=True)
    assert 'value="nobody"' in html and "my secret words" not in html


@pytest.mark.ratelimit
def test_an_established_member_keeps_posting_where_a_guest_is_stopped(app, client, auth, make_user):
    auth.login(established(make_user))
    for number in range(4):
        response = client.post("/ask", data={
            "title": f"Question number {number} about rest?", "body": f"Body {number}.", "reviewed": "1",
            "submission_token": f"member-{number}-0123456789abcdef"})
        assert response.status_code == 303, number


# --- New members: at most N links --------------------------------------------------------------

THREE_LINKS = ("See https://one.example/a, [two](https://two.example/b) and "
               "![a picture](https://three.example/c.png) for more.")
TWO_LINKS = "See https://one.example/a and [two](https://two.example/b)."


def answer(client, question, body, token):
    return client.post(f"/questions/{question.id}/answers", data={"body": body, "submission_token": token})


def test_a_new_members_answer_with_too_many_links_is_refused_with_the_text_kept(client, auth, member):
    question = make_question(None)
    auth.login(member)
    response = answer(client, question, THREE_LINKS, "links-3-0123456789abcdef")
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "This has 3 links; posts by new members may hold at most 2" in html
    assert THREE_LINKS in html
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 0
    assert answer(client, question, TWO_LINKS, "links-2-0123456789abcdef").status_code == 303


def test_guests_are_held_to_the_link_limit_and_established_members_are_not(client, auth, make_user):
    question = make_question(None)
    response = answer(client, question, THREE_LINKS, "guest-3-0123456789abcdef")
    assert response.status_code == 400
    assert "posts by guests may hold at most 2" in unescape(response.get_data(as_text=True))
    auth.login(established(make_user))
    assert answer(client, question, THREE_LINKS, "olive-3-0123456789abcdef").status_code == 303


def test_the_link_limit_is_an_admin_setting_and_covers_questions_and_comments(client, auth, member):
    question = make_question(None)
    auth.login(member)
    response = client.post(f"/posts/{question.id}/comments",
                           data={"body": THREE_LINKS, "submission_token": "c-0123456789abcdef"})
    assert response.status_code == 400 and "at most 2" in unescape(response.get_data(as_text=True))
    response = client.post("/ask", data={"title": "Where can I read about sleep?", "body": THREE_LINKS,
                                         "reviewed": "1", "submission_token": "q-0123456789abcdef"})
    assert response.status_code == 400 and "at most 2" in unescape(response.get_data(as_text=True))
    settings.update_settings(None, {"new_member_max_links": 3})
    db.session.commit()
    response = client.post(f"/posts/{question.id}/comments",
                           data={"body": THREE_LINKS, "submission_token": "c2-0123456789abcdef"})
    assert response.status_code == 303


# --- The same text twice within five minutes --------------------------------------------------

def test_the_same_text_again_within_five_minutes_is_refused(client, auth, member):
    first, second = make_question(None), make_question(None, title="How do I stop worrying at night?")
    auth.login(member)
    body = "Keep a notebook by the bed and write the worry down."
    assert answer(client, first, body, "rep-1-0123456789abcdef").status_code == 303
    response = answer(client, second, body, "rep-2-0123456789abcdef")
    html = unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "You posted this same text a moment ago" in html and body in html
    # A double click (the same one-time token) still leads to the first answer, not an error.
    assert answer(client, first, body, "rep-1-0123456789abcdef").status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Answer)) == 1
    # Six minutes later it is a new post.
    db.session.execute(Post.__table__.update().values(created_at=utcnow() - timedelta(minutes=6)))
    db.session.commit()
    assert answer(client, second, body, "rep-3-0123456789abcdef").status_code == 303


def test_a_guest_repeating_from_the_same_address_is_refused_but_another_member_is_not(
        client, auth, make_user):
    question = make_question(None)
    body = "Try breathing slowly, four counts in and six out."
    assert answer(client, question, body, "g-1-0123456789abcdef").status_code == 303
    assert answer(client, question, body, "g-2-0123456789abcdef").status_code == 400
    auth.login(make_user("another"))
    assert answer(client, question, body, "g-3-0123456789abcdef").status_code == 303


def test_imports_and_factories_skip_the_posting_rules(app, member):
    """Without a sender's address (imports, the demo, tests) history is written as it was."""
    question = make_question(member, body=THREE_LINKS)
    make_question(member, body=THREE_LINKS)
    assert is_new_member(member)  # over the link limit and repeated, yet written
    assert question.id and db.session.scalar(select(func.count()).select_from(Question)) == 2
