"""Crisis-aware posting, risk reports, content warnings, muting, breaks and safe wording."""
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Level, Notification, Post, QueueItem, User
from forum.services import phrases, queue, safety
from tests.factories import make_answer, make_question
from tests.fixtures.users import PASSWORD

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def default_lists(app):
    """What a fresh database holds: the migration installs these; tests empty tables after each test."""
    phrases.install_defaults()
    db.session.commit()


def login(app, user):
    client = app.test_client()
    if user is not None:
        assert client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def test_the_defaults_are_installed_by_the_migration_file(app):
    """The reviewed lists ship in forum/data and hold the phrases the issue names."""
    phrases.install_defaults()
    assert "end my life" in phrases.patterns("crisis")
    assert "kill myself" in phrases.patterns("crisis")
    assert "don't want to be here anymore" in phrases.patterns("crisis")
    assert phrases.patterns("unsafe")
    assert phrases.install_defaults() == 0  # idempotent


def test_crisis_words_show_the_interstitial_then_post_with_resources_and_a_risk_item(app, client, default_lists):
    data = {"title": "I want to end my life and I don't know why", "body": "Everything feels heavy."}
    first = client.post("/ask", data=data)
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and "Before you post" in html
    assert "988" in html and "116 123" in html
    assert 'value="I want to end my life and I don&#39;t know why"' in html  # nothing typed is lost
    assert db.session.scalar(select(Post.id)) is None  # nothing posted yet, nothing blocked either
    posted = client.post("/ask", data={**data, "crisis_ack": "1"})
    assert posted.status_code == 303
    page = client.get(posted.headers["Location"]).get_data(as_text=True)
    assert "resources-panel" in page and "Samaritans" in page
    item = db.session.scalar(select(QueueItem))
    assert item.kind == "risk" and "end my life" in item.cause
    assert db.session.scalar(select(Post.status)) == "visible"


