"""Notifications: the inbox and bell, following, digests, @mentions, email choices and the outbox."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Follow, Notification, OutboxMessage, Post, utcnow
from forum.services import answers, approval, editing, jobs, questions, queue, settings, worker
from forum.services.posting import Guest
from tests.factories import make_answer, make_category, make_comment, make_question
from tests.fixtures.users import AuthActions

BADGE = re.compile(r'class="bell">Notifications <span class="count-badge">(\d+)<')


# --- Helpers ------------------------------------------------------------------------------

def logged_in(app, user):
    client = app.test_client()
    AuthActions(client).login(user)
    return client


def notes(user, kind=None):
    """The member's notifications, oldest first."""
    db.session.expire_all()
    query = select(Notification).where(Notification.user_id == user.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(db.session.scalars(query.order_by(Notification.id)))


def outbox(address):
    db.session.expire_all()
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.to_address == address).order_by(OutboxMessage.id)))


def follows(user, target_type=None):
    db.session.expire_all()
    query = select(Follow).where(Follow.user_id == user.id)
    if target_type:
        query = query.where(Follow.target_type == target_type)
    return list(db.session.scalars(query))


def badge(client):
    match = BADGE.search(client.get("/").get_data(as_text=True))
    return int(match.group(1)) if match else None


def hold_guest_posts():
    settings.update_settings(None, {"approve_guest_posts": True})
    db.session.commit()


def approval_item(post):
    return next(item for item in queue.open_items("approval") if item.post_id == post.id)


@pytest.fixture
def asker(make_user):
    return make_user("asha")


@pytest.fixture
def helper(make_user):
    return make_user("bram")


# --- The inbox and the bell -----------------------------------------------------------------

def test_an_answer_notifies_the_asker_unread_with_an_email(asker, helper):
    question = make_question(asker)
    make_answer(question, helper)
    [note] = notes(asker)
    assert (note.kind, note.read_at) == ("answer", None)
    assert note.text == "bram answered “How can I sleep better at night?”"
    [email] = outbox(asker.email)
    assert email.notification_id == note.id and email.unsubscribe_url
    assert email.subject == "[Forum] bram answered “How can I sleep better at night?”"
    assert notes(helper) == []


def test_nobody_is_told_of_their_own_posts(asker):
    question = make_question(asker)
    make_answer(question, asker, body="Answering myself: earplugs worked.")
    make_comment(question, asker, body="Adding a detail to my own question.")
    assert notes(asker) == [] and outbox(asker.email) == []


def test_the_answer_notification_leads_to_the_answer(app, asker, helper):
    question = make_question(asker)
    answer = make_answer(question, helper)
    [note] = notes(asker)
    assert f"/answers/{answer.id}" in outbox(asker.email)[0].body
    response = logged_in(app, asker).get(f"/notifications/{note.id}")
    assert response.headers["Location"].endswith(f"#a{answer.id}")


def test_the_bell_counts_unread_and_the_inbox_lists_them(app, asker, helper):
    question = make_question(asker)
    make_answer(question, helper)
    make_comment(question, helper, body="Could you say more about your evenings?")
    client = logged_in(app, asker)
    assert badge(client) == 2
    page = client.get("/notifications")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    html = page.get_data(as_text=True)
    assert "bram answered “How can I sleep better at night?”" in html
    assert "bram commented on your post" in html
    assert html.count(">Mark read</button>") == 2
    assert "Mark all read" in html


def test_mark_one_read_then_all_read(app, asker, helper, make_user):
    question = make_question(asker)
    make_answer(question, helper)
    make_answer(question, make_user("cleo"))
    first, second = notes(asker)
    client = logged_in(app, asker)
    response = client.post("/notifications/read", data={"id": str(first.id)})
    assert response.status_code == 303 and response.headers["Location"].endswith("/notifications")
    first_now, second_now = notes(asker)
    assert first_now.read_at is not None and second_now.read_at is None
    assert badge(client) == 1
    client.post("/notifications/read", data={})
    assert all(n.read_at is not None for n in notes(asker))
    assert badge(client) is None
    assert 'class="count-badge"' not in client.get("/notifications").get_data(as_text=True)
    assert ">Mark read</button>" not in client.get("/notifications").get_data(as_text=True)


