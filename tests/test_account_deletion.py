"""Deleting one's account: hidden at once, sessions ended, restored by logging in in time."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Notification, OutboxMessage, Post, Revision, User, utcnow
from forum.services import answers, comments, deletion, editing, points, search, selection, votes
from forum.services import settings as settings_service
from tests.factories import make_answer, make_question
from tests.fixtures.users import PASSWORD


def _delete(client, auth, user, mode="anonymise", password=PASSWORD):
    auth.login(user)
    return client.post("/account/delete", data={"mode": mode, "password": password})


def test_the_page_explains_the_consequences_and_asks_for_the_password(client, auth, member):
    auth.login(member)
    html = client.get("/account/delete").get_data(as_text=True)
    assert "21 days" in html and "deleted member" in html
    assert 'name="password"' in html and 'value="anonymise"' in html and 'value="remove"' in html
    assert '<label for="password">' in html


def test_wrong_password_is_a_field_error_and_changes_nothing(client, auth, member):
    response = _delete(client, auth, member, password="not my password at all")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "That is not your password" in html
    assert '<input checked id="mode-0" name="mode" required type="radio" value="anonymise">' in html
    db.session.refresh(member)
    assert member.deleted_at is None
    assert client.get("/account").status_code == 200  # still logged in


def test_a_missing_choice_is_a_field_error(client, auth, member):
    auth.login(member)
    response = client.post("/account/delete", data={"password": PASSWORD})
    assert response.status_code == 400
    assert "Choose what happens to your posts." in response.get_data(as_text=True)
    db.session.refresh(member)
    assert member.deleted_at is None


def test_only_the_logged_in_member_can_be_deleted(client, auth, member, make_user):
    other = make_user("sam")
    auth.login(member)
    response = client.post("/account/delete", data={"mode": "remove", "password": PASSWORD,
                                                    "user_id": str(other.id), "username": "sam"})
    assert response.status_code == 303
    db.session.refresh(other)
    db.session.refresh(member)
    assert other.deleted_at is None and member.deleted_at is not None


def test_guests_are_sent_to_log_in(client):
    response = client.post("/account/delete", data={"mode": "remove", "password": PASSWORD})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_deleting_hides_the_account_and_ends_every_session(app, client, auth, member, make_user):
    other_device = app.test_client()
    other_device.post("/login", data={"username": member.username, "password": PASSWORD})
    assert other_device.get("/account").status_code == 200
    question = make_question(member, title="How do I keep a routine going?")
    response = _delete(client, auth, member)
    assert response.status_code == 303
    assert client.get("/account").status_code == 302
    assert other_device.get("/account").status_code == 302
    assert client.get(f"/users/{member.username}").status_code == 404
    assert member.username not in client.get("/users").get_data(as_text=True)
    page = client.get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
    assert "deleted member" in page
    assert f"/users/{member.username}" not in page
    assert all(user.id != member.id for user, _ in points.top_members())


def test_a_deleted_member_hears_nothing(client, auth, member, make_user):
    question = make_question(member, title="Is it normal to feel this tired?")
    _delete(client, auth, member)
    helper = make_user("helper")
    make_answer(question, helper, body="It is common. @alex take care.")
    db.session.refresh(member)
    assert db.session.scalar(select(Notification.id).where(Notification.user_id == member.id)) is None
    assert db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.to_address == member.email)) is None


def test_pending_emails_are_dropped_on_deletion(client, auth, member, make_user):
    question = make_question(member, title="Why do I wake up at four every night?")
    make_answer(question, make_user("helper"), body="Try to keep the room dark.")
    assert db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == member.email)).sent_at is None
    _delete(client, auth, member)
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == member.email))
    assert message.sent_at is not None and message.skipped


def _searchable(word):
    return [hit.question.id for hit in search.search(word).hits]


def test_removing_posts_erases_texts_and_revisions_and_the_index(client, auth, member, make_user):
    other = make_user("sam")
    question = make_question(member, title="Panic attacks on the underground", body="Every morning xylophonic dread.")
    editing.edit_post(member, question, body="Every morning xylophonic dread, worse on Mondays.")
    answer = make_answer(make_question(other, title="Sleeping after night shifts"), member,
                         body="Blackout curtains quixotically helped me.")
    comment = comments.post_comment(question, member, "Thank you all, zanzibarian thanks.")
    db.session.commit()
    assert _searchable("xylophonic") == [question.id]
    _delete(client, auth, member, mode="remove")
    for post in (question, answer, comment):
        db.session.refresh(post)
        assert post.body == deletion.REMOVED_TEXT
        assert deletion.REMOVED_TEXT in post.body_html
    assert question.title == deletion.REMOVED_TEXT
    texts = db.session.scalars(select(Revision.body).where(Revision.post_id.in_([question.id, answer.id]))).all()
    assert texts and set(texts) == {deletion.REMOVED_TEXT}
    assert _searchable("xylophonic") == [] and _searchable("quixotically") == []
    page = client.get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
    assert "xylophonic" not in page and "[removed by its author]" in page
    history = client.get(f"/posts/{question.id}/revisions").get_data(as_text=True)
    assert "xylophonic" not in history


def test_logging_in_during_the_grace_period_restores_everything(client, auth, member, make_user):
    question = make_question(member, title="Panic attacks on the underground", body="Every morning xylophonic dread.")
    _delete(client, auth, member, mode="remove")
    response = client.post("/login", data={"username": member.username, "password": PASSWORD},
                           follow_redirects=True)
    assert "your account is restored" in response.get_data(as_text=True)
    db.session.refresh(member)
    db.session.refresh(question)
    assert member.deleted_at is None and member.deletion_mode is None
    assert question.title == "Panic attacks on the underground"
    assert "xylophonic" in question.body_html
    assert db.session.scalar(select(Revision.body).where(Revision.post_id == question.id)) == \
        "Every morning xylophonic dread."
    assert _searchable("xylophonic") == [question.id]
    assert client.get(f"/users/{member.username}").status_code == 200
    assert client.get("/account").status_code == 200


def test_a_wrong_password_does_not_restore(client, auth, member):
    _delete(client, auth, member)
    response = client.post("/login", data={"username": member.username, "password": "wrong password here"})
    assert response.status_code == 400
    db.session.refresh(member)
    assert member.deleted_at is not None


def test_after_the_grace_period_logging_in_is_refused(client, auth, member):
    _delete(client, auth, member)
    db.session.refresh(member)
    member.deleted_at = utcnow() - timedelta(days=22)
    db.session.commit()
    response = client.post("/login", data={"username": member.username, "password": PASSWORD})
    assert response.status_code == 400
    db.session.refresh(member)
    assert member.deleted_at is not None


def test_the_grace_period_is_an_admin_setting(client, auth, member, admin):
    settings_service.update_settings(admin, {"account_deletion_grace_days": 3})
    db.session.commit()
    _delete(client, auth, member)
    db.session.refresh(member)
    member.deleted_at = utcnow() - timedelta(days=4)
    db.session.commit()
    assert [user.id for user in deletion.due_for_purge()] == [member.id]
    assert client.post("/login", data={"username": member.username, "password": PASSWORD}).status_code == 400


@pytest.mark.parametrize("mode", ["anonymise", "remove"])
def test_deleting_changes_nobody_elses_points(client, auth, make_user, mode):
    leaver, asker, helper, voter = (make_user(n, points=None) for n in ("leaver", "asker", "helper", "voter"))
    question = make_question(asker, title="How do I talk to my GP about this?")
    own_answer = make_answer(question, leaver, body="Write it down before you go.")
    other_answer = make_answer(question, helper, body="Bring someone with you.")
    leaver_question = make_question(leaver, title="What helps with intrusive thoughts?")
    helper_answer = make_answer(leaver_question, helper, body="Noticing them without arguing.")
    votes.cast_vote(voter, own_answer, 1)
    votes.cast_vote(leaver, other_answer, 1)
    votes.cast_vote(leaver, question, -1)
    selection.select_answer(question, own_answer)
    selection.select_answer(leaver_question, helper_answer)
    db.session.commit()
    before = {u.username: u.points for u in db.session.scalars(select(User)) if u.id != leaver.id}
    _delete(client, auth, leaver, mode=mode)
    db.session.expire_all()
    after = {u.username: u.points for u in db.session.scalars(select(User)) if u.id != leaver.id}
    assert after == before
    assert points.find_mismatches() == []
    assert db.session.get(Post, question.id).accepted_answer_id == own_answer.id


def test_anonymous_posts_keep_their_alias(client, auth, member, make_user):
    question = make_question(make_user("sam"), title="Is it okay to feel nothing at a funeral?")
    answers.post_answer(question, member, "It happened to me too.", anonymous=True)
    db.session.commit()
    _delete(client, auth, member)
    page = client.get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
    assert "Anonymous 1" in page and member.username not in page


@pytest.mark.csrf
def test_a_deletion_without_csrf_token_changes_nothing(client, member):
    from tests.test_data_export import login_with_token

    login_with_token(client, member)
    response = client.post("/account/delete", data={"mode": "remove", "password": PASSWORD})
    assert response.status_code == 400
    assert "Your session had expired" in response.get_data(as_text=True)
    db.session.refresh(member)
    assert member.deleted_at is None


def test_delete_and_come_back_in_a_browser_without_javascript(live_server, page_without_js, member):
    from playwright.sync_api import expect

    page = page_without_js
    page.goto(live_server.url + "/login")
    page.get_by_label("Username").fill(member.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Account").click()
    page.get_by_role("link", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Delete my account")).to_be_visible()
    page.get_by_label("Remove their titles and texts").check()
    page.get_by_label("Your password").fill("not the right one at all")
    page.get_by_role("button", name="Delete my account").click()
    expect(page.locator("#password-error")).to_contain_text("That is not your password")
    expect(page.get_by_label("Remove their titles and texts")).to_be_checked()
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_text("Your account is deleted")).to_be_visible()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.goto(live_server.url + "/login")
    page.get_by_label("Username").fill(member.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("your account is restored")).to_be_visible()


def test_a_member_on_a_blocked_network_may_still_get_their_data_and_delete_their_account(
        client, auth, make_user, admin):
    from forum.services import sanctions

    leaver = make_user("blockedleaver")
    sanctions.block_network(admin, "127.0.0.0/8", "spam wave")
    db.session.commit()
    auth.login(leaver)
    assert client.post("/ask", data={"title": "Can I still post from here?"}).status_code == 403
    assert client.post("/account/data/export").status_code == 303
    response = client.post("/account/delete", data={"password": PASSWORD, "mode": "anonymise"})
    assert response.status_code == 303
