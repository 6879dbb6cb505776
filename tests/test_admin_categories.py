"""The categories admin: create, edit, move, reorder, merge and delete; counts, audit, refusals."""
import html as html_lib
import re

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Category, Level, ModerationAction, Question, Revision
from forum.services import audit, categories, category_admin, curation, editing, integrity
from forum.services.errors import Conflict, ValidationFailed
from tests.factories import make_category, make_question
from tests.fixtures.users import PASSWORD

# --- Helpers -----------------------------------------------------------------


def field_error(html, field):
    """Return the error text shown next to ``field`` (``id="<field>-error"``), or None."""
    parts = html.split(f'id="{field}-error"', 1)
    if len(parts) != 2:
        return None
    return html_lib.unescape(parts[1].split("</p>", 1)[0])


def input_value(html, name):
    """Return the value attribute of the input named ``name``, or None."""
    match = re.search(rf'<input[^>]*name="{name}"[^>]*value="([^"]*)"', html)
    return match.group(1) if match else None


def fresh(category_id):
    """Reload a category from the database (the client's requests ran elsewhere), or None."""
    db.session.expire_all()
    categories.forget_cached()
    return db.session.scalar(select(Category).where(Category.id == category_id))


def count_of(category_id):
    return fresh(category_id).question_count


def actions(name):
    return list(db.session.scalars(select(ModerationAction).where(ModerationAction.action == name)))


def no_drift():
    db.session.expire_all()
    categories.forget_cached()
    return integrity.find_drift() == []


def form(title="Work", slug="", parent="", description=""):
    return {"title": title, "slug": slug, "parent": str(parent) if parent else "", "description": description}


@pytest.fixture
def as_admin(client, auth, admin):
    auth.login(admin)
    return client


@pytest.fixture
def asker(make_user):
    return make_user("sam")


# --- The tree page ----------------------------------------------------------------


def test_the_tree_shows_nested_categories_with_counts(as_admin, asker):
    feelings = make_category("Feelings")
    grief = make_category("Grief", parent=feelings)
    make_question(asker, category=grief)
    html = as_admin.get("/admin/categories").get_data(as_text=True)
    assert ">Feelings</a>" in html and ">Grief</a>" in html
    assert html.index("Feelings") < html.index("Grief")
    assert f'href="/admin/categories/{grief.id}"' in html
    assert "1 question · level 2" in html  # Grief, and Feelings counts it too
    assert html.count("1 question ·") == 2
    assert 'action="/admin/categories"' in html and 'name="csrf_token"' in html


# --- Create -----------------------------------------------------------------------