def test_nobody_marks_or_opens_someone_elses_notifications(app, asker, helper, make_user):
    question = make_question(asker)
    make_answer(question, helper)
    [note] = notes(asker)
    other = logged_in(app, make_user("nosy"))
    other.post("/notifications/read", data={"id": str(note.id)})
    other.post("/notifications/read", data={})
    assert notes(asker)[0].read_at is None
    assert other.get(f"/notifications/{note.id}").status_code == 404
    own = logged_in(app, asker)
    response = own.get(f"/notifications/{note.id}")
    assert response.status_code == 303 and f"/questions/{question.id}/" in response.headers["Location"]
    assert notes(asker)[0].read_at is None  # a GET never writes


def test_bad_ids_and_guests(client, app, asker):
    assert client.get("/notifications").status_code == 302
    assert client.post("/notifications/read", data={}).status_code == 302
    member = logged_in(app, asker)
    assert member.post("/notifications/read", data={"id": "abc"}).status_code == 400


def csrf_token(client, path):
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"',
                     client.get(path).get_data(as_text=True)).group(1)


@pytest.mark.csrf
def test_mark_read_needs_the_csrf_token(app, asker, helper):
    from tests.fixtures.users import PASSWORD

    make_answer(make_question(asker), helper)
    client = app.test_client()
    response = client.post("/login", data={"username": asker.username, "password": PASSWORD,
                                           "csrf_token": csrf_token(client, "/login")})
    assert response.status_code == 302
    assert client.post("/notifications/read", data={}).status_code == 400
    assert notes(asker)[0].read_at is None
    token = csrf_token(client, "/notifications")
    assert client.post("/notifications/read", data={"csrf_token": token}).status_code == 303
    assert notes(asker)[0].read_at is not None


# --- Following questions ----------------------------------------------------------------------

def test_asker_and_answerers_follow_the_question(asker, helper, make_user):
    question = make_question(asker)
    make_answer(question, helper)
    assert [f.target_id for f in follows(asker, "question")] == [question.id]
    assert [f.target_id for f in follows(helper, "question")] == [question.id]
    make_answer(question, helper, body="And a second thought.")
    assert len(follows(helper, "question")) == 1


def test_a_new_answer_notifies_followers_once_each(asker, helper, make_user):
    question = make_question(asker)
    make_answer(question, helper)
    third = make_user("cleo")
    answer = make_answer(question, third, body="Keep the phone out of the bedroom.")
    assert [(n.kind, n.post_id) for n in notes(helper)] == [("followed-answer", answer.id)]
    assert [n.kind for n in notes(asker)] == ["answer", "answer"]  # not a second, "followed" one
    assert notes(third) == []
    assert outbox(helper.email)[0].subject.endswith("A new answer to “How can I sleep better at night?”")


def test_follow_and_unfollow_a_question_by_id(app, asker, helper, make_user):
    question = make_question(asker)
    reader = make_user("dana")
    client = logged_in(app, reader)
    response = client.post(f"/follow/question/{question.id}", data={})
    assert response.status_code == 303 and response.headers["Location"].endswith("/updates")
    make_answer(question, helper)
    assert [n.kind for n in notes(reader)] == ["followed-answer"]
    client.post(f"/follow/question/{question.id}", data={"action": "unfollow"})
    make_answer(question, make_user("cleo"))
    assert len(notes(reader)) == 1


# --- Following categories, tags and members -------------------------------------------------

@pytest.fixture
def places(make_user):
    author = make_user("writer")
    return {"category": make_category("Feelings"), "author": author}


def older_question(places):
    """Asked before anyone follows anything: it creates the tag and tells nobody."""
    return make_question(places["author"], title="An older question to create the tag",
                         category=places["category"], tags="sleep")


