"""The points scheme and privileges pages, presets, recompute-points, top members, titles."""
import pytest
from sqlalchemy import update

from forum.extensions import db
from forum.models import Level, User
from forum.services import points, settings
from tests.factories import make_answer, make_question


def scheme_form(**changes):
    data = {spec.key: str(spec.default) for spec in settings.POINTS_SPECS}
    data.update({key: str(value) for key, value in changes.items()})
    return data


@pytest.mark.parametrize("path", ["/admin/points", "/admin/privileges"])
@pytest.mark.parametrize("who, status", [("guest", 403), ("member", 403), ("moderator", 403), ("admin", 200)])
def test_only_admins_reach_the_points_and_privileges_pages(client, auth, make_user, path, who, status):
    if who != "guest":
        auth.login(make_user(who, level={"member": Level.BASIC, "moderator": Level.MODERATOR,
                                         "admin": Level.ADMIN}[who]))
    assert client.get(path).status_code == status


def test_changing_the_scheme_recalculates_everyone(client, auth, admin, make_user):
    answerer = make_user("helper")
    make_answer(make_question(), answerer)
    assert db.session.get(User, answerer.id).points == 100 + 10 * 4
    auth.login(admin)
    response = client.post("/admin/points", data=scheme_form(points_post_a=10))
    assert response.status_code == 302
    assert db.session.get(User, answerer.id).points == 100 + 10 * 10
    assert points.find_mismatches() == []


def test_the_care_preset_gives_points_only_for_being_helpful(client, auth, admin, make_user):
    asker, answerer = make_user("asker"), make_user("answerer")
    question = make_question(asker)
    make_answer(question, answerer)
    auth.login(admin)
    assert client.post("/admin/points/preset", data={"preset": "care"}).status_code == 302
    assert db.session.get(User, asker.id).points == 100
    assert db.session.get(User, answerer.id).points == 100
    assert client.post("/admin/points/preset", data={"preset": "default"}).status_code == 302
    assert db.session.get(User, answerer.id).points == 140
    assert client.post("/admin/points/preset", data={"preset": "greedy"}).status_code == 400


@pytest.mark.parametrize("field, value", [("points_multiple", "-1"), ("points_base", "lots"),
                                          ("points_a_selected", "")])
def test_bad_scheme_values_are_refused_and_nothing_changes(client, auth, admin, field, value):
    auth.login(admin)
    response = client.post("/admin/points", data=scheme_form(**{field: value}))
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.get_data(as_text=True)
    assert settings.get(field) == settings.SPECS[field].default


def test_privilege_thresholds_are_settings(client, auth, admin, make_user):
    from forum.permissions import has_privilege

    voter = make_user("voter")
    assert has_privilege(voter, "vote_up") and not has_privilege(voter, "vote_down")
    auth.login(admin)
    data = {spec.key: str(spec.default) for spec in settings.PRIVILEGE_SPECS}
    data["privilege_vote_down_points"] = "100"
    assert client.post("/admin/privileges", data=data).status_code == 302
    assert has_privilege(db.session.get(User, voter.id), "vote_down")


def test_recompute_points_check_and_repair(runner, make_user):
    user = make_user("drifter")
    make_question(user)
    assert runner.invoke(args=["forum", "recompute-points", "--check"]).exit_code == 0
    db.session.execute(update(User).where(User.id == user.id).values(points=5))
    db.session.commit()
    result = runner.invoke(args=["forum", "recompute-points", "--check"])
    assert result.exit_code == 1 and "drifter" in result.output and "stored 5, recount 120" in result.output
    assert runner.invoke(args=["forum", "check"]).exit_code == 1
    result = runner.invoke(args=["forum", "recompute-points"])
    assert result.exit_code == 0 and "1 members changed" in result.output
    assert db.session.get(User, user.id).points == 120


def test_top_members_all_time_and_this_week(client, make_user):
    make_user("quiet")
    busy = make_user("busy")
    for i in range(3):
        make_answer(make_question(title=f"Question number {i} about sleep?"), busy)
    html = client.get("/users").get_data(as_text=True)
    assert html.index("busy") < html.index("quiet")
    week = client.get("/users?period=week").get_data(as_text=True)
    assert "busy" in week and "120 points this week" in week and "quiet" not in week
    assert client.get("/users?period=year").status_code == 404


@pytest.mark.parametrize("value, expected", [(0, "New member"), (299, "New member"), (300, "Member"),
                                             (25_000, "Pillar of the community")])
def test_member_titles_by_points(app, value, expected):
    assert settings.member_title(value) == expected


def test_member_titles_must_parse(client, auth, admin):
    auth.login(admin)
    data = {key: str(settings.get(key)) for key in settings.GENERAL_SPECS}
    data.update({"guests_may_post": "y", "comment_votes": "", "member_titles": "lots: Hero"})
    response = client.post("/admin/settings", data=data)
    assert response.status_code == 400
    assert "is not “points: title”" in response.get_data(as_text=True)


def test_points_show_compactly_next_to_names(client, make_user):
    star = make_user("star", points=4_912)
    make_question(star)
    html = client.get("/").get_data(as_text=True)
    assert "star</a>" in html and "(4.9k points)" in html
