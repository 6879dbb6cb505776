"""Verified professionals: applying, the moderators' review, the badge and its limits."""
import re
from datetime import timedelta

import pytest
from markupsafe import escape
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from forum.extensions import db
from forum.models import Credential, ModerationAction, Notification
from forum.services import answers, comments, credentials, questions, settings
from tests.factories import make_answer, make_category, make_comment, make_question
from tests.fixtures.users import PASSWORD
from tests.test_thread_queries import BUDGET

NUMBER, BODY, URL = "GMC-7741203", "General Medical Council", "https://www.gmc-uk.org/registrants/7741203"
APPLICATION = {"kind": "psychiatrist", "registration_number": NUMBER, "issuing_body": BODY,
               "jurisdiction": "UK", "register_url": URL}
BADGE = "Verified psychiatrist, UK"
NOTE = "not a substitute for individual care"


def login(app, user):
    client = app.test_client()
    if user is not None:
        assert client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def html(response):
    return response.get_data(as_text=True)


def verified(member, moderator, kind="psychiatrist", jurisdiction="UK", days=365):
    credential = credentials.apply(member, kind, NUMBER, BODY, jurisdiction, URL)
    credentials.verify(moderator, credential, credentials.today() + timedelta(days=days))
    db.session.commit()
    return credential


def fresh(credential):
    return db.session.get(Credential, credential.id)


def audit_rows(action):
    return list(db.session.scalars(select(ModerationAction).where(ModerationAction.action == action)))


def expire(credential, on):
    db.session.execute(update(Credential).where(Credential.id == credential.id).values(expires_on=on))
    db.session.commit()
    credentials.forget_cached()


# --- Applying ---------------------------------------------------------------------------

def test_a_member_applies_and_sees_the_application_waiting(app, member):
    client = login(app, member)
    assert "Send for checking" in html(client.get("/account/credentials"))
    response = client.post("/account/credentials", data=APPLICATION)
    assert response.status_code == 303
    credential = db.session.scalar(select(Credential).where(Credential.user_id == member.id))
    assert (credential.kind, credential.registration_number, credential.issuing_body, credential.jurisdiction,
            credential.register_url, credential.state) == ("psychiatrist", NUMBER, BODY, "UK", URL, "pending")
    page = html(client.get("/account/credentials"))
    assert "Waiting for a moderator" in page and NUMBER in page and BODY in page
    assert f'href="{URL}" rel="noopener noreferrer nofollow"' in page
    assert "Send for checking" not in page  # one application at a time
    assert "Withdraw this application" in page


@pytest.mark.parametrize("field, value, message", [
    ("kind", "astrologer", "Choose your profession from the list."),
    ("kind", "", "Choose your profession from the list."),
    ("registration_number", "", "Enter the registration number."),
    ("registration_number", "x" * 41, "under 41 characters"),
    ("issuing_body", "", "Enter the issuing body."),
    ("issuing_body", "G\u200bMC", "invisible characters"),
    ("jurisdiction", "", "Enter the country or region."),
    ("jurisdiction", "UK 2", "Use letters only"),
    ("jurisdiction", "<b>UK</b>", "Use letters only"),
    ("jurisdiction", "U" * 41, "under 41 characters"),
    ("register_url", "javascript:alert(1)", "starting with https://"),
    ("register_url", "ftp://register.example.org/x", "starting with https://"),
    ("register_url", "https://", "starting with https://"),
    ("register_url", "https://user:pw@register.example.org/", "without a user name or password"),
    ("register_url", "https://register.example.org/a b", "no spaces"),
])
def test_bad_input_is_refused_next_to_the_field_keeping_what_was_typed(app, member, field, value, message):
    client = login(app, member)
    data = dict(APPLICATION, **{field: value})
    response = client.post("/account/credentials", data=data)
    assert response.status_code == 400
    page = html(response)
    error = re.search(rf'id="{field}-error">([^<]*)<', page)
    assert error and message in error.group(1).replace("&#34;", '"'), page[:3000]
    assert 'value="GMC-7741203"' in page or field == "registration_number"
    if value and field != "kind":
        assert f'value="{escape(value)}"' in page  # what was typed stays in the field
    assert db.session.scalar(select(func.count(Credential.id))) == 0


def test_a_second_application_waits_for_the_first(app, member):
    client = login(app, member)
    assert client.post("/account/credentials", data=APPLICATION).status_code == 303
    response = client.post("/account/credentials", data=dict(APPLICATION, kind="counsellor"))
    assert response.status_code == 400 and "already have an application waiting" in html(response)
    assert db.session.scalar(select(func.count(Credential.id))) == 1