def target_path(target_type, places):
    return {
        "category": f"/follow/category/{places['category'].id}",
        "tag": "/follow/tag/sleep",
        "user": "/follow/user/writer",
    }[target_type]


def new_question_there(places, title="Is it normal to sleep ten hours?"):
    return make_question(places["author"], title=title, category=places["category"], tags="sleep")


@pytest.mark.parametrize("target_type", ["category", "tag", "user"])
def test_follow_notifies_instantly_and_shows_on_updates(app, make_user, places, target_type):
    older_question(places)
    reader = make_user("dana")
    client = logged_in(app, reader)
    response = client.post(target_path(target_type, places), data={})
    assert response.status_code == 303
    assert [(f.mode) for f in follows(reader, target_type)] == ["instant"]
    question = new_question_there(places)
    [note] = notes(reader)
    assert (note.kind, note.post_id) == ("new-question", question.id)
    assert len(outbox(reader.email)) == 1
    updates = client.get("/updates").get_data(as_text=True)
    assert "Is it normal to sleep ten hours?" in updates


@pytest.mark.parametrize("target_type", ["category", "tag", "user"])
def test_unfollow_stops_notifications(app, make_user, places, target_type):
    older_question(places)
    reader = make_user("dana")
    client = logged_in(app, reader)
    client.post(target_path(target_type, places), data={})
    client.post(target_path(target_type, places), data={"action": "unfollow"})
    assert follows(reader, target_type) == []
    new_question_there(places)
    assert notes(reader) == []
    assert "Is it normal to sleep ten hours?" not in client.get("/updates").get_data(as_text=True)


def test_one_notification_when_following_the_category_and_the_tag(app, make_user, places):
    older_question(places)
    reader = make_user("dana")
    client = logged_in(app, reader)
    for target_type in ("category", "tag", "user"):
        client.post(target_path(target_type, places), data={})
    new_question_there(places)
    assert len(notes(reader)) == 1


@pytest.mark.parametrize("path, status", [
    ("/follow/category/999999", 404), ("/follow/category/abc", 404), ("/follow/tag/nosuchtag", 404),
    ("/follow/user/nobody-here", 404), ("/follow/question/999999", 404), ("/follow/planet/mars", 404),
    ("/follow/user/dana", 400),
])
def test_follow_refuses_unknown_targets_and_oneself(app, make_user, path, status):
    client = logged_in(app, make_user("dana"))
    assert client.post(path, data={}).status_code == status


def test_guests_cannot_follow(client, places):
    response = client.post(f"/follow/category/{places['category'].id}", data={})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- Digests ----------------------------------------------------------------------------------

@pytest.mark.parametrize("target_type", ["category", "tag"])
def test_digest_follows_do_not_notify_instantly(app, make_user, places, target_type):
    older_question(places)
    reader = make_user("dana")
    client = logged_in(app, reader)
    client.post(target_path(target_type, places), data={"mode": "digest"})
    assert [f.mode for f in follows(reader)] == ["digest"]
    new_question_there(places)
    assert notes(reader) == []
    assert outbox(reader.email) == []


def test_daily_digest_queues_one_email_per_member(app, make_user, places):
    old = questions.ask_question(places["author"], "A question from last week", "", category=places["category"],
                                 tag_text="sleep", created_at=utcnow() - timedelta(days=3))
    db.session.commit()
    both, tag_only, instant = make_user("dana"), make_user("eli"), make_user("fay")
    for reader, paths, mode in ((both, ("category", "tag"), "digest"), (tag_only, ("tag",), "digest"),
                                (instant, ("category",), "instant")):
        client = logged_in(app, reader)
        for target_type in paths:
            client.post(target_path(target_type, places), data={"mode": mode})
    first = new_question_there(places)
    second = make_question(places["author"], title="Why do I dream so much lately?", category=places["category"])
    outbox_before = db.session.scalar(select(func.count(OutboxMessage.id)))

    jobs.register()
    assert worker.JOBS["daily-digest"][1] is jobs.send_digests
    jobs.send_digests()
    db.session.commit()

    [digest] = outbox(both.email)
    assert digest.subject.endswith("2 new questions for you")
    assert first.title in digest.body and second.title in digest.body and old.title not in digest.body
    assert f"/questions/{first.id}" in digest.body and digest.unsubscribe_url
    [tag_digest] = outbox(tag_only.email)
    assert "1 new question" in tag_digest.subject
    assert first.title in tag_digest.body and second.title not in tag_digest.body
    # The instant follower got one email per question when they were asked, and no digest.
    assert [m.notification_id is not None for m in outbox(instant.email)] == [True, True]
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == outbox_before + 2


