"""The admin members list (search, pages, emails) and the posting limits on /admin/settings."""
import html as html_lib
import re

import pytest

from forum.extensions import db
from forum.models import Level, User
from forum.services import answers, comments, posting, questions, settings
from forum.services.errors import ValidationFailed
from forum.text import canonical
from forum.views.admin import MEMBERS_PER_PAGE
from tests.factories import make_question


def field_error(html, field):
    parts = html.split(f'id="{field}-error"', 1)
    if len(parts) != 2:
        return None
    return html_lib.unescape(parts[1].split("</p>", 1)[0])


def listed(html):
    """Return the usernames in the members table, in order."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return re.findall(r'<a href="/admin/users/[^"]+">([^<]+)</a>', body)


@pytest.fixture
def as_admin(client, auth, admin):
    auth.login(admin)
    return client


def add_members(names):
    """Add members quickly (no password hashing: these never log in)."""
    for name in names:
        db.session.add(User(username=name, username_canonical=canonical(name),
                            email=f"{canonical(name)}@example.org", email_canonical=f"{canonical(name)}@example.org",
                            password_hash=None, level=int(Level.BASIC), points=100))
    db.session.commit()


# --- The members list -------------------------------------------------------------


def test_the_list_shows_name_level_points_joined_and_email(as_admin, make_user):
    make_user("Beatrix", level=Level.EDITOR, points=1234, email="bea@mail.example")
    response = as_admin.get("/admin/users")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert listed(html) == ["ada", "Beatrix"]
    row = html.split('href="/admin/users/Beatrix"', 1)[1].split("</tr>", 1)[0]
    assert ">Editor<" in row and ">1234<" in row and "bea@mail.example" in row
    beatrix = db.session.scalar(db.select(User).where(User.username == "Beatrix"))
    assert beatrix.created_at.strftime("%Y-%m-%d") in row
    assert response.headers["Cache-Control"] == "no-store"
    assert 'href="/admin/users"' in html and 'aria-current="page">Members' in html  # the admin nav


def test_each_member_links_to_the_level_page(as_admin, member):
    html = as_admin.get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/users/alex"' in html
    assert as_admin.get("/admin/users/alex").status_code == 200


@pytest.mark.parametrize("query, expected", [
    ("ale", ["alex", "Alexandra", "Dale"]),
    ("ALE", ["alex", "Alexandra", "Dale"]),
    ("ＡＬＥ", ["alex", "Alexandra", "Dale"]),  # full-width letters compare canonically
    ("xandra", ["Alexandra"]),
    ("  dale ", ["Dale"]),
    ("%", []),  # a literal percent sign, not a wildcard
    ("_", ["bo_b"]),
    ("nobody", []),
])
def test_search_by_canonical_username_contains(as_admin, query, expected):
    add_members(["alex", "Alexandra", "Dale", "bo_b", "Carol"])
    response = as_admin.get("/admin/users", query_string={"q": query})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert listed(html) == expected
    if not expected:
        assert "No members whose name contains" in html


def test_the_search_keeps_what_was_typed(as_admin):
    html = as_admin.get("/admin/users", query_string={"q": "ale"}).get_data(as_text=True)
    assert 'name="q"' in html and 'value="ale"' in html


def test_a_bad_search_is_refused_next_to_the_field(as_admin):
    response = as_admin.get("/admin/users", query_string={"q": "x" * 61})
    assert response.status_code == 400
    assert "at most 60" in field_error(response.get_data(as_text=True), "q")


def test_the_list_is_paginated(as_admin):
    add_members([f"user{i:03d}" for i in range(MEMBERS_PER_PAGE + 5)])
    first = as_admin.get("/admin/users").get_data(as_text=True)
    assert len(listed(first)) == MEMBERS_PER_PAGE
    assert listed(first)[0] == "ada"
    assert 'href="/admin/users?page=2"' in first and 'rel="prev"' not in first
    second = as_admin.get("/admin/users?page=2").get_data(as_text=True)
    assert listed(second) == [f"user{i:03d}" for i in range(MEMBERS_PER_PAGE - 1, MEMBERS_PER_PAGE + 5)]
    assert 'rel="next"' not in second and 'href="/admin/users?page=1"' in second
    assert as_admin.get("/admin/users?page=3").status_code == 404
    assert as_admin.get("/admin/users?page=abc").status_code == 404
    assert as_admin.get("/admin/users?page=0").status_code == 404


def test_pages_keep_the_search(as_admin):
    add_members([f"user{i:03d}" for i in range(MEMBERS_PER_PAGE + 1)] + ["other"])
    html = as_admin.get("/admin/users?q=user").get_data(as_text=True)
    assert 'href="/admin/users?page=2&amp;q=user"' in html
    assert listed(as_admin.get("/admin/users?page=2&q=user").get_data(as_text=True)) == [f"user{MEMBERS_PER_PAGE:03d}"]


@pytest.mark.parametrize("role", ["guest", "member", "editor", "moderator"])
def test_non_admins_get_403(client, auth, make_user, role):
    if role != "guest":
        level = {"member": Level.BASIC, "editor": Level.EDITOR, "moderator": Level.MODERATOR}[role]
        auth.login(make_user(role, level=level))
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/users?q=a").status_code == 403


def test_emails_are_shown_only_in_the_admin_area(client, auth, make_user, admin):
    make_user("quiet", email="quiet.person@mail.example")
    auth.login(make_user("mod", level=Level.MODERATOR))
    for path in ("/users", "/users/quiet", "/"):
        assert "quiet.person@mail.example" not in client.get(path).get_data(as_text=True)
    assert client.get("/admin/users").status_code == 403
    auth.logout()
    auth.login(admin)
    assert "quiet.person@mail.example" in client.get("/admin/users").get_data(as_text=True)
    assert "quiet.person@mail.example" not in client.get("/users/quiet").get_data(as_text=True)


# --- Posting limits on /admin/settings --------------------------------------------
# TODO(admin-area): these belong with tests/test_admin.py or tests/test_posting.py.

POSTING_KEYS = ["title_min_length", "title_max_length", "question_body_max_length",
                "answer_body_max_length", "comment_body_max_length"]


def settings_data(**changes):
    """Every field of the general settings form, as currently set, with ``changes``."""
    data = {}
    for key, spec in settings.GENERAL_SPECS.items():
        value = settings.get(key)
        if spec.type is bool:
            if value:
                data[key] = "y"
        else:
            data[key] = str(value)
    data.update({key: str(value) for key, value in changes.items()})
    return data


def test_the_defaults_are_the_posting_constants(app):
    assert settings.get("title_min_length") == posting.TITLE_MIN
    assert settings.get("title_max_length") == posting.TITLE_MAX
    for kind in ("question", "answer", "comment"):
        assert settings.get(f"{kind}_body_max_length") == posting.BODY_MAX[kind]


def test_the_limits_are_on_the_settings_page(as_admin):
    html = as_admin.get("/admin/settings").get_data(as_text=True)
    for key in POSTING_KEYS:
        assert f'name="{key}"' in html
    assert 'value="200"' in html and 'value="2000"' in html


def test_a_title_max_of_60_refuses_a_61_character_title(as_admin, admin):
    response = as_admin.post("/admin/settings", data=settings_data(title_max_length=60))
    assert response.status_code == 302, field_error(response.get_data(as_text=True), "title_max_length")
    assert settings.get("title_max_length") == 60
    title = "How do I " + "x" * 50 + "??"
    assert len(title) == 61
    response = as_admin.post("/ask", data={"title": title, "body": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Keep the title under 60 characters." in field_error(html, "title")
    assert f'value="{title}"' in html
    # 60 characters is fine.
    question = make_question(admin, title=title[:-1])
    assert question.title == title[:-1]


def test_the_limits_apply_at_call_time(app, admin, member):
    settings.update_settings(admin, {"title_min_length": 20, "answer_body_max_length": 100,
                                     "comment_body_max_length": 100, "question_body_max_length": 100})
    db.session.commit()
    with pytest.raises(ValidationFailed) as refused:
        questions.ask_question(member, "Too short a title?", "")
    assert "at least 20 characters" in refused.value.errors["title"][0]
    db.session.rollback()
    with pytest.raises(ValidationFailed) as refused:
        questions.ask_question(member, "A long enough title for this?", "q" * 101)
    assert "keep it under 100" in refused.value.errors["body"][0]
    db.session.rollback()
    question = make_question(member, title="A long enough title for this?", body="q" * 100)
    with pytest.raises(ValidationFailed) as refused:
        answers.post_answer(question, admin, "a" * 101)
    assert "keep it under 100" in refused.value.errors["body"][0]
    db.session.rollback()
    with pytest.raises(ValidationFailed) as refused:
        comments.post_comment(question, admin, "c" * 101)
    assert "keep it under 100" in refused.value.errors["body"][0]
    db.session.rollback()


def test_changing_a_limit_is_audited(as_admin, admin):
    as_admin.post("/admin/settings", data=settings_data(comment_body_max_length=500))
    from forum.services import audit

    [entry] = audit.entries(action="settings")[0]
    assert audit.details_of(entry) == {"setting": "comment_body_max_length", "old": 2000, "new": 500}


@pytest.mark.parametrize("key, value, message", [
    ("title_min_length", 0, "between 1 and 50"),
    ("title_min_length", 51, "between 1 and 50"),
    ("title_max_length", 49, "between 50 and 200"),
    # The database stores titles of up to 200 characters, so 300 can't be allowed.
    ("title_max_length", 201, "between 50 and 200"),
    ("question_body_max_length", 99, "between 100 and 100000"),
    ("answer_body_max_length", 100_001, "between 100 and 100000"),
    ("comment_body_max_length", "lots", "Not a valid integer value."),
])
def test_limits_out_of_bounds_are_refused_next_to_the_field(as_admin, key, value, message):
    response = as_admin.post("/admin/settings", data=settings_data(**{key: value}))
    assert response.status_code == 400
    assert message in field_error(response.get_data(as_text=True), key)
    assert settings.get(key) == settings.SPECS[key].default