def test_go_back_and_edit_keeps_the_text(client, default_lists):
    data = {"title": "Sometimes I think about how to kill myself", "body": "long story", "crisis_edit": "1",
            "crisis_ack": "1"}
    response = client.post("/ask", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Ask a question" in html and "long story" in html
    assert db.session.scalar(select(Post.id)) is None


def test_a_risk_item_goes_first_in_the_queue(app, client, default_lists, make_user, moderator):
    flagged = make_answer(make_question(make_user("asker")), make_user("writer"))
    queue.enqueue("flag", flagged)
    queue.enqueue("approval", make_question(make_user("a2"), title="A question waiting here?"))
    db.session.commit()
    client.post("/ask", data={"title": "I feel suicidal tonight, is that normal?", "body": "x", "crisis_ack": "1"})
    kinds = [item.kind for item in queue.open_items()]
    assert kinds[0] == "risk"


def test_an_unsafe_post_waits_for_approval_with_a_kind_explanation(app, client, default_lists, make_user):
    response = client.post("/ask", data={"title": "What is a lethal dose of sleeping pills?", "body": "asking"},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "A moderator will read it before others can see it" in html
    question = db.session.scalar(select(Post))
    assert question.status == "queued"
    assert login(app, make_user("reader")).get(f"/questions/{question.id}").status_code == 404
    assert db.session.scalar(select(QueueItem.cause)).startswith("unsafe content")


def test_a_risk_report_tells_the_author_kindly_and_never_names_the_reporter(app, make_user, moderator):
    author = make_user("author1")
    question = make_question(author, title="Nothing seems to matter lately?")
    reporter = make_user("worriedfriend")
    client = login(app, reporter)
    assert client.post(f"/posts/{question.id}/at-risk", data={"note": "they seem low"}).status_code == 303
    again = client.post(f"/posts/{question.id}/at-risk", data={})
    assert again.status_code == 400 and "already told" in again.get_data(as_text=True)
    item = db.session.scalar(select(QueueItem))
    assert item.kind == "risk" and item.priority >= 150
    supportive = db.session.scalar(select(Notification).where(Notification.user_id == author.id))
    assert supportive.kind == "support" and "Need help now?" in supportive.text
    assert "worriedfriend" not in supportive.text
    author_client = login(app, author)
    for path in ("/notifications", f"/questions/{question.id}", "/users/author1"):
        assert "worriedfriend" not in author_client.get(path, follow_redirects=True).get_data(as_text=True)
    alert = db.session.scalar(select(Notification).where(Notification.user_id == moderator.id))
    assert alert.kind == "risk"
    assert db.session.get(Post, question.id).status == "visible"  # a report never hides anything


def test_reports_never_count_toward_hiding(app, make_user):
    from forum.services import settings

    settings.update_settings(None, {"flags_to_hide": 2})
    db.session.commit()
    question = make_question(make_user("author2"))
    for name in ("r1", "r2", "r3"):
        safety.report_risk(make_user(name), question)
        db.session.commit()
    assert db.session.get(Post, question.id).status == "visible"
    assert db.session.get(Post, question.id).flag_count == 0


def test_risk_reports_on_missing_posts_and_risk_levels(app, make_user, moderator):
    client = login(app, make_user("someone"))
    assert client.post("/posts/999999/at-risk", data={}).status_code == 404
    question = make_question(make_user("author3"))
    safety.report_risk(None, question)
    db.session.commit()
    item = db.session.scalar(select(QueueItem))
    mod = login(app, moderator)
    assert mod.post(f"/moderation/queue/{item.id}/risk-level", data={"level": "high"}).status_code == 303
    assert db.session.get(QueueItem, item.id).risk_level == "high"
    assert db.session.get(QueueItem, item.id).priority == 200


def test_only_opted_in_moderators_get_risk_alerts_when_some_did(app, make_user, moderator):
    keen = make_user("keenmod", level=Level.MODERATOR)
    keen.risk_alerts = True
    db.session.commit()
    safety.report_risk(None, make_question(make_user("author4")))
    db.session.commit()
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.kind == "risk")))
    assert told == {keen.id}


def test_content_warnings_collapse_the_body(client, make_user):
    author = make_user("cwauthor")
    client.post("/login", data={"username": "cwauthor", "password": PASSWORD})
    url = client.post("/ask", data={"title": "How did you cope after a loss?", "body": "Details of grief",
                                    "content_warning": "bereavement"}).headers["Location"]
    html = client.get(url).get_data(as_text=True)
    assert re.search(r'<details class="content-warning">\s*<summary>Content warning: bereavement', html)
    assert html.index("Content warning: bereavement") < html.index("Details of grief")
    del author


def test_muted_words_and_categories_hide_posts(app, make_user):
    from forum.services import categories

    reader = make_user("sensitive")
    cat = categories.create_category("Grief")
    db.session.commit()
    other = categories.create_category("Sleep")
    db.session.commit()
    make_question(make_user("a1"), title="Talking about gambling habits here?", category=other)
    make_question(make_user("a2"), title="A question in the grief category?", category=cat)
    shown = make_question(make_user("a3"), title="How do I sleep better?", category=other)
    client = login(app, reader)
    response = client.post("/account/safety", data={"muted_words": "gambl*", "muted_category": str(cat.id)})
    assert response.status_code == 303
    html = client.get("/").get_data(as_text=True)
    assert "gambling" not in html and "grief category" not in html and shown.title in html
    assert "gambling" in login(app, None).get("/").get_data(as_text=True)
    bad = client.post("/account/safety", data={"muted_words": "<script>"})
    assert bad.status_code == 400 and 'id="muted_words-error"' in bad.get_data(as_text=True)


