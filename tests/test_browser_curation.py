"""In Chromium: an editor edits a question; a reader sees "edited" and the highlighted change in its history."""
import pytest
from playwright.sync_api import expect

from tests.factories import make_category, make_question
from tests.fixtures.users import PASSWORD

TITLE = "How can I sleep better at night?"


def _login(page, base, user):
    page.goto(base + "/login")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def _edit_as_editor(page, base, editor, question):
    _login(page, base, editor)
    page.goto(f"{base}/questions/{question.id}")
    page.locator("article.question").get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit the question")
    body = page.get_by_label("Text", exact=True)
    expect(body).to_have_value("I lie awake every night and worry.")
    body.fill("I lie awake most nights and worry.")
    page.get_by_label("Why are you editing? (optional)").fill("clearer wording")
    page.get_by_role("button", name="Save edit").click()
    expect(page.get_by_text("Your edit is saved.")).to_be_visible()
    expect(page.locator("article.question .post-body")).to_have_text("I lie awake most nights and worry.")
    page.get_by_role("button", name="Log out").click()


def _read_history_as_guest(reader, base, editor, question):
    reader.goto(f"{base}/questions/{question.id}")
    expect(reader.get_by_role("link", name="Log in")).to_be_visible()
    edited = reader.locator("article.question p.edited")
    expect(edited).to_contain_text("edited")
    expect(edited).to_contain_text(f"by {editor.username}")
    edited.get_by_role("link", name="edited").click()
    expect(reader).to_have_url(f"{base}/posts/{question.id}/revisions")
    revisions = reader.locator("li.revision")
    expect(revisions).to_have_count(2)
    newest = revisions.first
    expect(newest.locator(".revision-head")).to_contain_text("Revision 2")
    expect(newest.locator(".revision-head")).to_contain_text(editor.username)
    expect(newest).to_contain_text("Reason: clearer wording")
    expect(newest.locator(".diff del")).to_have_text(["every", "night"])
    expect(newest.locator(".diff ins")).to_have_text(["most", "nights"])
    expect(revisions.nth(1).locator(".revision-head")).to_contain_text("Revision 1")
    # Inserted words are highlighted: they look different from the unchanged text.
    inserted = newest.locator(".diff ins").first.evaluate(
        "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).textDecorationLine]")
    plain = newest.locator(".diff").evaluate(
        "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).textDecorationLine]")
    assert inserted != plain


@pytest.fixture
def question(member):
    return make_question(member, body="I lie awake every night and worry.", category=make_category("Sleep"),
                         tags="sleep")


def test_editor_edits_and_a_reader_sees_the_history(live_server, page, browser, editor, question):
    _edit_as_editor(page, live_server.url, editor, question)
    context = browser.new_context()
    try:
        _read_history_as_guest(context.new_page(), live_server.url, editor, question)
    finally:
        context.close()


def test_editor_edits_and_a_reader_sees_the_history_without_javascript(live_server, page_without_js, browser,
                                                                     editor, question):
    _edit_as_editor(page_without_js, live_server.url, editor, question)
    context = browser.new_context(java_script_enabled=False)
    try:
        _read_history_as_guest(context.new_page(), live_server.url, editor, question)
    finally:
        context.close()
