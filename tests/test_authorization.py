"""Every route of the URL map, for every kind of visitor: allowed or refused.

An endpoint without a row here fails the suite, so every new route must be decided.
"""
import pytest

from forum.extensions import db
from forum.models import Level
from forum.services import answers, credentials, queue
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
    "theme.edit": ("GET", lambda w: "/theme", None, ALL),
    "theme.update": ("POST", lambda w: "/theme", lambda w: {"theme": "dark"}, ALL),
    "questions.index": ("GET", lambda w: "/", None, ALL),
    "questions.unanswered": ("GET", lambda w: "/unanswered", None, ALL),
    "questions.categories_index": ("GET", lambda w: "/categories", None, ALL),
    "questions.category": ("GET", lambda w: "/categories/feelings", None, ALL),
    "questions.tag": ("GET", lambda w: "/tags/sleep", None, ALL),
    # Old addresses of imported sites: public redirects (a 404 when nothing was imported there).
    "legacy.post": ("GET", lambda w: "/12345/an-old-question", None, ALL),
    "legacy.user": ("GET", lambda w: "/user/old-handle", None, ALL),
    "legacy.category": ("GET", lambda w: "/questions/old-parent/old-child", None, ALL),
    "legacy.tag": ("GET", lambda w: "/tag/old-tag", None, ALL),
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
    # The editor's live preview: whoever may write (guests too, while the site lets them post).
    "previews.create": ("POST", lambda w: "/preview", lambda w: {"kind": "answer", "body": "**Hello**"}, ALL),
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
    # Flags: any member on others' posts (not their own).
    "flags.new": ("GET", lambda w: f"/posts/{w['answer']}/flag", None, MEMBERS - {"owner"}),
    "flags.create": ("POST", lambda w: f"/posts/{w['answer']}/flag", lambda w: {"reason": "spam"},
                     MEMBERS - {"owner"}),
    "moderation.queue_index": ("GET", lambda w: "/moderation/queue", None, MODERATORS),
    "moderation.queue_item": ("GET", lambda w: f"/moderation/queue/{w['item']}", None, MODERATORS),
    "moderation.queue_step": ("POST", lambda w: f"/moderation/queue/{w['item']}/claim", lambda w: {},
                              MODERATORS),
    "sanctions.member": ("GET", lambda w: "/moderation/members/member", None, MODERATORS),
    "sanctions.block": ("POST", lambda w: "/moderation/members/member/block",
                        lambda w: {"duration": "day", "reason": "spam"}, MODERATORS),
    "sanctions.unblock": ("POST", lambda w: "/moderation/members/member/unblock", lambda w: {}, MODERATORS),
    "sanctions.block_address": ("POST", lambda w: f"/posts/{w['answer']}/block-address",
                                lambda w: {"duration": "day", "reason": "spam"}, MODERATORS),
    "admin_moderation.phrase_lists": ("GET", lambda w: "/admin/phrases", None, ADMINS),
    "admin_moderation.add_phrase": ("POST", lambda w: "/admin/phrases",
                                    lambda w: {"list_name": "blocked", "pattern": "spam*"}, ADMINS),
    "admin_moderation.remove_phrase": ("POST", lambda w: "/admin/phrases/999999/delete", lambda w: {}, ADMINS),
    "admin_moderation.addresses": ("GET", lambda w: "/admin/addresses", None, ADMINS),
    "admin_moderation.add_address_block": ("POST", lambda w: "/admin/addresses",
                                           lambda w: {"network": "203.0.113.0/24", "reason": "spam",
                                                      "duration": "day"}, ADMINS),
    "admin_moderation.lift_address_block": ("POST", lambda w: "/admin/addresses/999999/delete",
                                            lambda w: {}, ADMINS),
    # Notifications: members only; the unsubscribe link works for anyone holding a token.
    "notifications.index": ("GET", lambda w: "/notifications", None, MEMBERS),
    "notifications.mark_read": ("POST", lambda w: "/notifications/read", lambda w: {}, MEMBERS),
    "notifications.open_notification": ("GET", lambda w: "/notifications/999999", None, MEMBERS),
    "notifications.preferences": ("POST", lambda w: "/notifications/preferences", lambda w: {"answer": "y"}, MEMBERS),
    "notifications.follow": ("POST", lambda w: f"/follow/question/{w['question']}", lambda w: {}, MEMBERS),
    "notifications.updates": ("GET", lambda w: "/updates", None, MEMBERS),
    "notifications.unsubscribe_form": ("GET", lambda w: "/unsubscribe/not-a-token", None, ALL),
    "notifications.unsubscribe": ("POST", lambda w: "/unsubscribe/not-a-token", lambda w: {}, ALL),
    # Safety: help for everyone; risk reports by anyone but the author; settings for members.
    "safety.help_now": ("GET", lambda w: "/help", None, ALL),
    "safety.guidelines": ("GET", lambda w: "/guidelines", None, ALL),
    "safety.new_report": ("GET", lambda w: f"/posts/{w['answer']}/at-risk", None, ALL - {"owner"}),
    "safety.report": ("POST", lambda w: f"/posts/{w['answer']}/at-risk", lambda w: {"note": "worried"},
                      ALL - {"owner"}),
    "safety.risk_level": ("POST", lambda w: f"/moderation/queue/{w['item']}/risk-level",
                          lambda w: {"level": "high"}, MODERATORS),
    "safety.settings_form": ("GET", lambda w: "/account/safety", None, MEMBERS),
    "safety.update_settings": ("POST", lambda w: "/account/safety", lambda w: {"muted_words": "spam"}, MEMBERS),
    "safety.take_a_break": ("POST", lambda w: "/account/break", lambda w: {"length": "day"}, MEMBERS),
    "admin_moderation.crisis_resources": ("GET", lambda w: "/admin/crisis-resources", None, ADMINS),
    "admin_moderation.update_crisis_resources": ("POST", lambda w: "/admin/crisis-resources",
                                                 lambda w: {"resources": "[]"}, ADMINS),
    # Revealing who wrote an anonymous post: moderators, with a reason.
    "curation.reveal_form": ("GET", lambda w: f"/posts/{w['anon']}/reveal", None, MODERATORS),
    "curation.reveal": ("POST", lambda w: f"/posts/{w['anon']}/reveal", lambda w: {"reason": "abuse"}, MODERATORS),
    # Verified professionals: members apply and withdraw their own; moderators review others'.
    "credentials.mine": ("GET", lambda w: "/account/credentials", None, MEMBERS),
    "credentials.apply": ("POST", lambda w: "/account/credentials", lambda w: {"kind": "counsellor"}, MEMBERS),
    "credentials.withdraw": ("POST", lambda w: f"/account/credentials/{w['credential']}/withdraw",
                             lambda w: {}, {"owner"}),
    "credentials.queue": ("GET", lambda w: "/moderation/credentials", None, MODERATORS),
    "credentials.review": ("GET", lambda w: f"/moderation/credentials/{w['credential']}", None, MODERATORS),
    "credentials.decide": ("POST", lambda w: f"/moderation/credentials/{w['credential']}/verify",
                           lambda w: {"expires_on": w["expires_on"]}, MODERATORS),
    "auth.register_form": ("GET", lambda w: "/register", None, ALL),
    "auth.register": ("POST", lambda w: "/register", lambda w: {}, ALL),
    "auth.login_form": ("GET", lambda w: "/login", None, ALL),
    "auth.login": ("POST", lambda w: "/login", lambda w: {}, ALL),
    "auth.logout": ("POST", lambda w: "/logout", lambda w: {}, ALL),
    "auth.account": ("GET", lambda w: "/account", None, MEMBERS),
    "auth.change_password": ("POST", lambda w: "/account/password", lambda w: {}, MEMBERS),
    "auth.logout_everywhere": ("POST", lambda w: "/account/logout-everywhere", lambda w: {}, MEMBERS),
    # One's own sessions: any member on their own (someone else's answers 404: see test_member_sessions).
    "sessions.end": ("POST", lambda w: "/account/sessions/999999/end", lambda w: {}, MEMBERS),
    "sessions.end_others": ("POST", lambda w: "/account/sessions/end-others", lambda w: {}, MEMBERS),
    # The password again before sensitive staff actions: any member may be asked.
    "reauth.form": ("GET", lambda w: "/reauthenticate?next=/admin/settings", None, MEMBERS),
    "reauth.confirm": ("POST", lambda w: "/reauthenticate", lambda w: {"password": "wrong"}, MEMBERS),
    # Account emails: anyone may ask for links; the link itself (here a bad one) is the check.
    "auth.check_email": ("GET", lambda w: "/check-email", None, ALL),
    "auth.resend_verification": ("POST", lambda w: "/verify/resend",
                                 lambda w: {"email": "someone@example.org"}, ALL),
    "auth.verify_email_form": ("GET", lambda w: "/verify/not-a-token", None, ALL),
    "auth.verify_email": ("POST", lambda w: "/verify/not-a-token", lambda w: {}, ALL),
    "auth.forgot_password_form": ("GET", lambda w: "/password/forgot", None, ALL),
    "auth.forgot_password": ("POST", lambda w: "/password/forgot",
                             lambda w: {"email": "someone@example.org"}, ALL),
    "auth.reset_password_form": ("GET", lambda w: "/password/reset/not-a-token", None, ALL),
    "auth.reset_password": ("POST", lambda w: "/password/reset/not-a-token", lambda w: {}, ALL),
    "auth.change_email": ("POST", lambda w: "/account/email", lambda w: {}, MEMBERS),
    # One's own data: every route acts on the logged-in member, none names an account.
    "account_data.index": ("GET", lambda w: "/account/data", None, MEMBERS),
    "account_data.request_export": ("POST", lambda w: "/account/data/export", lambda w: {}, MEMBERS),
    "account_data.download": ("GET", lambda w: "/account/data/download/not-a-token", None, MEMBERS),
    "account_data.delete_form": ("GET", lambda w: "/account/delete", None, MEMBERS),
    "account_data.delete_account": ("POST", lambda w: "/account/delete",
                                    lambda w: {"mode": "anonymise", "password": "not the password"}, MEMBERS),
    "users.index": ("GET", lambda w: "/users", None, ALL),
    "users.show": ("GET", lambda w: "/users/owner", None, ALL),
    "search.index": ("GET", lambda w: "/search?q=sleep&sort=newest", None, ALL),
    "search.similar": ("GET", lambda w: "/search/similar?title=How+can+I+sleep", None, ALL),
    "search.robots": ("GET", lambda w: "/robots.txt", None, ALL),
    "search.sitemap": ("GET", lambda w: "/sitemap.xml", None, ALL),
    "search.sitemap_part": ("GET", lambda w: "/sitemap-1.xml", None, ALL),
    "feeds.index": ("GET", lambda w: "/feeds/questions.atom", None, ALL),
    "feeds.unanswered": ("GET", lambda w: "/feeds/unanswered.atom", None, ALL),
    "feeds.category": ("GET", lambda w: "/feeds/categories/feelings.atom", None, ALL),
    "feeds.tag": ("GET", lambda w: "/feeds/tags/sleep.atom", None, ALL),
    "feeds.question": ("GET", lambda w: f"/feeds/questions/{w['question']}.atom", None, ALL),
    "search.rankings": ("GET", lambda w: "/questions?sort=hot", None, ALL),
    "search.ranked": ("GET", lambda w: "/questions/hot", None, ALL),
    "admin.index": ("GET", lambda w: "/admin/", None, ADMINS),
    "admin.settings_form": ("GET", lambda w: "/admin/settings", None, ADMINS),
    "admin.points_form": ("GET", lambda w: "/admin/points", None, ADMINS),
    "admin.privileges_form": ("GET", lambda w: "/admin/privileges", None, ADMINS),
    "admin.update_settings": ("POST", lambda w: "/admin/settings", lambda w: {}, ADMINS),
    "admin.apply_points_preset": ("POST", lambda w: "/admin/points/preset", lambda w: {"preset": "default"}, ADMINS),
    "admin.user": ("GET", lambda w: "/admin/users/member", None, ADMINS),
    "admin.set_level": ("POST", lambda w: "/admin/users/member/level", lambda w: {"level": "10"}, ADMINS),
    "admin.users": ("GET", lambda w: "/admin/users?q=mem", None, ADMINS),
    # Categories admin: every route admin-only; refusals of bad input (400/409) still count as allowed.
    "admin_categories.index": ("GET", lambda w: "/admin/categories", None, ADMINS),
    "admin_categories.create": ("POST", lambda w: "/admin/categories",
                                lambda w: {"title": "Work", "slug": "", "parent": "", "description": ""}, ADMINS),
    "admin_categories.edit": ("GET", lambda w: f"/admin/categories/{w['category']}", None, ADMINS),
    "admin_categories.update": ("POST", lambda w: f"/admin/categories/{w['category']}",
                                lambda w: {"title": "Feelings", "slug": "feelings", "description": "Moods."},
                                ADMINS),
    "admin_categories.move": ("POST", lambda w: f"/admin/categories/{w['category']}/move",
                              lambda w: {"parent": ""}, ADMINS),
    "admin_categories.reorder": ("POST", lambda w: f"/admin/categories/{w['category']}/position",
                                 lambda w: {"direction": "up"}, ADMINS),
    "admin_categories.merge": ("POST", lambda w: f"/admin/categories/{w['category']}/merge",
                               lambda w: {"target": str(w["category"])}, ADMINS),
    "admin_categories.delete": ("POST", lambda w: f"/admin/categories/{w['category']}/delete",
                                lambda w: {}, ADMINS),
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
    item = queue.enqueue("flag", answer, cause="test")
    anon = answers.post_answer(question, owner, "An anonymous answer.", anonymous=True)
    credential = credentials.apply(owner, "psychiatrist", "GMC 1234567", "General Medical Council", "UK")
    db.session.commit()
    return {"question": question.id, "answer": answer.id, "category": category.id, "item": item.id,
            "anon": anon.id, "credential": credential.id, "expires_on": f"{credentials.today().year + 2}-01-01"}


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