def test_the_database_holds_one_pending_application_per_member_even_in_a_race(app, member):
    credentials.apply(member, "counsellor", NUMBER, BODY, "UK")
    db.session.commit()
    db.session.add(Credential(user_id=member.id, kind="counsellor", registration_number="2",
                              issuing_body=BODY, jurisdiction="UK", state="pending"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_member_withdraws_and_may_apply_again(app, member):
    client = login(app, member)
    client.post("/account/credentials", data=APPLICATION)
    credential = db.session.scalar(select(Credential))
    assert client.post(f"/account/credentials/{credential.id}/withdraw").status_code == 303
    assert fresh(credential).state == "withdrawn"
    assert "Withdrawn by you" in html(client.get("/account/credentials"))
    # A second click on a stale page changes nothing and says why.
    again = client.post(f"/account/credentials/{credential.id}/withdraw", follow_redirects=True)
    assert "no longer waiting" in html(again)
    assert client.post("/account/credentials", data=APPLICATION).status_code == 303


def test_another_member_can_neither_see_nor_withdraw_an_application(app, member, make_user):
    credential = credentials.apply(member, "psychiatrist", NUMBER, BODY, "UK", URL)
    db.session.commit()
    other = login(app, make_user("nosy"))
    assert other.post(f"/account/credentials/{credential.id}/withdraw").status_code == 403
    assert other.get(f"/moderation/credentials/{credential.id}").status_code == 403
    assert other.get("/moderation/credentials").status_code == 403
    assert NUMBER not in html(other.get("/account/credentials"))
    assert fresh(credential).state == "pending"


def test_a_blocked_member_may_not_apply(app, member, moderator):
    from forum.services import sanctions

    sanctions.block_member(moderator, member, "day", "spam")
    db.session.commit()
    client = login(app, member)
    assert "blocked from writing" in html(client.get("/account/credentials"))
    assert client.post("/account/credentials", data=APPLICATION).status_code == 403
    assert db.session.scalar(select(func.count(Credential.id))) == 0


@pytest.mark.ratelimit
def test_applications_are_rate_limited(app, member):
    client = login(app, member)
    statuses = [client.post("/account/credentials", data=dict(APPLICATION, kind="")).status_code
                for _ in range(6)]
    assert statuses == [400] * 5 + [429]


# --- The moderators' review -------------------------------------------------------------------

def test_the_queue_is_linked_from_moderation_and_shows_the_data_and_register(app, member, moderator):
    credential = credentials.apply(member, "psychiatrist", NUMBER, BODY, "UK", URL)
    db.session.commit()
    client = login(app, moderator)
    assert 'href="/moderation/credentials"' in html(client.get("/moderation/queue"))
    queue = html(client.get("/moderation/credentials"))
    assert f'href="/moderation/credentials/{credential.id}"' in queue and "alex: Psychiatrist, UK" in queue
    page = html(client.get(f"/moderation/credentials/{credential.id}"))
    assert NUMBER in page and BODY in page
    assert f'<a href="{URL}" rel="noopener noreferrer nofollow">' in page
    assert "Verify" in page and "Reject" in page


@pytest.mark.parametrize("days", [0, -1, -400])
def test_an_expiry_today_or_in_the_past_is_refused_with_a_field_message(app, member, moderator, days):
    credential = credentials.apply(member, "psychiatrist", NUMBER, BODY, "UK")
    db.session.commit()
    client = login(app, moderator)
    typed = (credentials.today() + timedelta(days=days)).isoformat()
    response = client.post(f"/moderation/credentials/{credential.id}/verify", data={"expires_on": typed})
    assert response.status_code == 400
    page = html(response)
    assert re.search(r'id="expires_on-error">The expiry date must be after today', page)
    assert f'value="{typed}"' in page
    assert fresh(credential).state == "pending" and audit_rows("verify-credential") == []


@pytest.mark.parametrize("typed", ["", "tomorrow", "2027-02-30", "27-01-01", "9999-01-01"])
def test_a_malformed_or_distant_expiry_is_refused(app, member, moderator, typed):
    credential = credentials.apply(member, "psychiatrist", NUMBER, BODY, "UK")
    db.session.commit()
    response = login(app, moderator).post(f"/moderation/credentials/{credential.id}/verify",
                                          data={"expires_on": typed})
    assert response.status_code == 400 and 'id="expires_on-error"' in html(response)
    assert fresh(credential).state == "pending"


def test_verifying_records_the_dates_and_the_moderator_and_is_audited(app, member, moderator):
    credential = credentials.apply(member, "psychiatrist", NUMBER, BODY, "UK")
    db.session.commit()
    expires = credentials.today() + timedelta(days=200)
    response = login(app, moderator).post(f"/moderation/credentials/{credential.id}/verify",
                                          data={"expires_on": expires.isoformat()})
    assert response.status_code == 303
    credential = fresh(credential)
    assert (credential.state, credential.verified_on, credential.expires_on, credential.reviewer_id) == (
        "verified", credentials.today(), expires, moderator.id)
    [entry] = audit_rows("verify-credential")
    assert (entry.actor_id, entry.user_id) == (moderator.id, member.id)
    assert NUMBER not in entry.details  # the audit log keeps no private registration data
    notice = db.session.scalar(select(Notification).where(Notification.user_id == member.id))
    assert BADGE in notice.text
    page = html(login(app, member).get("/account/credentials"))
    assert f"valid until {expires.isoformat()}" in page and BADGE in page


def test_rejecting_needs_a_reason_the_member_then_sees(app, member, moderator):
    credential = credentials.apply(member, "psychiatrist", NUMBER, BODY, "UK")
    db.session.commit()
    client = login(app, moderator)
    response = client.post(f"/moderation/credentials/{credential.id}/reject", data={"reason": "  "})
    assert response.status_code == 400 and "Give a reason; the member will see it." in html(response)
    assert fresh(credential).state == "pending"
    reason = "The register lists this number under another name."
    assert client.post(f"/moderation/credentials/{credential.id}/reject", data={"reason": reason}).status_code == 303
    assert fresh(credential).state == "rejected"
    [entry] = audit_rows("reject-credential")
    assert (entry.actor_id, entry.user_id, entry.reason) == (moderator.id, member.id, reason)
    assert reason in html(login(app, member).get("/account/credentials"))
    # Decided already: a second decision is refused and changes nothing.
    late = client.post(f"/moderation/credentials/{credential.id}/verify",
                       data={"expires_on": (credentials.today() + timedelta(days=9)).isoformat()},
                       follow_redirects=True)
    assert "rejected now" in html(late) and fresh(credential).state == "rejected"


def test_revoking_removes_the_badge_at_once_and_is_audited(app, member, moderator):
    credential = verified(member, moderator)
    make_question(member)
    assert BADGE in html(app.test_client().get("/"))
    client = login(app, moderator)
    assert client.post(f"/moderation/credentials/{credential.id}/revoke", data={"reason": ""}).status_code == 400
    assert fresh(credential).state == "verified"
    reason = "Struck off the register."
    assert client.post(f"/moderation/credentials/{credential.id}/revoke", data={"reason": reason}).status_code == 303
    assert fresh(credential).state == "revoked" and fresh(credential).revoked_by_id == moderator.id
    [entry] = audit_rows("revoke-credential")
    assert (entry.actor_id, entry.user_id, entry.reason) == (moderator.id, member.id, reason)
    assert BADGE not in html(app.test_client().get("/"))
    assert reason in html(login(app, member).get("/account/credentials"))


def test_a_moderator_cannot_decide_on_their_own_credential(app, moderator):
    credential = credentials.apply(moderator, "psychiatrist", NUMBER, BODY, "UK")
    db.session.commit()
    client = login(app, moderator)
    assert "another moderator must decide" in html(client.get(f"/moderation/credentials/{credential.id}"))
    response = client.post(f"/moderation/credentials/{credential.id}/verify",
                           data={"expires_on": (credentials.today() + timedelta(days=9)).isoformat()})
    assert response.status_code == 403 and fresh(credential).state == "pending"


# --- The badge and the note -------------------------------------------------------------------

def test_the_badge_shows_beside_every_author_line_and_the_profile(app, member, moderator, make_user):
    verified(member, moderator)
    asker = make_user("asker")
    question = make_question(member, title="How do I help a friend who has stopped eating?")
    other = make_question(asker, title="Is it normal to dread Sundays every single week?")
    make_answer(other, member, body="Yes, many people do.")
    make_comment(other, member, body="A small routine on Sunday evening helps.")
    for client in (app.test_client(), login(app, make_user("reader"))):
        page = html(client.get(f"/questions/{other.id}/x", follow_redirects=True))
        lines = re.findall(r'<a class="author" href="/users/alex">alex</a>\s*<span class="points">[^<]*</span>'
                           r'\s*<span class="badge verified"[^>]*>([^<]*)</span>', page)
        assert lines == [BADGE, BADGE]  # the answer and the comment
        assert page.count(NOTE) == 1  # the answer only
        assert page.count("badge verified") == 2  # not on the asker's line
        own = html(client.get(f"/questions/{question.id}/x", follow_redirects=True))
        assert own.count(BADGE) == 1 and NOTE not in own  # a question carries no note
        assert BADGE in html(client.get("/users/alex"))
        assert BADGE in html(client.get("/"))


def test_the_badge_counts_until_its_expiry_day_then_lapses_by_itself(app, member, moderator, make_user):
    credential = verified(member, moderator)
    question = make_question(make_user("asker"))
    make_answer(question, member)
    url = f"/questions/{question.id}/how-can-i-sleep-better-at-night"
    expire(credential, credentials.today())
    page = html(app.test_client().get(url))
    assert BADGE in page and NOTE in page  # the last day still counts
    expire(credential, credentials.today() - timedelta(days=1))
    page = html(app.test_client().get(url))
    assert BADGE not in page and NOTE not in page
    assert BADGE not in html(app.test_client().get("/users/alex"))
    mine = html(login(app, member).get("/account/credentials"))
    assert re.search(r'class="credential-state">expired<', mine) and "Apply again" in mine
    # The member may apply to renew it.
    assert "Send for checking" in mine


def test_neither_badge_nor_note_on_anonymous_posts(app, member, moderator, make_user):
    verified(member, moderator)
    asker = make_user("asker")
    question = questions.ask_question(member, "Can grief come back years later?", "It has.", anonymous=True)
    other = make_question(asker, title="What helps with panic on trains?")
    answers.post_answer(other, member, "Slow breathing, counting to four.", anonymous=True)
    comments.post_comment(question, member, "Adding: it comes in waves.", anonymous=True)
    db.session.commit()
    for client in (app.test_client(), login(app, make_user("reader")), login(app, moderator)):
        for page in (html(client.get(f"/questions/{question.id}/x", follow_redirects=True)),
                     html(client.get(f"/questions/{other.id}/x", follow_redirects=True)),
                     html(client.get("/"))):
            assert "Verified" not in page and NOTE not in page and "badge verified" not in page
            assert ">alex<" not in page
    # The same member's named answer on that page does carry it: the anonymity is per post.
    named = make_answer(other, member, body="And a named answer.")
    page = html(app.test_client().get(f"/questions/{other.id}/x", follow_redirects=True))
    assert page.count(BADGE) == 1 and page.count(NOTE) == 1
    assert page.index(BADGE) > page.index(f'id="a{named.id}"')


def test_private_fields_never_reach_public_pages(app, member, moderator, make_user):
    verified(member, moderator)
    question = make_question(member, title="When should I see a psychiatrist about low mood?")
    answer = make_answer(question, member, body="When it lasts more than two weeks.")
    urls = ["/", "/users/alex", "/users", f"/questions/{question.id}/x", f"/answers/{answer.id}",
            "/feeds/questions.atom", f"/feeds/questions/{question.id}.atom", "/search?q=psychiatrist",
            "/sitemap.xml", f"/posts/{answer.id}/revisions"]
    for client in (app.test_client(), login(app, make_user("reader"))):
        for url in urls:
            response = client.get(url, follow_redirects=True)
            assert response.status_code == 200, url
            page = html(response)
            for secret in (NUMBER, BODY, URL, "gmc-uk.org"):
                assert secret not in page, (url, secret)
    assert BADGE in html(app.test_client().get(f"/questions/{question.id}/x", follow_redirects=True))


def test_the_question_page_costs_the_same_queries_with_many_verified_authors(app, make_user, moderator,
                                                                             count_queries):
    settings.update_settings(None, {"answers_per_page": 100})
    db.session.commit()
    category = make_category("Psychiatrists")
    reader = make_user("reader")
    counts = {}
    for size in (2, 30):
        question = make_question(make_user(), category=category, title=f"A thread with {size} answers?")
        for i in range(size):
            author = make_user()
            verified(author, moderator, kind="counsellor", jurisdiction="Ireland")
            answer = make_answer(question, author, body=f"Answer {i}")
            commenter = make_user()
            verified(commenter, moderator, kind="counsellor", jurisdiction="Ireland")
            make_comment(answer, commenter, body=f"Comment {i}")
        client = login(app, reader)
        url = f"/questions/{question.id}/a-thread-with-{size}-answers"
        client.get(url)
        with count_queries() as counter:
            page = html(client.get(url))
        assert page.count("Verified counsellor, Ireland") == 2 * size and page.count(NOTE) == size
        counts[size] = counter.count
    assert counts[2] == counts[30] <= BUDGET, counts


def _token(page):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


@pytest.mark.csrf
def test_a_forged_token_saves_nothing_and_keeps_what_was_typed(app, member):
    client = app.test_client()
    token = _token(html(client.get("/login")))
    assert client.post("/login", data={"username": "alex", "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302
    response = client.post("/account/credentials", data=dict(APPLICATION, csrf_token="forged"))
    page = html(response)
    assert response.status_code == 400 and "Your session had expired" in page
    assert f'value="{NUMBER}"' in page and f'value="{BODY}"' in page
    assert db.session.scalar(select(func.count(Credential.id))) == 0
    good = client.post("/account/credentials", data=dict(APPLICATION, csrf_token=_token(page)))
    assert good.status_code == 303 and db.session.scalar(select(func.count(Credential.id))) == 1
