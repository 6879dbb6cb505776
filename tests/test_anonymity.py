"""Members posting anonymously: per-thread aliases, no points, nothing that links the member."""
from sqlalchemy import select

from forum.extensions import db
from forum.models import ModerationAction, Post, User
from forum.services import answers, questions, votes
from tests.factories import make_answer, make_question
from tests.fixtures.users import PASSWORD


def login(app, user):
    client = app.test_client()
    if user is not None:
        assert client.post("/login", data={"username": user.username, "password": PASSWORD}).status_code == 302
    return client


def test_aliases_are_per_thread_and_stable(make_user):
    asker, a, b = make_user("secretasker"), make_user("secretb"), make_user("secretc")
    question = questions.ask_question(asker, "How do I tell my family about this?", "", anonymous=True)
    first = answers.post_answer(question, a, "I did it by letter.", anonymous=True)
    second = answers.post_answer(question, b, "Take a friend along.", anonymous=True)
    again = answers.post_answer(question, a, "And give them time.", anonymous=True)
    db.session.commit()
    assert [p.anon_number for p in (question, first, second, again)] == [1, 2, 3, 2]


def test_anonymous_posts_earn_and_cost_no_points(make_user):
    author, voter = make_user("hidden1"), make_user("voter1")
    question = make_question(make_user("asker1"))
    answer = answers.post_answer(question, author, "An anonymous answer.", anonymous=True)
    db.session.commit()
    votes.cast_vote(voter, answer, 1)
    db.session.commit()
    assert db.session.get(User, author.id).points == 100


def test_nothing_links_an_anonymous_post_to_its_author(app, make_user, moderator):
    secret = make_user("secretmember", email="secret.member@example.org")
    question = questions.ask_question(secret, "Is it okay to feel numb after a breakup?", "Details here.",
                                      anonymous=True)
    db.session.commit()
    answer = make_answer(question, make_user("helper1"))
    comment_client = login(app, secret)
    comment_client.post(f"/posts/{answer.id}/comments", data={"body": "Thank you so much", "anonymous": "y"})
    comment_client.post(f"/posts/{question.id}/edit", data={"title": question.title, "body": "Edited details.",
                                                          "tags": "", "reason": ""})
    paths = ["/", "/unanswered", f"/questions/{question.id}", f"/answers/{answer.id}",
             f"/posts/{question.id}/revisions", f"/posts/{answer.id}/comment", "/users?period=week", "/users/helper1",
             "/feeds/questions.atom", f"/feeds/questions/{question.id}.atom", "/sitemap.xml",
             "/search?q=numb", "/search/similar?title=numb+after+breakup"]
    for viewer in (None, make_user("othermember")):
        client = login(app, viewer)
        for path in paths:
            response = client.get(path, follow_redirects=True)
            html = response.get_data(as_text=True)
            assert "secretmember" not in html, path
            assert "secret.member@example.org" not in html, path
            assert f"/users/{secret.username}" not in html, path
    page = login(app, None).get(f"/questions/{question.id}", follow_redirects=True).get_data(as_text=True)
    assert "Anonymous 1" in page and 'name="robots" content="noindex"' in page
    assert "edited" in page and "by the author" in page


def test_a_moderator_reveals_only_with_a_reason_and_it_is_audited(app, make_user, moderator):
    secret = make_user("whoisit")
    question = questions.ask_question(secret, "A question I'd rather not sign?", "", anonymous=True)
    db.session.commit()
    client = login(app, moderator)
    assert "whoisit" not in client.get(f"/posts/{question.id}/moderate").get_data(as_text=True)
    refused = client.post(f"/posts/{question.id}/reveal", data={"reason": ""})
    assert refused.status_code == 400 and "whoisit" not in refused.get_data(as_text=True)
    assert db.session.scalar(select(ModerationAction.id).where(ModerationAction.action == "reveal")) is None
    shown = client.post(f"/posts/{question.id}/reveal", data={"reason": "threats in the thread"})
    assert shown.status_code == 200 and "whoisit" in shown.get_data(as_text=True)
    entry = db.session.scalar(select(ModerationAction).where(ModerationAction.action == "reveal"))
    assert entry.reason == "threats in the thread" and entry.actor_id == moderator.id
    assert login(app, make_user("nosy")).post(f"/posts/{question.id}/reveal",
                                              data={"reason": "curious"}).status_code == 403


def test_guests_cannot_post_anonymously_as_members(client):
    response = client.post("/ask", data={"title": "A guest question about sleep?", "anonymous": "y"})
    assert response.status_code == 303
    post = db.session.scalar(select(Post))
    assert post.is_anonymous is False and post.author_id is None


def test_ip_addresses_are_erased_after_the_retention_period(app, make_user):
    from datetime import timedelta

    from forum.models import utcnow
    from forum.services import jobs, settings

    settings.update_settings(None, {"ip_retention_days": 30})
    old = make_question(make_user("old1"), title="An old question from long ago?")
    new = make_question(make_user("new1"), title="A new question from today?")
    db.session.execute(Post.__table__.update().values(ip_address="203.0.113.9"))
    db.session.execute(Post.__table__.update().where(Post.id == old.id)
                       .values(created_at=utcnow() - timedelta(days=31)))
    db.session.commit()
    jobs.purge_ip_addresses()
    db.session.commit()
    assert db.session.get(Post, old.id).ip_address is None
    assert db.session.get(Post, new.id).ip_address == "203.0.113.9"
    jobs.register()
    from forum.services.worker import JOBS

    assert "purge-ip-addresses" in JOBS