def test_create_at_each_level_up_to_four_then_refuse_the_fifth(as_admin):
    parent_id = ""
    for level in range(1, 5):
        response = as_admin.post("/admin/categories", data=form(f"Level {level}", parent=parent_id))
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/admin/categories")
        created = categories.get_by_slug(f"level-{level}")
        assert created is not None and category_admin.depth_of(created) == level
        parent_id = created.id
        assert no_drift()
    assert "Category “Level 4” created." in as_admin.get("/admin/categories").get_data(as_text=True)

    response = as_admin.post("/admin/categories", data=form("Level five", slug="five", parent=parent_id,
                                                            description="Too deep"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "at most 4 levels" in field_error(html, "parent")
    assert input_value(html, "title") == "Level five" and input_value(html, "slug") == "five"
    assert "Too deep</textarea>" in html
    assert categories.get_by_slug("five") is None
    assert len(actions("category-create")) == 4
    assert no_drift()


def test_create_records_title_slug_parent_and_description(as_admin, admin):
    feelings = make_category("Feelings")
    response = as_admin.post("/admin/categories", data=form(
        "Grief & loss", slug="Grief Loss", parent=feelings.id, description="When someone dies."))
    assert response.status_code == 302
    created = categories.get_by_slug("grief-loss")
    assert (created.title, created.parent_id, created.description) == (
        "Grief & loss", feelings.id, "When someone dies.")
    [entry] = actions("category-create")
    assert entry.actor_id == admin.id
    assert audit.details_of(entry)["slug"] == "grief-loss"
    assert audit.details_of(entry)["parent_id"] == feelings.id
    assert as_admin.get("/categories/grief-loss").status_code == 200


def test_create_refuses_a_slug_in_use_keeping_what_was_typed(as_admin):
    make_category("Sleep")
    response = as_admin.post("/admin/categories", data=form("Sleeping well", slug="sleep"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Another category uses this slug." in field_error(html, "slug")
    assert input_value(html, "title") == "Sleeping well"
    # A title whose slug is taken clashes too.
    response = as_admin.post("/admin/categories", data=form("Sleep"))
    assert response.status_code == 400
    assert "Another category uses this slug." in field_error(response.get_data(as_text=True), "slug")
    assert db.session.scalar(select(func.count(Category.id))) == 1
    assert actions("category-create") == []


@pytest.mark.parametrize("data, field, message", [
    (form(title=""), "title", "Give the category a title."),
    (form(title="x" * 81), "title", "under 80"),
    (form(title="Bell\x07"), "title", "control characters"),
    (form(slug="s" * 81), "slug", "under 80"),
    (form(description="d" * 501), "description", "under 500"),
    (form(parent="abc"), "parent", "Choose one of the listed categories."),
    (form(parent="999999"), "parent", "Choose one of the listed categories."),
])
def test_create_shows_bad_input_next_to_the_field(as_admin, data, field, message):
    response = as_admin.post("/admin/categories", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in (field_error(html, field) or "")
    assert db.session.scalar(select(func.count(Category.id))) == 0


def csrf_token(html):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


@pytest.mark.csrf
def test_create_needs_the_csrf_token_and_keeps_the_typed_text_without_it(client, admin):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": admin.username, "password": PASSWORD, "csrf_token": token})
    response = client.post("/admin/categories", data={**form("Work stress", slug="work"), "csrf_token": "forged"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Your session had expired" in html
    assert input_value(html, "title") == "Work stress" and input_value(html, "slug") == "work"
    assert categories.all_categories() == []
    token = csrf_token(client.get("/admin/categories").get_data(as_text=True))
    response = client.post("/admin/categories", data={**form("Work stress"), "csrf_token": token})
    assert response.status_code == 302
    work = categories.get_by_slug("work-stress")
    response = client.post(f"/admin/categories/{work.id}", data={
        "title": "Work and money", "slug": "", "description": "", "csrf_token": "forged"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Your session had expired" in html
    assert input_value(html, "title") == "Work and money"
    assert fresh(work.id).title == "Work stress"
    # One-button actions are CSRF-checked too.
    assert client.post(f"/admin/categories/{work.id}/delete").status_code == 400
    assert fresh(work.id) is not None
    assert client.post(f"/admin/categories/{work.id}/delete", data={"csrf_token": token}).status_code == 302


# --- Edit -------------------------------------------------------------------------


def test_edit_renames_and_changes_the_slug_audited(as_admin, asker):
    sleep = make_category("Sleep")
    make_question(asker, category=sleep)
    page = as_admin.get(f"/admin/categories/{sleep.id}").get_data(as_text=True)
    assert input_value(page, "title") == "Sleep" and input_value(page, "slug") == "sleep"
    response = as_admin.post(f"/admin/categories/{sleep.id}", data={
        "title": "Sleep and rest", "slug": "rest", "description": "Insomnia, naps, tiredness."})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/categories/{sleep.id}")
    changed = fresh(sleep.id)
    assert (changed.title, changed.slug, changed.description) == (
        "Sleep and rest", "rest", "Insomnia, naps, tiredness.")
    assert as_admin.get("/categories/rest").status_code == 200
    assert as_admin.get("/categories/sleep").status_code == 404  # slugs have no history
    [entry] = actions("category-edit")
    details = audit.details_of(entry)
    assert details["old_slug"] == "sleep" and details["new_slug"] == "rest"
    assert details["old_title"] == "Sleep"
    assert no_drift()


def test_saving_unchanged_records_nothing(as_admin):
    sleep = make_category("Sleep")
    response = as_admin.post(f"/admin/categories/{sleep.id}", data={
        "title": "Sleep", "slug": "sleep", "description": ""}, follow_redirects=True)
    assert "Nothing changed." in response.get_data(as_text=True)
    assert actions("category-edit") == []


def test_a_blank_slug_is_made_from_the_title(as_admin):
    sleep = make_category("Sleep")
    as_admin.post(f"/admin/categories/{sleep.id}", data={"title": "Rest well", "slug": "", "description": ""})
    assert fresh(sleep.id).slug == "rest-well"


def test_edit_refuses_a_slug_another_category_uses(as_admin):
    make_category("Sleep")
    work = make_category("Work")
    response = as_admin.post(f"/admin/categories/{work.id}", data={
        "title": "Work life", "slug": "sleep", "description": "Jobs"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Another category uses this slug." in field_error(html, "slug")
    assert input_value(html, "title") == "Work life" and input_value(html, "slug") == "sleep"
    assert (fresh(work.id).title, fresh(work.id).slug) == ("Work", "work")
    assert actions("category-edit") == []


def test_edit_refuses_an_empty_title(as_admin):
    work = make_category("Work")
    response = as_admin.post(f"/admin/categories/{work.id}", data={"title": "  ", "slug": "jobs", "description": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Give the category a title." in field_error(html, "title")
    assert input_value(html, "slug") == "jobs"


def test_unknown_categories_are_404(as_admin):
    assert as_admin.get("/admin/categories/12345").status_code == 404
    assert as_admin.post("/admin/categories/12345/delete").status_code == 404


# --- Move -------------------------------------------------------------------------


def test_move_recounts_old_and_new_ancestors(as_admin, asker):
    feelings = make_category("Feelings")
    grief = make_category("Grief", parent=feelings)
    loss = make_category("Pet loss", parent=grief)
    family = make_category("Family")
    make_question(asker, category=grief)
    make_question(asker, title="How do I cope after my dog died?", category=loss)
    make_question(asker, title="How do I talk to my parents again?", category=family)
    assert (count_of(feelings.id), count_of(grief.id), count_of(family.id)) == (2, 2, 1)

    response = as_admin.post(f"/admin/categories/{grief.id}/move", data={"parent": str(family.id)})
    assert response.status_code == 302
    assert fresh(grief.id).parent_id == family.id
    assert fresh(loss.id).parent_id == grief.id  # the subtree moves along
    assert (count_of(feelings.id), count_of(grief.id), count_of(loss.id), count_of(family.id)) == (0, 2, 1, 3)
    assert no_drift()
    [entry] = actions("category-move")
    assert audit.details_of(entry)["old_parent_id"] == feelings.id
    assert audit.details_of(entry)["new_parent_id"] == family.id
    assert "Moved “Grief” under “Family”." in as_admin.get(f"/admin/categories/{grief.id}").get_data(as_text=True)

    # And back out to the top level.
    assert as_admin.post(f"/admin/categories/{loss.id}/move", data={"parent": ""}).status_code == 302
    assert fresh(loss.id).parent_id is None
    assert (count_of(grief.id), count_of(family.id), count_of(loss.id)) == (1, 2, 1)
    assert no_drift()


def test_moving_to_the_same_parent_changes_nothing(as_admin):
    feelings = make_category("Feelings")
    grief = make_category("Grief", parent=feelings)
    response = as_admin.post(f"/admin/categories/{grief.id}/move", data={"parent": str(feelings.id)},
                             follow_redirects=True)
    assert "It is already there." in response.get_data(as_text=True)
    assert actions("category-move") == []


@pytest.mark.parametrize("under", ["itself", "child", "grandchild"])
def test_move_refuses_a_place_under_itself_or_a_descendant(as_admin, under):
    feelings = make_category("Feelings")
    grief = make_category("Grief", parent=feelings)
    loss = make_category("Pet loss", parent=grief)
    target = {"itself": feelings, "child": grief, "grandchild": loss}[under]
    response = as_admin.post(f"/admin/categories/{feelings.id}/move", data={"parent": str(target.id)})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "can't move under itself or one of its own sub-categories" in field_error(html, "parent")
    assert fresh(feelings.id).parent_id is None and fresh(grief.id).parent_id == feelings.id
    assert actions("category-move") == []
    assert no_drift()


def test_move_counts_the_depth_of_its_own_subtree(as_admin):
    a = make_category("A")
    a2 = make_category("A2", parent=a)
    make_category("A3", parent=a2)  # A spans three levels
    b = make_category("B")
    b2 = make_category("B2", parent=b)
    response = as_admin.post(f"/admin/categories/{a.id}/move", data={"parent": str(b2.id)})
    assert response.status_code == 400
    assert "reach 5 levels" in field_error(response.get_data(as_text=True), "parent")
    assert fresh(a.id).parent_id is None
    # One level higher fits exactly: B, A, A2, A3.
    assert as_admin.post(f"/admin/categories/{a.id}/move", data={"parent": str(b.id)}).status_code == 302
    assert category_admin.depth_of(fresh(a.id)) == 2
    assert no_drift()


def test_the_move_form_offers_no_place_below_itself(as_admin):
    feelings = make_category("Feelings")
    grief = make_category("Grief", parent=feelings)
    make_category("Work")
    html = as_admin.get(f"/admin/categories/{feelings.id}").get_data(as_text=True)
    move_form = html.split(f'action="/admin/categories/{feelings.id}/move"', 1)[1].split("</form>", 1)[0]
    assert "Work" in move_form and "Grief" not in move_form and f'value="{grief.id}"' not in move_form


# --- Reorder ----------------------------------------------------------------------


def titles_in_order(parent_id=None):
    categories.forget_cached()
    db.session.expire_all()
    return [c.title for c in categories.all_categories() if c.parent_id == parent_id]


def test_reorder_moves_up_and_down_among_siblings(as_admin):
    for title in ("Anxiety", "Bereavement", "Couples"):
        make_category(title)
    couples = categories.get_by_slug("couples")
    anxiety = categories.get_by_slug("anxiety")
    response = as_admin.post(f"/admin/categories/{couples.id}/position", data={"direction": "up"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/categories#category-{couples.id}")
    assert titles_in_order() == ["Anxiety", "Couples", "Bereavement"]
    as_admin.post(f"/admin/categories/{anxiety.id}/position", data={"direction": "down"})
    assert titles_in_order() == ["Couples", "Anxiety", "Bereavement"]
    assert len(actions("category-reorder")) == 2
    # The first can't go further up: a message, no change, nothing audited.
    response = as_admin.post(f"/admin/categories/{couples.id}/position", data={"direction": "up"},
                             follow_redirects=True)
    assert "“Couples” is already first." in response.get_data(as_text=True)
    assert titles_in_order() == ["Couples", "Anxiety", "Bereavement"]
    assert len(actions("category-reorder")) == 2
    assert no_drift()


def test_reorder_only_touches_siblings(as_admin):
    feelings = make_category("Feelings")
    grief = make_category("Grief", parent=feelings)
    anger = make_category("Anger", parent=feelings)
    make_category("Work")
    as_admin.post(f"/admin/categories/{anger.id}/position", data={"direction": "up"})
    assert titles_in_order(feelings.id) == ["Anger", "Grief"]
    assert titles_in_order() == ["Feelings", "Work"]
    assert fresh(grief.id).parent_id == feelings.id


def test_reorder_refuses_other_directions(as_admin):
    work = make_category("Work")
    assert as_admin.post(f"/admin/categories/{work.id}/position", data={"direction": "sideways"}).status_code == 400
    assert actions("category-reorder") == []


def test_the_tree_has_up_and_down_buttons_that_need_no_javascript(as_admin):
    make_category("Anxiety")
    make_category("Bereavement")
    html = as_admin.get("/admin/categories").get_data(as_text=True)
    assert html.count('name="direction" value="up"') == 1  # not on the first
    assert html.count('name="direction" value="down"') == 1  # not on the last
    assert 'method="post"' in html and "<script" not in html.split("<main", 1)[-1]


# --- Merge ------------------------------------------------------------------------


def test_merge_moves_questions_and_subcategories_then_deletes(as_admin, asker, admin):
    feelings = make_category("Feelings")
    grief = make_category("Grief", parent=feelings)
    loss = make_category("Pet loss", parent=grief)
    family = make_category("Family")
    make_category("Siblings", parent=family)
    first = make_question(asker, category=grief)
    hidden = make_question(asker, title="Is it normal to feel numb?", category=grief)
    make_question(asker, title="How do I cope after my dog died?", category=loss)
    make_question(asker, title="How do I talk to my parents again?", category=family)
    curation.hide_post(admin, hidden, "test")
    db.session.commit()
    assert (count_of(feelings.id), count_of(family.id)) == (2, 1)

    grief_id = grief.id
    response = as_admin.post(f"/admin/categories/{grief_id}/merge", data={"target": str(family.id)})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/categories/{family.id}")
    assert fresh(grief_id) is None
    assert fresh(loss.id).parent_id == family.id
    assert {q.category_id for q in db.session.scalars(select(Question))} == {family.id, loss.id}
    assert db.session.get(Question, hidden.id).category_id == family.id  # hidden ones move too
    assert (count_of(feelings.id), count_of(family.id), count_of(loss.id)) == (0, 3, 1)
    assert no_drift()
    # Old revisions name the target, so a rollback still finds a category.
    assert db.session.scalar(select(Revision.category_id).where(Revision.post_id == first.id)) == family.id
    [entry] = actions("category-merge")
    details = audit.details_of(entry)
    assert (details["slug"], details["target_id"], details["questions_moved"]) == ("grief", family.id, 2)
    assert details["subcategories_moved"] == [loss.id]
    html = as_admin.get(f"/admin/categories/{family.id}").get_data(as_text=True)
    assert "Merged “Grief” into “Family”: 2 questions moved." in html
    assert as_admin.get("/categories/grief").status_code == 404


def test_merge_into_its_parent(as_admin, asker):
    feelings = make_category("Feelings")
    grief = make_category("Grief", parent=feelings)
    make_question(asker, category=grief)
    grief_id = grief.id
    assert as_admin.post(f"/admin/categories/{grief_id}/merge", data={"target": str(feelings.id)}).status_code == 302
    assert fresh(grief_id) is None and count_of(feelings.id) == 1
    assert no_drift()


@pytest.mark.parametrize("into", ["itself", "child", "grandchild"])
def test_merge_refuses_itself_and_its_descendants(as_admin, asker, into):
    feelings = make_category("Feelings")
    grief = make_category("Grief", parent=feelings)
    loss = make_category("Pet loss", parent=grief)
    make_question(asker, category=feelings)
    target = {"itself": feelings, "child": grief, "grandchild": loss}[into]
    response = as_admin.post(f"/admin/categories/{feelings.id}/merge", data={"target": str(target.id)})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "can't be merged into itself or one of its own sub-categories" in field_error(html, "target")
    assert fresh(feelings.id) is not None and count_of(feelings.id) == 1
    assert actions("category-merge") == []
    assert no_drift()


def test_merge_refuses_a_target_too_deep_for_the_subcategories(as_admin):
    a = make_category("A")
    a2 = make_category("A2", parent=a)
    make_category("A3", parent=a2)
    b = make_category("B")
    b2 = make_category("B2", parent=b)
    b3 = make_category("B3", parent=b2)
    response = as_admin.post(f"/admin/categories/{a.id}/merge", data={"target": str(b3.id)})
    assert response.status_code == 400
    assert "reach 5 levels" in field_error(response.get_data(as_text=True), "target")
    assert fresh(a2.id).parent_id == a.id
    # Into B2 the children land on levels 3 and 4: allowed.
    assert as_admin.post(f"/admin/categories/{a.id}/merge", data={"target": str(b2.id)}).status_code == 302
    assert fresh(a2.id).parent_id == b2.id
    assert no_drift()


def test_merge_needs_a_target(as_admin):
    work = make_category("Work")
    response = as_admin.post(f"/admin/categories/{work.id}/merge", data={"target": ""})
    assert response.status_code == 400
    assert "Choose a category." in field_error(response.get_data(as_text=True), "target")
    assert fresh(work.id) is not None


# --- Delete -----------------------------------------------------------------------


def test_delete_an_empty_category(as_admin):
    feelings = make_category("Feelings")
    anger = make_category("Anger", parent=feelings)
    anger_id = anger.id
    response = as_admin.post(f"/admin/categories/{anger_id}/delete")
    assert response.status_code == 302
    assert fresh(anger_id) is None
    assert "Category “Anger” deleted." in as_admin.get("/admin/categories").get_data(as_text=True)
    [entry] = actions("category-delete")
    assert audit.details_of(entry)["slug"] == "anger" and audit.details_of(entry)["parent_id"] == feelings.id
    assert no_drift()


@pytest.mark.parametrize("holding", ["a sub-category", "a question", "a hidden question"])
def test_delete_is_refused_when_not_empty(as_admin, asker, admin, holding):
    feelings = make_category("Feelings")
    if holding == "a sub-category":
        make_category("Grief", parent=feelings)
        message = "still has 1 sub-category"
    else:
        question = make_question(asker, category=feelings)
        message = "still holds 1 question"
        if holding == "a hidden question":
            curation.hide_post(admin, question, "test")
            db.session.commit()
    page = as_admin.get(f"/admin/categories/{feelings.id}").get_data(as_text=True)
    assert "Only an empty category can be deleted." in page
    response = as_admin.post(f"/admin/categories/{feelings.id}/delete")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert message in html.split('id="delete-error"', 1)[1].split("</p>", 1)[0]
    assert fresh(feelings.id) is not None
    assert actions("category-delete") == []
    assert no_drift()


def test_delete_after_its_questions_moved_away_keeps_their_history(as_admin, asker, admin):
    sleep = make_category("Sleep")
    work = make_category("Work")
    question = make_question(asker, category=sleep)
    editing.edit_post(admin, question, category=work, change_category=True)
    db.session.commit()
    sleep_id = sleep.id
    assert as_admin.post(f"/admin/categories/{sleep_id}/delete").status_code == 302
    assert fresh(sleep_id) is None
    history = list(db.session.scalars(select(Revision).where(Revision.post_id == question.id)
                                      .order_by(Revision.number)))
    assert [r.category_id for r in history] == [None, work.id]
    assert no_drift()


# --- Permissions ------------------------------------------------------------------

ROUTES = [
    ("GET", "/admin/categories", None),
    ("POST", "/admin/categories", form("Hacked")),
    ("GET", "/admin/categories/{id}", None),
    ("POST", "/admin/categories/{id}", {"title": "Hacked", "slug": "hacked", "description": ""}),
    ("POST", "/admin/categories/{id}/move", {"parent": "{other}"}),
    ("POST", "/admin/categories/{id}/position", {"direction": "down"}),
    ("POST", "/admin/categories/{id}/merge", {"target": "{other}"}),
    ("POST", "/admin/categories/{id}/delete", {}),
]


@pytest.mark.parametrize("role", ["guest", "member", "editor", "moderator"])
@pytest.mark.parametrize("method, path, data", ROUTES)
def test_non_admins_get_403_on_every_route(client, auth, make_user, role, method, path, data):
    work = make_category("Work")
    other = make_category("Other")
    if role != "guest":
        level = {"member": Level.BASIC, "editor": Level.EDITOR, "moderator": Level.MODERATOR}[role]
        auth.login(make_user(role, level=level))
    url = path.format(id=work.id)
    if method == "GET":
        response = client.get(url)
    else:
        data = {key: value.format(other=other.id) for key, value in data.items()}
        response = client.post(url, data=data)
    assert response.status_code == 403
    assert titles_in_order() == ["Work", "Other"]
    assert db.session.scalar(select(func.count(ModerationAction.id))) == 0


def test_the_admin_pages_are_not_cached(as_admin):
    work = make_category("Work")
    assert as_admin.get("/admin/categories").headers["Cache-Control"] == "no-store"
    assert as_admin.get(f"/admin/categories/{work.id}").headers["Cache-Control"] == "no-store"


# --- Services, called directly ---------------------------------------------------


def test_every_action_is_audited_with_its_actor(app, admin, asker):
    a = category_admin.create_category(admin, "Alpha")
    b = category_admin.create_category(admin, "Beta")
    c = category_admin.create_category(admin, "Gamma", parent=a)
    category_admin.edit_category(admin, c, "Gamma ray", "gamma", "")
    category_admin.move_category(admin, c, b)
    category_admin.reorder_category(admin, b, "up")
    category_admin.merge_category(admin, c, a)
    category_admin.delete_category(admin, b)
    db.session.commit()
    logged = [(e.action, e.actor_id) for e in db.session.scalars(
        select(ModerationAction).order_by(ModerationAction.id))]
    assert logged == [(name, admin.id) for name in (
        "category-create", "category-create", "category-create", "category-edit", "category-move",
        "category-reorder", "category-merge", "category-delete")]
    assert [c.title for c in categories.all_categories()] == ["Alpha"]
    assert no_drift()


def test_the_services_refuse_without_changing_anything(app, admin, asker):
    top = category_admin.create_category(admin, "Top")
    parent = top
    for level in (2, 3, 4):
        parent = category_admin.create_category(admin, f"L{level}", parent=parent)
    make_question(asker, category=top)
    with pytest.raises(ValidationFailed) as refused:
        category_admin.create_category(admin, "L5", parent=parent)
    assert "parent" in refused.value.errors
    with pytest.raises(ValidationFailed):
        category_admin.move_category(admin, top, parent)
    with pytest.raises(ValidationFailed):
        category_admin.merge_category(admin, top, top)
    with pytest.raises(Conflict):
        category_admin.delete_category(admin, top)
    with pytest.raises(ValidationFailed):
        category_admin.reorder_category(admin, top, "left")
    db.session.rollback()
    categories.forget_cached()
    assert len(categories.all_categories()) == 4
    assert no_drift()


def test_depth_and_height(app, admin):
    a = category_admin.create_category(admin, "A")
    b = category_admin.create_category(admin, "B", parent=a)
    c = category_admin.create_category(admin, "C", parent=b)
    assert [category_admin.depth_of(x) for x in (a, b, c)] == [1, 2, 3]
    assert [category_admin.height_of(x) for x in (a, b, c)] == [3, 2, 1]
