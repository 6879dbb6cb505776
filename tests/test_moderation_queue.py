"""Flags, the one queue, approval, the phrase matcher, sanctions and address blocks."""
import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Flag, Level, ModerationAction, Post, QueueItem, User
from forum.services import flags, integrity, phrases, queue, sanctions, settings
from forum.services.errors import ValidationFailed
from tests.factories import make_answer, make_question
from tests.fixtures.users import PASSWORD


def fresh(model, obj_id):
    db.session.expire_all()
    return db.session.get(model, obj_id)


def login(app, user):
    client = app.test_client()
    if user is not None:
        assert client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 302
    return client


# --- Flags ------------------------------------------------------------------------

def test_auto_hide_happens_exactly_at_the_threshold(make_user):
    settings.update_settings(None, {"flags_to_hide": 3})
    db.session.commit()
    answer = make_answer(make_question(make_user("asker")), make_user("writer"))
    for i in range(2):
        flags.flag_post(make_user(f"flagger{i}"), answer, "rude")
        db.session.commit()
    assert fresh(Post, answer.id).status == "visible"  # n - 1 flags: still visible
    flags.flag_post(make_user("flagger2"), answer, "spam")
    db.session.commit()
    post = fresh(Post, answer.id)
    assert post.status == "hidden" and post.flag_count == 3 and post.hidden_by_id is None
    item = db.session.scalar(select(QueueItem).where(QueueItem.post_id == answer.id))
    assert item.kind == "flag" and item.state == "new" and item.priority == 10 + 5 * 3
    assert integrity.find_drift() == []


def test_flagging_twice_or_ones_own_post_is_refused(make_user):
    writer = make_user("writer")
    answer = make_answer(make_question(make_user("asker")), writer)
    member = make_user("reporter")
    flags.flag_post(member, answer, "spam")
    db.session.commit()
    with pytest.raises(ValidationFailed, match="already flagged"):
        flags.flag_post(member, answer, "rude")
    db.session.rollback()
    with pytest.raises(ValidationFailed, match="own post"):
        flags.flag_post(writer, answer, "spam")
    db.session.rollback()
    assert db.session.scalar(select(func.count(Flag.id))) == 1
    assert fresh(Post, answer.id).flag_count == 1


def test_flag_view_and_the_reporter_is_never_shown_to_the_author(app, client, auth, make_user):
    writer = make_user("writer")
    answer = make_answer(make_question(make_user("asker")), writer)
    auth.login(make_user("reporter"))
    response = client.post(f"/posts/{answer.id}/flag", data={"reason": "rude", "note": "name-calling"})
    assert response.status_code == 303
    again = client.post(f"/posts/{answer.id}/flag", data={"reason": "rude"})
    assert again.status_code == 400 and "already flagged" in again.get_data(as_text=True)
    bad = client.post(f"/posts/{answer.id}/flag", data={"reason": "bored"})
    assert bad.status_code == 400
    author_view = login(app, writer)
    for path in (f"/questions/{answer.question_id}", "/users/writer", f"/posts/{answer.id}/revisions"):
        assert "reporter" not in author_view.get(path, follow_redirects=True).get_data(as_text=True)


def test_moderator_resolves_a_flag_by_hiding_then_readers_do_not_see_it(app, make_user, moderator):
    answer = make_answer(make_question(make_user("asker")), make_user("writer"), body="Rude words here")
    flags.flag_post(make_user("reporter"), answer, "rude")
    db.session.commit()
    item = db.session.scalar(select(QueueItem))
    mod = login(app, moderator)
    assert "Rude words here" in mod.get(f"/moderation/queue/{item.id}").get_data(as_text=True)
    assert mod.post(f"/moderation/queue/{item.id}/claim").status_code == 303
    assert fresh(QueueItem, item.id).state == "claimed"
    assert mod.post(f"/moderation/queue/{item.id}/resolve", data={"outcome": "hide", "note": "rude"}).status_code == 303
    assert fresh(QueueItem, item.id).state == "resolved" and fresh(Post, answer.id).status == "hidden"
    again = mod.post(f"/moderation/queue/{item.id}/resolve", data={"outcome": "dismiss"}, follow_redirects=True)
    assert "already resolved" in again.get_data(as_text=True)
    reader = login(app, None)
    assert "Rude words here" not in reader.get(f"/questions/{answer.question_id}", follow_redirects=True).get_data(as_text=True)
    actions = set(db.session.scalars(select(ModerationAction.action)))
    assert {"queue-claim", "queue-resolve", "hide"} <= actions
    assert integrity.find_drift() == []