# --- @mentions ----------------------------------------------------------------------------------

def mentions(user):
    return notes(user, "mention")


def test_a_mention_notifies_once_and_not_again_on_edit(asker, helper, make_user):
    cleo = make_user("cleo")
    question = make_question(asker)
    answer = make_answer(question, helper, body="I agree with @cleo here.")
    [note] = mentions(cleo)
    assert note.post_id == answer.id and note.text == "bram mentioned you in “How can I sleep better at night?”"
    editing.edit_post(helper, db.session.get(Post, answer.id), body="I still agree with @cleo and @Cleo.")
    db.session.commit()
    assert len(mentions(cleo)) == 1


def test_mentions_in_code_do_not_notify(asker, helper, make_user):
    cleo, dana, eli = make_user("cleo"), make_user("dana"), make_user("eli")
    body = "Run `ping @cleo` first.\n\n```\nsudo notify @dana\n```\n\n~~~\n@eli\n~~~\n"
    make_answer(make_question(asker), helper, body=body)
    assert mentions(cleo) == mentions(dana) == mentions(eli) == []


def test_at_most_ten_mentions_per_post_and_never_oneself(asker, helper, make_user):
    people = [make_user(f"friend{n:02d}") for n in range(12)]
    body = "Thanks " + " ".join(f"@{p.username}" for p in people) + " and me, @bram."
    make_answer(make_question(asker), helper, body=body)
    told = [p for p in people if mentions(p)]
    assert told == people[:10]
    assert mentions(helper) == []


def test_mentions_ignore_unknown_names_and_email_addresses(asker, helper, make_user):
    cleo = make_user("cleo")
    make_answer(make_question(asker), helper, body="Write to me@cleo.example or @nobody_at_all.")
    assert mentions(cleo) == []


# --- Email preferences ---------------------------------------------------------------------------

def test_email_preferences_are_saved_and_respected(app, asker, helper):
    client = logged_in(app, asker)
    response = client.post("/notifications/preferences", data={"comment": "y", "mention": "y"})
    assert response.status_code == 303
    html = client.get("/notifications").get_data(as_text=True)
    assert re.search(r'id="pref-comment" name="comment" value="y" checked', html)
    assert re.search(r'id="pref-answer" name="answer" value="y">', html)
    question = make_question(asker)
    make_answer(question, helper)
    assert [n.kind for n in notes(asker)] == ["answer"]  # still told in the site
    assert outbox(asker.email) == []
    make_comment(question, helper, body="One more idea for you.")
    assert [m.notification_id for m in outbox(asker.email)] == [notes(asker, "comment")[0].id]


def test_unticked_followed_and_new_question_kinds(app, helper, make_user, places):
    reader = make_user("dana")
    client = logged_in(app, reader)
    client.post("/notifications/preferences", data={})
    client.post(target_path("category", places), data={})
    question = new_question_there(places)
    client.post(f"/follow/question/{question.id}", data={})
    make_answer(question, helper)
    assert [n.kind for n in notes(reader)] == ["new-question", "followed-answer"]
    assert outbox(reader.email) == []


def test_unticked_moderation_outcome_sends_no_email(app, make_user, moderator):
    settings.update_settings(None, {"approve_below_points": 1_000_000})
    db.session.commit()
    newcomer = make_user("newbie")
    logged_in(app, newcomer).post("/notifications/preferences", data={"answer": "y"})
    question = make_question(newcomer, title="A question held for approval?")
    assert question.status == "queued"
    approval.approve(moderator, approval_item(question))
    db.session.commit()
    assert [n.kind for n in notes(newcomer)] == ["approved"]
    assert outbox(newcomer.email) == []