def test_taking_a_break_stops_notification_emails(app, make_user):
    from forum.models import OutboxMessage

    asker = make_user("resting")
    client = login(app, asker)
    assert client.post("/account/break", data={"length": "week"}).status_code == 303
    make_answer(make_question(asker, title="Any tips for resting well?"), make_user("helper"))
    assert db.session.scalar(select(OutboxMessage.id)) is None
    assert db.session.scalar(select(Notification.id)) is not None  # still in the site
    assert db.session.get(User, asker.id).break_until is not None
    assert client.post("/account/break", data={"length": "forever"}).status_code == 400


def test_need_help_now_is_on_every_page_in_the_same_place(client):
    for path in ("/", "/login", "/register", "/ask", "/help", "/guidelines", "/nope"):
        html = client.get(path).get_data(as_text=True)
        header = html.split('<main', 1)[0]
        assert 'class="help-now" href="/help">Need help now?</a>' in header, path


def test_the_help_page_says_what_the_site_is(client):
    html = client.get("/help").get_data(as_text=True)
    assert "not a crisis service or a medical service" in html and "last checked" in html


def test_admins_edit_the_crisis_services(client, auth, admin):
    auth.login(admin)
    bad = client.post("/admin/crisis-resources", data={"resources": "[{\"country\": \"X\"}]"})
    assert bad.status_code == 400 and "needs country, service, contact and checked" in bad.get_data(as_text=True)
    good = '[{"country": "Testland", "service": "Test Line", "contact": "Call 123", "checked": "2026-11-28"}]'
    assert client.post("/admin/crisis-resources", data={"resources": good}).status_code == 303
    assert "Test Line" in client.get("/help").get_data(as_text=True)


def test_guidelines_show_on_a_members_first_posts(app, make_user):
    member = make_user("newbie")
    client = login(app, member)
    assert "No method detail" in client.get("/ask").get_data(as_text=True)
    for i in range(3):
        make_question(member, title=f"Question number {i} from the newbie?")
    html = client.get("/ask").get_data(as_text=True)
    assert "No method detail" not in html and "Posting guidelines" in html


AVOID = ["committed suicide", "successful suicide", "failed suicide", "unsuccessful suicide",
         "completed suicide", "suicide victim"]


def test_system_text_uses_safe_messaging_language():
    sources = list((ROOT / "templates").rglob("*.html")) + list((ROOT / "forum").rglob("*.py")) \
        + list((ROOT / "forum" / "data").glob("*.json"))
    assert len(sources) > 50
    for path in sources:
        text = path.read_text(encoding="utf-8").lower()
        for phrase in AVOID:
            assert phrase not in text, f"{path.relative_to(ROOT)} says “{phrase}”"


def test_searching_for_crisis_terms_shows_the_resources_first(client, default_lists):
    html = client.get("/search?q=I+want+to+kill+myself").get_data(as_text=True)
    assert "resources-panel" in html
    assert html.index("resources-panel") < html.index("</main>")
    assert "resources-panel" not in client.get("/search?q=sleep").get_data(as_text=True)


def test_content_warnings_hold_in_feeds(client, make_user):
    author = make_user("cwfeed")
    from forum.services import questions as questions_service

    questions_service.ask_question(author, "How do I cope with flashbacks?", "Graphic detail here",
                                   content_warning="trauma")
    db.session.commit()
    feed = client.get("/feeds/questions.atom").get_data(as_text=True)
    assert "Content warning: trauma" in feed and "Graphic detail here" not in feed


def test_a_fresh_database_gets_the_default_lists_from_the_migrations(tmp_path):
    """`flask db upgrade` on an empty database installs the reviewed crisis and unsafe lists."""
    import os

    from flask_migrate import upgrade

    from tests.fixtures.app import build_app

    fresh = build_app("sqlite:///" + str(tmp_path / "fresh.db"), tmp_path)
    with fresh.app_context():
        upgrade(directory=os.path.join(ROOT, "migrations"))
        assert "end my life" in phrases.patterns("crisis")
        assert phrases.find("crisis", "I want to end my life") == ["end my life"]
        assert phrases.patterns("unsafe")
        db.session.remove()
        db.engine.dispose()