def test_dismissing_an_auto_hidden_post_shows_it_again(make_user, moderator):
    settings.update_settings(None, {"flags_to_hide": 1})
    db.session.commit()
    answer = make_answer(make_question(make_user("asker")), make_user("writer"))
    flags.flag_post(make_user("reporter"), answer, "spam")
    db.session.commit()
    assert fresh(Post, answer.id).status == "hidden"
    from forum.services import moderation

    moderation.resolve(moderator, queue.open_items()[0], "dismiss", "fine")
    db.session.commit()
    assert fresh(Post, answer.id).status == "visible"
    assert integrity.find_drift() == []


def test_the_queue_lists_by_priority_then_age(app, make_user, moderator):
    first = make_question(make_user("a1"), title="First question about worry?")
    second = make_question(make_user("a2"), title="Second question about worry?")
    queue.enqueue("flag", first)
    queue.enqueue("approval", second, cause="guest")
    db.session.commit()
    items = queue.open_items()
    assert [item.post_id for item in items] == [second.id, first.id]
    html = login(app, moderator).get("/moderation/queue").get_data(as_text=True)
    assert html.index("Second question") < html.index("First question")


@pytest.mark.parametrize("who", ["guest", "member", "editor"])
def test_only_moderators_see_the_queue(app, make_user, who):
    user = None if who == "guest" else make_user(who, level=Level.EDITOR if who == "editor" else Level.BASIC)
    response = login(app, user).get("/moderation/queue")
    assert response.status_code in (302, 403) if who == "guest" else response.status_code == 403


# --- Approval ---------------------------------------------------------------------

def test_a_queued_guest_post_is_seen_by_its_author_only_then_approved(app, make_user, moderator):
    settings.update_settings(None, {"approve_guest_posts": True})
    db.session.commit()
    guest = login(app, None)
    response = guest.post("/ask", data={"title": "Is it normal to feel this tired?", "body": "Queued body"})
    assert response.status_code == 303
    url = response.headers["Location"]
    own = guest.get(url)
    assert own.status_code == 200 and "awaiting approval" in own.get_data(as_text=True)
    assert login(app, None).get(url).status_code == 404
    assert login(app, make_user("someone")).get(url).status_code == 404
    assert "Queued body" not in login(app, None).get("/").get_data(as_text=True)
    item = db.session.scalar(select(QueueItem).where(QueueItem.kind == "approval"))
    assert item.cause == "guest"
    assert integrity.find_drift() == []
    mod = login(app, moderator)
    assert mod.post(f"/moderation/queue/{item.id}/resolve", data={"outcome": "approve"}).status_code == 303
    assert login(app, None).get(url).status_code == 200
    assert integrity.find_drift() == []


def test_a_rejected_post_stays_hidden_and_its_author_sees_the_outcome(app, make_user, moderator):
    settings.update_settings(None, {"approve_below_points": 1000})
    db.session.commit()
    newcomer = make_user("newcomer")
    client = login(app, newcomer)
    url = client.post("/ask", data={"title": "Can I talk about this here?", "body": "x"}).headers["Location"]
    item = db.session.scalar(select(QueueItem))
    assert item.cause == "member below 1000 points"
    assert login(app, moderator).post(f"/moderation/queue/{item.id}/resolve",
                                      data={"outcome": "reject", "note": "Off-topic"}).status_code == 303
    assert login(app, None).get(url).status_code == 404
    mine = client.get(url)
    assert mine.status_code == 200 and "Off-topic" in mine.get_data(as_text=True)
    assert integrity.find_drift() == []


