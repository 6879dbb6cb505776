"""Settings, the admin page, and the create-admin and set-level commands."""
import pytest

from forum.models import Level
from forum.services import accounts, settings


def test_the_home_page_shows_the_site_name_and_tagline(client):
    html = client.get("/").get_data(as_text=True)
    assert "<title>Recent questions – Forum</title>" in html and ">Forum</a>" in html
    assert "where you can ask questions about relationships and mental health" in html


def test_settings_have_typed_defaults(app):
    assert settings.get("site_name") == "Forum"
    assert settings.get("guests_may_post") is True
    assert isinstance(settings.get("answers_per_page"), int)


@pytest.mark.parametrize("who, status", [("guest", 403), ("member", 403), ("moderator", 403), ("admin", 200)])
def test_only_admins_see_the_settings_page(client, auth, make_user, who, status):
    if who != "guest":
        level = {"member": Level.BASIC, "moderator": Level.MODERATOR, "admin": Level.ADMIN}[who]
        auth.login(make_user(who, level=level))
    assert client.get("/admin/settings").status_code == status
    response = client.post("/admin/settings", data={"site_name": "Hacked"})
    assert response.status_code == (status if status != 200 else 400)
    assert settings.get("site_name") == "Forum"


def general_form(**changes):
    """Every general setting at its default (booleans ticked when true), with changes."""
    data = {}
    for key, spec in settings.GENERAL_SPECS.items():
        if spec.type is bool:
            if spec.default:
                data[key] = "y"
        else:
            data[key] = str(spec.default)
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def test_an_admin_changes_the_name_and_tagline(client, auth, admin):
    auth.login(admin)
    response = client.post("/admin/settings", data=general_form(
        site_name="Mind Wellness", tagline="Welcome to Mind Wellness, where you can ask questions.",
        guests_may_post=None, answers_per_page="15"))
    assert response.status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert "Mind Wellness" in html and "Welcome to Mind Wellness" in html
    assert settings.get("guests_may_post") is False
    assert settings.get("answers_per_page") == 15
    assert client.get("/admin/settings").headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("site_name", "", "This cannot be empty."),
        ("site_name", "x" * 61, "60"),
        ("answers_per_page", "many", "Not a valid integer value."),
        ("answers_per_page", "1000", "Number must be between 5 and 200."),
        ("tagline", "bell\x07", "control characters"),
    ],
)
def test_bad_settings_are_refused_next_to_the_field(client, auth, admin, field, value, message):
    auth.login(admin)
    data = general_form(tagline="Hello there")
    data[field] = value
    response = client.post("/admin/settings", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html.split(f'id="{field}-error"', 1)[1].split("</p>", 1)[0]
    assert settings.get("tagline") != "Hello there"  # nothing half-saved


def test_create_admin_command_makes_an_admin_who_can_change_settings(runner, client):
    result = runner.invoke(args=["forum", "create-admin", "root2", "--email", "root@example.org",
                                 "--password", "a long admin passphrase"])
    assert result.exit_code == 0, result.output
    user = accounts.get_user_by_name("root2")
    assert user.level == Level.ADMIN
    client.post("/login", data={"username": "root2", "password": "a long admin passphrase"})
    assert client.get("/admin/settings").status_code == 200


def test_create_admin_refuses_a_weak_password(runner):
    result = runner.invoke(args=["forum", "create-admin", "boss", "--email", "b@example.org",
                                 "--password", "short"])
    assert result.exit_code == 1
    assert "at least 12" in result.output
    assert accounts.get_user_by_name("boss") is None


def test_set_level_command(runner, member):
    result = runner.invoke(args=["forum", "set-level", "alex", "moderator"])
    assert result.exit_code == 0, result.output
    assert accounts.get_user_by_name("alex").level == Level.MODERATOR
    assert runner.invoke(args=["forum", "set-level", "ghost", "editor"]).exit_code == 1


def test_admin_sets_a_member_level_on_the_web(client, auth, admin, member):
    auth.login(admin)
    assert client.get("/admin/users/alex").status_code == 200
    response = client.post("/admin/users/alex/level", data={"level": str(int(Level.EDITOR))})
    assert response.status_code == 302
    assert accounts.get_user_by_name("alex").level == Level.EDITOR


def test_an_admin_cannot_make_another_admin_or_touch_one(client, auth, admin, make_user):
    other = make_user("otheradmin", level=Level.ADMIN)
    auth.login(admin)
    assert client.post("/admin/users/alex2/level", data={"level": "0"}).status_code == 404
    assert client.post(f"/admin/users/{other.username}/level", data={"level": "0"}).status_code == 403
    assert accounts.get_user_by_name("otheradmin").level == Level.ADMIN