def test_unverified_addresses_get_no_email(asker, helper):
    asker.email_verified_at = None
    db.session.commit()
    make_answer(make_question(asker), helper)
    assert len(notes(asker)) == 1 and outbox(asker.email) == []


# --- Guests -----------------------------------------------------------------------------------

def test_a_guest_who_left_an_email_hears_of_answers(helper):
    with_email = questions.ask_question(None, "A guest asks with an address?", "", guest=Guest("Robin", "robin@example.net"))
    without = questions.ask_question(None, "A guest asks without an address?", "", guest=Guest("Sky", None))
    db.session.commit()
    make_answer(with_email, helper)
    make_answer(without, helper)
    [email] = outbox("robin@example.net")
    assert email.notification_id is None and email.unsubscribe_url
    assert "bram answered “A guest asks with an address?”" in email.subject
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 1
    assert db.session.scalar(select(func.count(Notification.id))) == 0


# --- Approval -------------------------------------------------------------------------------------

def test_notifications_wait_for_approval(asker, moderator, make_user):
    hold_guest_posts()
    cleo = make_user("cleo")
    question = make_question(asker)
    answer = answers.post_answer(question, None, "A guest's idea, @cleo.", guest=Guest("Robin", "robin@example.net"))
    db.session.commit()
    assert answer.status == "queued"
    assert notes(asker) == [] and outbox(asker.email) == [] and mentions(cleo) == []
    approval.approve(moderator, approval_item(answer))
    db.session.commit()
    assert [n.kind for n in notes(asker)] == ["answer"]
    assert [n.post_id for n in mentions(cleo)] == [answer.id]
    assert len(outbox(asker.email)) == 1
    assert len(outbox("robin@example.net")) == 1  # the guest hears it was approved


def test_approval_through_the_queue_view(app, asker, moderator, make_user):
    hold_guest_posts()
    follower = make_user("cleo")
    category = make_category("Feelings")
    logged_in(app, follower).post(f"/follow/category/{category.id}", data={})
    question = questions.ask_question(None, "A guest question held for approval?", "", category=category,
                                      guest=Guest("Robin", None))
    db.session.commit()
    assert question.status == "queued" and notes(follower) == []
    staff = logged_in(app, moderator)
    item = approval_item(question)
    response = staff.post(f"/moderation/queue/{item.id}/resolve", data={"outcome": "approve", "note": ""})
    assert response.status_code == 303
    assert [(n.kind, n.post_id) for n in notes(follower)] == [("new-question", question.id)]


def test_a_rejected_post_notifies_nobody_but_its_author(asker, moderator, make_user):
    question = make_question(asker)
    settings.update_settings(None, {"approve_below_points": 1_000_000})
    db.session.commit()
    newcomer = make_user("newbie")
    answer = make_answer(question, newcomer, body="Held until a moderator looks.")
    assert answer.status == "queued"
    approval.reject(moderator, approval_item(answer), "Not helpful")
    db.session.commit()
    assert notes(asker) == []
    assert [n.kind for n in notes(newcomer)] == ["rejected"]
    assert notes(newcomer)[0].text.endswith("was not approved: Not helpful")


# --- The best answer ------------------------------------------------------------------------------

def test_the_selected_answer_notifies_its_author(app, asker, helper):
    question = make_question(asker)
    answer = make_answer(question, helper)
    own = make_answer(question, asker, body="Update: what finally worked for me.")
    client = logged_in(app, asker)
    response = client.post(f"/questions/{question.id}/best-answer", data={"answer_id": str(answer.id)})
    assert response.status_code == 303
    [note] = notes(helper, "selected")
    assert note.post_id == answer.id
    assert note.text == "Your answer to “How can I sleep better at night?” was chosen as the best answer"
    client.post(f"/questions/{question.id}/best-answer", data={"answer_id": str(own.id)})
    assert notes(asker, "selected") == []
