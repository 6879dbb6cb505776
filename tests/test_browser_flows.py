"""In Chromium: the main flows a writer goes through, with the Markdown editor, and without JavaScript.

Flows covered elsewhere are not repeated here: registering and logging in
(test_browser_accounts), a guest asking and a member answering (test_browser_qa), voting
(test_browser_votes), flagging and moderating from the queue (test_browser_moderation),
an editor's edit and its "edited by" and history (test_browser_curation), the
notifications inbox (test_browser_notifications) and the theme toggle (test_theme); each
of those runs both with and without JavaScript.
"""
import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Post
from tests.factories import make_answer, make_question
from tests.test_browser_votes import _login

TITLE = "How do I rest when my mind keeps racing?"


def _drafts(page):
    """The drafts the editor keeps: sessionStorage only, never localStorage."""
    return page.evaluate("""() => ({
        session: Object.keys(sessionStorage).filter(k => k.startsWith('forum-draft:')),
        local: Object.keys(localStorage).length })""")


def _select(textarea, text):
    """Select ``text`` inside the textarea, as a mouse drag would."""
    textarea.evaluate("(el, text) => { const at = el.value.indexOf(text); el.focus();"
                      " el.setSelectionRange(at, at + text.length); }", text)


def _post_count():
    count = db.session.scalar(select(func.count(Post.id)))
    db.session.rollback()
    return count