def test_approved_members_skip_the_rules_but_not_blocked_words(app, make_user):
    settings.update_settings(None, {"approve_below_points": 1000, "approve_guest_posts": True})
    phrases.add_phrase(None, "blocked", "buy cheap*")
    db.session.commit()
    trusted = make_user("trusted", level=Level.APPROVED)
    client = login(app, trusted)
    client.post("/ask", data={"title": "How do I keep a routine going?", "body": "fine"})
    client.post("/ask", data={"title": "Where to buy cheaper pills online?", "body": "x"})
    statuses = sorted(db.session.scalars(select(Post.status)))
    assert statuses == ["queued", "visible"]
    item = db.session.scalar(select(QueueItem))
    assert item.cause.startswith("blocked words: buy cheaper")


def test_matching_runs_on_edit_too(app, make_user):
    phrases.add_phrase(None, "blocked", "casino")
    db.session.commit()
    member = make_user("member1")
    question = make_question(member)
    client = login(app, member)
    response = client.post(f"/posts/{question.id}/edit", data={
        "title": question.title, "body": "Visit my CASINO now", "tags": "", "reason": ""})
    assert response.status_code == 303
    assert fresh(Post, question.id).status == "queued"
    assert db.session.scalar(select(QueueItem.cause)).startswith("blocked words")


# --- The phrase matcher -------------------------------------------------------------

@pytest.mark.parametrize(
    "pattern, text, found",
    [
        ("end my life", "I want to END my life.", True),
        ("end my life", "I want to end  my\\nlife", True),
        ("end my life", "weekend my lifestyle", False),
        ("spam*", "spammers everywhere", True),
        ("spam*", "antispam", False),
        ("*spam", "antispam", True),
        ("sp*m", "spoom", True),
        ("cafe", "Un CAFÉ", True),
        ("café", "cafe", True),
        ("ｓｐａｍ", "spam", True),
        ("kill", "skills", False),
        ("don't", "DON’T", True),
    ],
)
def test_the_matcher(app, pattern, text, found):
    phrases.add_phrase(None, "blocked", pattern)
    assert bool(phrases.find("blocked", text.replace("\\n", "\n"))) is found


@pytest.mark.parametrize("pattern", ["*", "**", "a**b", "<script>", "", "x" * 101, "(a|b)"])
def test_invalid_patterns_are_refused_with_a_reason(client, auth, admin, pattern):
    auth.login(admin)
    response = client.post("/admin/phrases", data={"list_name": "blocked", "pattern": pattern})
    assert response.status_code == 400
    assert 'id="pattern-error"' in response.get_data(as_text=True)
    assert phrases.patterns("blocked") == ()


def test_admins_add_and_remove_phrases(client, auth, admin):
    auth.login(admin)
    assert client.post("/admin/phrases", data={"list_name": "blocked", "pattern": "Free  Money"}).status_code == 303
    assert phrases.patterns("blocked") == ("free money",)
    duplicate = client.post("/admin/phrases", data={"list_name": "blocked", "pattern": "free money"})
    assert duplicate.status_code == 400
    phrase_id = phrases.all_phrases()[0].id
    assert client.post(f"/admin/phrases/{phrase_id}/delete").status_code == 303
    assert phrases.patterns("blocked") == ()


# --- Sanctions ----------------------------------------------------------------------

WRITE_ROUTES = [
    ("/ask", {"title": "A question from a blocked member?", "body": "x"}),
    ("/questions/{q}/answers", {"body": "An answer."}),
    ("/posts/{q}/comments", {"body": "A comment."}),
    ("/posts/{a}/vote", {"value": "up"}),
    ("/posts/{a}/flag", {"reason": "spam"}),
    ("/posts/{own}/edit", {"body": "An edit of my own answer."}),
    ("/questions/{own_q}/best-answer", {"answer_id": "{a}"}),
]


def test_a_blocked_member_is_refused_on_every_write_route_and_can_read(app, make_user, moderator):
    member = make_user("blocked1", points=10_000)
    other = make_user("other")
    question = make_question(other)
    answer = make_answer(question, other)
    own_question = make_question(member, title="My own question about sleep?")
    own = make_answer(own_question, member)
    make_answer(own_question, other)
    sanctions.block_member(moderator, member, "week", "Repeated insults")
    db.session.commit()
    client = login(app, member)
    ids = {"q": question.id, "a": answer.id, "own": own.id, "own_q": own_question.id}
    before = db.session.scalar(select(func.count(Post.id)))
    for path, data in WRITE_ROUTES:
        response = client.post(path.format(**ids), data={k: v.format(**ids) for k, v in data.items()})
        assert response.status_code == 403, path
    assert db.session.scalar(select(func.count(Post.id))) == before
    page = client.get(f"/questions/{question.id}", follow_redirects=True)
    assert page.status_code == 200 and "Repeated insults" in page.get_data(as_text=True)
    assert sanctions.suggested_duration(fresh(User, member.id)) == "week"


