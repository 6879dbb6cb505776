"""Every route of the URL map, for every kind of visitor: allowed or refused.

An endpoint without a row here fails the suite, so every new route must be decided.
"""
import pytest

from forum.models import Level
from tests.factories import make_answer, make_category, make_question
from tests.fixtures.users import PASSWORD

ROLES = ("guest", "member", "owner", "editor", "moderator", "admin")
ALL = set(ROLES)
MEMBERS = ALL - {"guest"}
ADMINS = {"admin"}
MODERATORS = {"moderator", "admin"}
EDITORS = {"owner", "editor", "moderator", "admin"}
NOBODY = set()


def _body(text="A sincere and kind reply."):
    return {"body": text}


#: endpoint -> (method, url(world), form data(world) or None, roles allowed)
MATRIX = {
    "static": ("GET", lambda w: "/static/css/forum.css", None, ALL),
    "questions.index": ("GET", lambda w: "/", None, ALL),
    "questions.unanswered": ("GET", lambda w: "/unanswered", None, ALL),
    "questions.categories_index": ("GET", lambda w: "/categories", None, ALL),
    "questions.category": ("GET", lambda w: "/categories/feelings", None, ALL),
    "questions.tag": ("GET", lambda w: "/tags/sleep", None, ALL),
    "questions.new": ("GET", lambda w: "/ask", None, ALL),
    "questions.create": ("POST", lambda w: "/ask",
                         lambda w: {"title": "How do I ask for help at work?", "body": "", "category": str(w["category"])},
                         ALL),
    "questions.show": ("GET", lambda w: f"/questions/{w['question']}", None, ALL),
    "questions.show_trailing_slash": ("GET", lambda w: f"/questions/{w['question']}/x/", None, ALL),
    "answers.create": ("POST", lambda w: f"/questions/{w['question']}/answers", lambda w: _body(), ALL),
    "answers.new_comment": ("GET", lambda w: f"/posts/{w['answer']}/comment", None, ALL),
    "answers.comment": ("POST", lambda w: f"/posts/{w['answer']}/comments", lambda w: _body("Thank you."), ALL),
    "answers.show": ("GET", lambda w: f"/answers/{w['answer']}", None, ALL),
    # Votes: members on others' posts; the owner may not vote on their own answer.
    "votes.vote": ("POST", lambda w: f"/posts/{w['answer']}/vote", lambda w: {"value": "up"}, MEMBERS - {"owner"}),
    # The best answer: the asker (owner of the question) and moderators.
    "votes.select_best": ("POST", lambda w: f"/questions/{w['question']}/best-answer",
                          lambda w: {"answer_id": str(w["answer"])}, {"owner", "moderator", "admin"}),
    # Curation: owners edit their own posts; editors and above anyone's below them.
    "edits.edit": ("GET", lambda w: f"/posts/{w['answer']}/edit", None, EDITORS),
    "edits.update": ("POST", lambda w: f"/posts/{w['answer']}/edit", lambda w: _body("An edited answer."), EDITORS),
    "edits.history": ("GET", lambda w: f"/posts/{w['answer']}/revisions", None, ALL),
    "edits.rollback": ("POST", lambda w: f"/posts/{w['answer']}/revisions/1/rollback", lambda w: {}, MODERATORS),
    "edits.redact": ("POST", lambda w: f"/posts/{w['answer']}/revisions/1/redact",
                     lambda w: {"reason": "held a phone number"}, MODERATORS),
    "curation.moderate": ("GET", lambda w: f"/posts/{w['answer']}/moderate", None, MODERATORS),
    "curation.change_status": ("POST", lambda w: f"/posts/{w['answer']}/hide",
                               lambda w: {"reason": "off-topic"}, MODERATORS),
    "curation.close": ("POST", lambda w: f"/questions/{w['question']}/close",
                       lambda w: {"reason": "needs-detail"}, MODERATORS),
    "curation.reopen": ("POST", lambda w: f"/questions/{w['question']}/reopen", lambda w: {}, MODERATORS),
    "curation.merge": ("POST", lambda w: f"/questions/{w['question']}/merge",
                       lambda w: {"original": str(w["question"])}, MODERATORS),
    "moderation.log": ("GET", lambda w: "/moderation/log", None, MODERATORS),
    "auth.register_form": ("GET", lambda w: "/register", None, ALL),
    "auth.register": ("POST", lambda w: "/register", lambda w: {}, ALL),
    "auth.login_form": ("GET", lambda w: "/login", None, ALL),
    "auth.login": ("POST", lambda w: "/login", lambda w: {}, ALL),
    "auth.logout": ("POST", lambda w: "/logout", lambda w: {}, ALL),
    "auth.account": ("GET", lambda w: "/account", None, MEMBERS),
    "auth.change_password": ("POST", lambda w: "/account/password", lambda w: {}, MEMBERS),
    "auth.logout_everywhere": ("POST", lambda w: "/account/logout-everywhere", lambda w: {}, MEMBERS),
    "users.index": ("GET", lambda w: "/users", None, ALL),
    "users.show": ("GET", lambda w: "/users/owner", None, ALL),
    "admin.index": ("GET", lambda w: "/admin/", None, ADMINS),
    "admin.settings_form": ("GET", lambda w: "/admin/settings", None, ADMINS),
    "admin.points_form": ("GET", lambda w: "/admin/points", None, ADMINS),
    "admin.privileges_form": ("GET", lambda w: "/admin/privileges", None, ADMINS),
    "admin.update_settings": ("POST", lambda w: "/admin/settings", lambda w: {}, ADMINS),
    "admin.apply_points_preset": ("POST", lambda w: "/admin/points/preset", lambda w: {"preset": "default"}, ADMINS),
    "admin.user": ("GET", lambda w: "/admin/users/member", None, ADMINS),
    "admin.set_level": ("POST", lambda w: "/admin/users/member/level", lambda w: {"level": "10"}, ADMINS),
}


def test_every_endpoint_has_a_row(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    missing = endpoints - set(MATRIX)
    stale = set(MATRIX) - endpoints
    assert not missing, f"decide who may use these routes: {sorted(missing)}"
    assert not stale, f"rows for routes that no longer exist: {sorted(stale)}"


@pytest.fixture
def world(make_user):
    owner = make_user("owner")
    make_user("member")
    make_user("editor", level=Level.EDITOR)
    make_user("moderator", level=Level.MODERATOR)
    make_user("admin", level=Level.ADMIN)
    category = make_category("Feelings")
    question = make_question(owner, category=category, tags="sleep")
    answer = make_answer(question, owner)
    return {"question": question.id, "answer": answer.id, "category": category.id}


def refused(response):
    if response.status_code in (401, 403):
        return True
    location = response.headers.get("Location", "")
    # Flask-Login sends guests to the login page with ?next=; a plain redirect to
    # /login (after logging out everywhere) is not a refusal.
    return response.status_code in (301, 302, 303) and "/login?next=" in location


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(MATRIX))
def test_authorization_matrix(client, world, endpoint, role):
    method, url, data, allowed = MATRIX[endpoint]
    if role != "guest":
        response = client.post("/login", data={"username": role, "password": PASSWORD})
        assert response.status_code == 302
    if method == "GET":
        response = client.get(url(world))
    else:
        response = client.post(url(world), data=data(world))
    assert response.status_code < 500
    if role in allowed:
        assert not refused(response), f"{role} was refused {endpoint}: {response.status_code}"
    else:
        assert refused(response), f"{role} was allowed {endpoint}: {response.status_code}"