def test_ask_with_the_toolbar_the_live_preview_and_a_draft(live_server, page, member):
    _login(page, live_server.url, member)
    page.get_by_role("link", name="Ask", exact=True).click()
    page.get_by_label("Your question in one sentence").fill(TITLE)
    body = page.get_by_role("textbox", name="More detail (optional)")
    toolbar = page.get_by_role("toolbar", name="Formatting")
    preview = page.locator("#body-preview")
    expect(preview).to_have_attribute("aria-live", "polite")
    expect(page.get_by_role("button", name="Preview")).to_be_hidden()  # the live preview replaces it

    body.fill("I feel tired all day and wired at night.")
    _select(body, "tired")
    toolbar.get_by_role("button", name="Bold").click()
    expect(body).to_have_value("I feel **tired** all day and wired at night.")
    expect(preview.locator("strong")).to_have_text("tired")
    _select(body, "wired")
    body.press("Control+i")
    expect(body).to_have_value("I feel **tired** all day and *wired* at night.")
    expect(preview.locator("em")).to_have_text("wired")
    _select(body, "night")
    body.press("Control+k")
    expect(body).to_have_value("I feel **tired** all day and *wired* at [night](https://).")
    assert body.evaluate("el => el.value.slice(el.selectionStart, el.selectionEnd)") == "https://"
    body.press("End")
    body.press("Enter")
    body.press("Enter")
    body.type("<script>alert(1)</script>")
    expect(preview).to_contain_text("at night.")
    expect(preview.locator("script")).to_have_count(0)

    # A reload keeps the draft in this tab only, and it can be thrown away.
    page.reload()
    expect(page.get_by_role("status").filter(has_text="Your unsent draft was restored")).to_be_visible()
    expect(body).to_have_value(re.compile(r"^I feel \*\*tired\*\*"))
    expect(preview.locator("strong")).to_have_text("tired")
    assert _drafts(page) == {"session": ["forum-draft:/ask:body"], "local": 0}
    page.get_by_role("button", name="Discard draft").click()
    expect(body).to_have_value("")
    expect(preview).to_have_text("Nothing to preview yet.")
    assert _drafts(page)["session"] == []
    page.reload()
    expect(page.get_by_role("button", name="Discard draft")).to_have_count(0)

    # Too long for a post: a message instead of a preview, and the page stays usable.
    body.fill("a" * 30_001)
    expect(preview).to_contain_text("please keep it under 30,000")
    body.fill("")
    page.get_by_label("Your question in one sentence").fill(TITLE)
    body.type("Posted **at last**")
    expect(preview.locator("strong")).to_have_text("at last")
    page.get_by_role("button", name="Post your question").click()
    expect(page.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    expect(page.locator("article.question strong")).to_have_text("at last")
    assert _drafts(page) == {"session": [], "local": 0}  # posted, so forgotten


def test_the_toolbar_makes_lists_and_code_and_is_one_tab_stop(live_server, page):
    page.goto(live_server.url + "/ask")
    body = page.get_by_role("textbox", name="More detail (optional)")
    toolbar = page.get_by_role("toolbar", name="Formatting")
    body.fill("one\ntwo")
    body.evaluate("el => { el.focus(); el.setSelectionRange(0, el.value.length); }")
    toolbar.get_by_role("button", name="List").click()
    expect(body).to_have_value("- one\n- two")
    expect(page.locator("#body-preview li")).to_have_text(["one", "two"])
    _select(body, "two")
    toolbar.get_by_role("button", name="Code").click()
    expect(body).to_have_value("- one\n- `two`")
    expect(page.locator("#body-preview li code")).to_have_text("two")
    toolbar.get_by_role("button", name="Bold").focus()
    page.keyboard.press("ArrowRight")
    expect(toolbar.get_by_role("button", name="Italic")).to_be_focused()
    expect(toolbar.locator("button[tabindex='0']")).to_have_text("Italic")


def test_guest_answers_member_comments_picks_the_best_answer_and_edits(live_server, page, member, make_user):
    question = make_question(member, title=TITLE, body="Everything feels loud at night.")
    make_answer(question, make_user("sam"), body="Counting breaths helps me.")
    base = live_server.url

    # A guest answers, with the live preview.
    page.goto(f"{base}/questions/{question.id}")
    answer = page.get_by_role("textbox", name="Your answer")
    answer.fill("Writing my worries down before bed helps; then they can wait.")
    _select(answer, "then they can wait")
    page.get_by_role("toolbar", name="Formatting").get_by_role("button", name="Italic").click()
    expect(page.locator("#body-preview em")).to_have_text("then they can wait")
    page.get_by_label("Your name to display (optional)").fill("Robin")
    page.get_by_role("button", name="Post your answer").click()
    guest_answer = page.locator("article.answer").filter(has_text="Writing my worries down")
    expect(guest_answer.locator("em")).to_have_text("then they can wait")
    expect(guest_answer.locator(".author")).to_have_text("Robin")
    expect(page.get_by_role("textbox", name="Your answer")).to_have_value("")

    # The asker sees it in the bell, comments on it and picks it as the best answer.
    _login(page, base, member)
    expect(page.locator("a.bell .count-badge")).to_contain_text("unread")
    page.goto(f"{base}/questions/{question.id}")
    guest_answer = page.locator("article.answer").filter(has_text="Writing my worries down")
    guest_answer.get_by_role("link", name="Add a comment").click()
    comment = page.get_by_role("textbox", name="Your comment")
    comment.fill("Thank you, I will try this")
    _select(comment, "try this")
    comment.press("Control+b")
    expect(page.locator("#body-preview strong")).to_have_text("try this")
    page.get_by_role("button", name="Add comment").click()
    guest_answer = page.locator("article.answer").filter(has_text="Writing my worries down")
    expect(guest_answer.locator(".comment strong")).to_have_text("try this")
    guest_answer.get_by_role("button", name="Select as best answer").click()
    expect(page.locator("article.answer").first.locator(".best")).to_have_text("Best answer")
    expect(page.locator("article.answer").first).to_contain_text("Writing my worries down")

    # The asker edits their question with the same editor and it shows "edited".
    page.locator("article.question").get_by_role("link", name="Edit", exact=True).click()
    text = page.get_by_label("Text", exact=True)
    _select(text, "Everything feels loud")
    page.get_by_role("toolbar", name="Formatting").get_by_role("button", name="Quote").click()
    expect(page.locator("#body-preview blockquote")).to_contain_text("Everything feels loud at night.")
    page.get_by_role("button", name="Save edit").click()
    expect(page.locator("article.question blockquote")).to_have_text("Everything feels loud at night.")
    expect(page.locator("article.question p.edited")).to_contain_text("edited")


def test_search_finds_a_question(live_server, page, member):
    make_question(member, title=TITLE, body="Everything feels loud at night.")
    make_question(member, title="Which houseplants are easy to keep alive?", body="Mine all wilt.")
    page.goto(live_server.url + "/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
    page.get_by_label("Search for").fill("racing mind")
    page.get_by_role("search").get_by_role("button", name="Search").click()
    results = page.locator(".search-results")
    expect(results.get_by_role("link", name=re.compile("mind keeps racing"))).to_be_visible()
    expect(results.get_by_role("link", name=re.compile("houseplants"))).to_have_count(0)


def test_without_javascript_ask_and_answer_with_the_preview_button(live_server, page_without_js, member):
    page = page_without_js
    base = live_server.url
    page.goto(base + "/ask")
    expect(page.get_by_role("toolbar")).to_have_count(0)  # a plain textarea
    page.get_by_label("Your question in one sentence").fill(TITLE)
    page.get_by_label("More detail (optional)").fill("Everything feels **loud** at night.")
    before = _post_count()
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_role("heading", name="Preview")).to_be_visible()
    expect(page.locator("#body-preview strong")).to_have_text("loud")
    expect(page.get_by_label("More detail (optional)")).to_have_value("Everything feels **loud** at night.")
    expect(page.get_by_label("Your question in one sentence")).to_have_value(TITLE)
    assert _post_count() == before
    page.get_by_role("button", name="Post your question").click()
    expect(page.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    expect(page.locator("article.question strong")).to_have_text("loud")

    _login(page, base, member)
    page.get_by_role("link", name=TITLE).click()
    page.get_by_role("textbox", name="Your answer").fill("A *warm* shower before bed.")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#body-preview em")).to_have_text("warm")
    expect(page.get_by_role("textbox", name="Your answer")).to_have_value("A *warm* shower before bed.")
    assert _post_count() == before + 1
    page.get_by_role("button", name="Post your answer").click()
    expect(page.locator("article.answer em")).to_have_text("warm")
    assert _post_count() == before + 2