def test_a_block_needs_a_reason_and_moderators_cannot_sanction_admins(app, make_user, moderator, admin):
    member = make_user("member2")
    client = login(app, moderator)
    response = client.post("/moderation/members/member2/block", data={"duration": "day", "reason": ""})
    assert response.status_code == 400 and "Give a reason" in response.get_data(as_text=True)
    assert not sanctions.is_blocked(fresh(User, member.id))
    assert client.post("/moderation/members/ada/block", data={"duration": "day", "reason": "x"}).status_code == 403
    assert client.post("/moderation/members/member2/block", data={"duration": "day", "reason": "spam"}).status_code == 303
    assert sanctions.is_blocked(fresh(User, member.id))
    assert client.post("/moderation/members/member2/unblock").status_code == 303
    assert not sanctions.is_blocked(fresh(User, member.id))


def test_blocking_a_posts_address_never_shows_it_to_moderators(app, make_user, moderator, admin):
    guest = login(app, None)
    guest.environ_base["REMOTE_ADDR"] = "198.51.100.23"
    url = guest.post("/ask", data={"title": "A guest's question from far away?", "body": "x"}).headers["Location"]
    question_id = int(url.split("/")[2])
    mod = login(app, moderator)
    for path in (url, f"/posts/{question_id}/moderate", "/moderation/queue", "/moderation/log",
                 f"/posts/{question_id}/revisions"):
        assert "198.51.100" not in mod.get(path).get_data(as_text=True)
    response = mod.post(f"/posts/{question_id}/block-address", data={"duration": "week", "reason": "spam"})
    assert response.status_code == 303
    assert "198.51.100" not in mod.get("/moderation/log").get_data(as_text=True)
    refused = guest.post("/ask", data={"title": "Another question from there?", "body": "y"})
    assert refused.status_code == 403
    assert "198.51.100.23/32" in login(app, admin).get("/admin/addresses").get_data(as_text=True)
    assert mod.get("/admin/addresses").status_code == 403


def test_blocking_a_posts_address_without_a_reason_keeps_what_was_chosen(app, moderator):
    guest = login(app, None)
    guest.environ_base["REMOTE_ADDR"] = "198.51.100.24"
    url = guest.post("/ask", data={"title": "A guest's question from nearby?", "body": "x"}).headers["Location"]
    question_id = int(url.split("/")[2])
    mod = login(app, moderator)
    missing = mod.post(f"/posts/{question_id}/block-address", data={"duration": "month", "reason": "  "})
    html = missing.get_data(as_text=True)
    assert missing.status_code == 400 and 'id="block-reason-error"' in html
    assert '<option selected value="month">' in html or '<option value="month" selected>' in html
    long_reason = "spam " * 70
    too_long = mod.post(f"/posts/{question_id}/block-address", data={"duration": "day", "reason": long_reason})
    assert too_long.status_code == 400 and long_reason.strip() in too_long.get_data(as_text=True)
    assert guest.post("/ask", data={"title": "Still allowed to ask here?", "body": "y"}).status_code in (302, 303)


def test_admin_address_ranges(client, auth, admin):
    auth.login(admin)
    bad = client.post("/admin/addresses", data={"network": "not-an-ip", "reason": "x", "duration": "day"})
    assert bad.status_code == 400 and 'id="network-error"' in bad.get_data(as_text=True)
    wide = client.post("/admin/addresses", data={"network": "10.0.0.0/4", "reason": "x", "duration": "day"})
    assert wide.status_code == 400
    ok = client.post("/admin/addresses", data={"network": "203.0.113.0/24", "reason": "abuse", "duration": "day"})
    assert ok.status_code == 303
    assert sanctions.is_address_blocked("203.0.113.77") and not sanctions.is_address_blocked("203.0.114.1")
