"""Editing posts: revisions, the history page with word diffs, rollback, redaction and the audit log."""
import re

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Category, Level, ModerationAction, Post, Revision, Tag
from forum.services import editing, integrity, settings
from forum.text import slugify
from tests.factories import make_answer, make_category, make_question
from tests.fixtures.users import AuthActions

# --- Helpers ---------------------------------------------------------------------------


def client_for(app, user=None):
    """A fresh test client, logged in as ``user`` (a guest for None)."""
    client = app.test_client()
    if user is not None:
        AuthActions(client).login(user)
    return client


def fresh(post):
    """Reload a post from the database."""
    db.session.expire_all()
    return db.session.get(Post, post.id)


def form_of(post):
    """What the edit form holds for ``post`` right now, as a browser would send it."""
    post = fresh(post)
    if post.type != "question":
        return {"body": post.body, "reason": ""}
    return {
        "title": post.title,
        "body": post.body,
        "tags": " ".join(tag.name for tag in editing.current_tags(post)),
        "category": str(post.category_id or ""),
        "reason": "",
    }


def edit(client, post, **changes):
    data = form_of(post)
    data.update(changes)
    return client.post(f"/posts/{post.id}/edit", data=data)


def page_of(client, question):
    """The question page's HTML (the canonical URL, whatever the title is now)."""
    question = fresh(question)
    response = client.get(f"/questions/{question.id}/{slugify(question.title)}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def history_of(client, post, status=200):
    response = client.get(f"/posts/{post.id}/revisions")
    assert response.status_code == status
    return response.get_data(as_text=True)


def revision_count(post):
    return db.session.scalar(select(func.count(Revision.id)).where(Revision.post_id == post.id))


def audit_entries(action=None, post=None):
    query = select(ModerationAction).order_by(ModerationAction.id)
    if action:
        query = query.where(ModerationAction.action == action)
    if post is not None:
        query = query.where(ModerationAction.post_id == post.id)
    return list(db.session.scalars(query))


def tag_counts():
    return dict(db.session.execute(select(Tag.name, Tag.question_count)).all())


def category_counts():
    return dict(db.session.execute(select(Category.slug, Category.question_count)).all())


def assert_no_drift():
    db.session.expire_all()
    assert integrity.find_drift() == []


def field_error(html, field):
    """The text of the error shown next to ``field`` (None when there is none)."""
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', html, re.S)
    return match.group(1) if match else None


def textarea_value(html, name):
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    return match.group(1) if match else None


def edited_line(html):
    match = re.search(r'<p class="edited">(.*?)</p>', html, re.S)
    return " ".join(match.group(1).split()) if match else None


@pytest.fixture
def cats(app):
    return make_category("Sleep"), make_category("Worry")


@pytest.fixture
def question(member, cats):
    return make_question(member, body="I lie awake every night.", category=cats[0], tags="sleep night")


# --- Authors edit their own posts ----------------------------------------------------------------


def test_author_edits_own_question_title_body_tags_and_category(app, member, question, cats):
    client = client_for(app, member)
    response = edit(client, question, title="How can I fall asleep faster at night?",
                    body="I lie awake **most** nights.", tags="sleep insomnia",
                    category=str(cats[1].id), reason="clarified")
    assert response.status_code == 303
    post = fresh(question)
    assert post.title == "How can I fall asleep faster at night?"
    assert post.body == "I lie awake **most** nights."
    assert "<strong>most</strong>" in post.body_html
    assert [t.name for t in editing.current_tags(post)] == ["insomnia", "sleep"]
    assert post.category_id == cats[1].id
    assert post.edited_by_id == member.id and post.edited_at is not None
    assert tag_counts() == {"sleep": 1, "night": 0, "insomnia": 1}
    assert category_counts() == {"sleep": 0, "worry": 1}
    assert_no_drift()
    revisions = editing.revisions_of(post)
    assert [r.number for r in revisions] == [1, 2]
    assert revisions[1].reason == "clarified" and revisions[1].editor_id == member.id
    assert revisions[1].tags == "sleep insomnia"
    assert audit_entries() == [], "an author's own edit is not a moderation action"
    html = page_of(client, question)
    assert "How can I fall asleep faster at night?" in html
    assert edited_line(html).startswith(f'<a href="/posts/{question.id}/revisions">edited</a> by alex')


def test_author_edits_own_answer(app, member, make_user):
    question = make_question(make_user("asker"))
    answer = make_answer(question, member, body="Try a routine.")
    client = client_for(app, member)
    response = edit(client, answer, body="Try a calm evening routine.", reason="more detail")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"#a{answer.id}")
    post = fresh(answer)
    assert post.body == "Try a calm evening routine."
    assert post.edited_by_id == member.id
    assert revision_count(answer) == 2
    html = page_of(client, question)
    assert "Try a calm evening routine." in html
    assert f'<a href="/posts/{answer.id}/revisions">edited</a>' in html
    assert_no_drift()


# --- Editors edit others' posts; basic members may not -----------------------------------------


@pytest.mark.parametrize("kind", ["question", "answer"])
def test_editor_edits_someone_elses_post_and_the_page_says_so(app, member, editor, question, kind):
    post = question if kind == "question" else make_answer(question, member, body="Keep a diary.")
    client = client_for(app, editor)
    assert client.get(f"/posts/{post.id}/edit").status_code == 200
    response = edit(client, post, body="Keep a sleep diary.", reason="spelling")
    assert response.status_code == 303
    assert fresh(post).edited_by_id == editor.id
    guest_html = page_of(client_for(app), question)
    anchor = "q" if kind == "question" else "a"
    article = guest_html[guest_html.index(f'id="{anchor}{post.id}"'):]
    line = edited_line(article)
    assert line.startswith(f'<a href="/posts/{post.id}/revisions">edited</a> by edith,'), line
    [entry] = audit_entries("edit", post)
    assert entry.actor_id == editor.id and entry.reason == "spelling"
    assert_no_drift()


def test_basic_member_cannot_edit_others_posts(app, make_user, question, member):
    answer = make_answer(question, member, body="Keep a diary.")
    other = make_user("bob")
    client = client_for(app, other)
    for post in (question, answer):
        assert client.get(f"/posts/{post.id}/edit").status_code == 403
        assert edit(client, post, body="Vandalised.").status_code == 403
        assert fresh(post).body != "Vandalised."
        assert revision_count(post) == 1
    html = page_of(client, question)
    assert f'href="/posts/{question.id}/edit"' not in html
    guest = client_for(app)
    assert guest.get(f"/posts/{question.id}/edit").status_code == 403
    assert edit(guest, question, body="Vandalised.").status_code == 403


# --- The history page ------------------------------------------------------------------------------


def test_history_of_a_thrice_edited_post_lists_four_revisions_newest_first_with_word_diffs(
        app, member, editor, question):
    author = client_for(app, member)
    assert edit(author, question, body="I lie awake most nights.", reason="fixed spelling").status_code == 303
    assert edit(author, question, body="I lie awake most nights. <script>alert(1)</script> & more",
                reason="added detail").status_code == 303
    assert edit(client_for(app, editor), question, body="I lie awake most nights & more.",
                title="How can I sleep better when I lie awake?", reason="removed markup").status_code == 303

    html = history_of(client_for(app), question)
    positions = [html.index(f'id="r{n}"') for n in (4, 3, 2, 1)]
    assert positions == sorted(positions), "newest first"
    assert html.count('<li class="revision"') == 4

    def section(n):
        start = html.index(f'id="r{n}"')
        end = html.find('<li class="revision"', start)
        return html[start:end if end != -1 else len(html)]

    two = section(2)
    assert "<del>every</del>" in two and "<ins>most</ins>" in two
    assert "<del>night.</del>" in two and "<ins>nights.</ins>" in two
    assert "I lie awake " in two and "<ins>I</ins>" not in two, "unchanged words are not marked"
    assert "Reason: fixed spelling" in two
    three = section(3)
    assert "<ins> &lt;script&gt;alert(1)&lt;/script&gt; &amp; more</ins>" in three
    assert "&amp;" in three
    assert "Reason: added detail" in three
    four = section(4)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;</del>" in four
    assert '<ins>when</ins>' in four, "the title's change is diffed too"
    assert "by <a href=\"/users/edith\">edith</a>" in four or ">edith</a>" in four
    assert "Reason: removed markup" in four
    assert "<script>alert" not in html
    assert "<script>alert" not in page_of(client_for(app), question)


def test_history_is_linked_from_the_edited_line(app, member, question):
    edit(client_for(app, member), question, body="I lie awake most nights.")
    html = page_of(client_for(app), question)
    assert f'<a href="/posts/{question.id}/revisions">edited</a>' in html
    assert client_for(app).get(f"/posts/{question.id}/revisions").status_code == 200


# --- Retagging and recategorising keep counts exact -------------------------------------------------


def test_retag_and_recategorise_keep_tag_and_category_counts_right(app, member, editor, make_user):
    parent = make_category("Feelings")
    child = make_category("Grief", parent=parent)
    other = make_category("Work")
    question = make_question(member, category=child, tags="loss sleep")
    make_question(member, title="Another question about sleep?", category=other, tags="sleep")
    client = client_for(app, editor)
    steps = [
        {"tags": "loss sleep anxiety"},
        {"tags": "anxiety"},
        {"category": str(other.id)},
        {"category": str(parent.id), "tags": "grief sleep"},
        {"tags": ""},
        {"category": str(child.id), "tags": "loss"},
    ]
    for changes in steps:
        assert edit(client, question, **changes).status_code == 303, changes
        assert_no_drift()
    counts = tag_counts()
    assert counts["loss"] == 1 and counts["sleep"] == 1 and counts["anxiety"] == 0 and counts["grief"] == 0
    assert category_counts() == {"feelings": 1, "grief": 1, "work": 1}

    # A member with the retag privilege, but not the edit one: tags and category only.
    settings.update_settings(None, {"privilege_retag_level": int(Level.EXPERT)})
    db.session.commit()
    retagger = make_user("rita", level=Level.EXPERT)
    client = client_for(app, retagger)
    assert client.get(f"/posts/{question.id}/edit").status_code == 200
    response = edit(client, question, tags="loss worry", category=str(other.id), title="Hijacked title here?",
                    body="Hijacked.")
    assert response.status_code == 303
    post = fresh(question)
    assert post.title == "How can I sleep better at night?" and post.body == "I lie awake."
    assert [t.name for t in editing.current_tags(post)] == ["loss", "worry"]
    assert post.category_id == other.id
    assert_no_drift()


def test_retagging_a_hidden_question_keeps_counts_right(app, member, moderator, question, cats):
    client = client_for(app, moderator)
    assert client.post(f"/posts/{question.id}/hide", data={"reason": "spam"}).status_code == 303
    assert_no_drift()
    assert edit(client, question, tags="other", category=str(cats[1].id)).status_code == 303
    assert_no_drift()
    assert tag_counts()["other"] == 0 and category_counts() == {"sleep": 0, "worry": 0}
    assert client.post(f"/posts/{question.id}/unhide", data={"reason": ""}).status_code == 303
    assert_no_drift()
    assert tag_counts() == {"sleep": 0, "night": 0, "other": 1}
    assert category_counts() == {"sleep": 0, "worry": 1}


# --- Refusals --------------------------------------------------------------------------------------


def test_an_edit_that_changes_nothing_is_refused(app, member, question):
    client = client_for(app, member)
    response = edit(client, question, reason="just because")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Nothing changed, so nothing was saved." in html
    assert revision_count(question) == 1
    assert fresh(question).edited_at is None
    # Whitespace around the text and tags in another order are no change either.
    response = edit(client, question, body="  I lie awake every night.  ", tags="night, sleep")
    assert response.status_code == 400
    assert revision_count(question) == 1



def test_a_retaggers_edit_that_changes_nothing_says_so(app, make_user, question):
    settings.update_settings(None, {"privilege_retag_level": int(Level.EXPERT)})
    db.session.commit()
    client = client_for(app, make_user("rita", level=Level.EXPERT))
    response = edit(client, question)
    assert response.status_code == 400
    assert revision_count(question) == 1
    assert "Nothing changed" in response.get_data(as_text=True)

LONG = "x" * 30_001


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"title": ""}, "title", "Please write a title of at least 8 characters"),
        ({"title": "Why do I \x07 wake up so early?"}, "title", "control characters"),
        ({"body": LONG}, "body", "please keep it under 30,000"),
        ({"body": "Bell \x07 in the text"}, "body", "control characters"),
        ({"category": "99999"}, "category", "Choose one of the listed categories."),
        ({"category": "not-a-number"}, "category", "Choose one of the listed categories."),
        ({"tags": "bad_tag"}, "tags", "letters, digits and hyphens"),
        ({"reason": "because \x1b[31m"}, "reason", "control characters"),
        ({"reason": "r" * 201}, "reason", "under 200 characters"),
    ],
)
def test_bad_input_is_refused_next_to_the_field_and_typed_text_is_kept(app, member, question, changes, field,
                                                                       message):
    client = client_for(app, member)
    typed = {"title": "What helps when I wake up too early?", "body": "My new typed body text.",
             "reason": "my reason"}
    typed.update(changes)
    response = edit(client, question, **typed)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    error = field_error(html, field)
    assert error is not None and message in error, (field, error)
    for name, value in typed.items():
        if name in ("title", "reason") and "\x07" not in value and "\x1b" not in value and field != name:
            assert f'value="{value}"' in html, name
    if field != "body":
        assert textarea_value(html, "body").strip() == "My new typed body text."
    elif changes["body"] == LONG:
        assert textarea_value(html, "body").strip() == LONG
    post = fresh(question)
    assert post.title == "How can I sleep better at night?" and post.body == "I lie awake every night."
    assert revision_count(question) == 1 and post.edited_at is None
    assert_no_drift()


def test_an_answer_with_an_empty_body_is_refused(app, member, question):
    answer = make_answer(question, member)
    response = edit(client_for(app, member), answer, body="   ")
    assert response.status_code == 400
    assert "Please write something first." in field_error(response.get_data(as_text=True), "body")
    assert fresh(answer).body == "Try a routine."


# --- Silent edits --------------------------------------------------------------------------------


def test_a_moderators_silent_edit_leaves_the_edited_line_and_is_audited(app, member, editor, moderator, question):
    edit(client_for(app, editor), question, body="I lie awake most nights.")
    before = fresh(question)
    edited_at, line = before.edited_at, edited_line(page_of(client_for(app), question))
    assert "by edith" in line

    response = edit(client_for(app, moderator), question, body="I lie awake most nights, sadly.",
                    reason="typo", silent="y")
    assert response.status_code == 303
    post = fresh(question)
    assert post.body == "I lie awake most nights, sadly."
    assert post.edited_at == edited_at and post.edited_by_id == editor.id
    assert edited_line(page_of(client_for(app), question)) == line
    [entry] = audit_entries("silent-edit", question)
    assert entry.actor_id == moderator.id and entry.reason == "typo"
    assert audit_entries("edit", question)[-1].actor_id == editor.id
    assert editing.revisions_of(post)[-1].is_silent


def test_a_silent_edit_of_a_never_edited_post_shows_no_edited_line(app, member, moderator, question):
    response = edit(client_for(app, moderator), question, body="Tidied.", silent="y")
    assert response.status_code == 303
    assert edited_line(page_of(client_for(app), question)) is None
    assert [e.action for e in audit_entries(post=question)] == ["silent-edit"]


@pytest.mark.parametrize("who", ["author", "editor"])
def test_a_silent_tick_from_someone_below_moderator_is_ignored(app, member, editor, question, who):
    user = member if who == "author" else editor
    response = edit(client_for(app, user), question, body="Changed quietly?", silent="y")
    assert response.status_code == 303
    post = fresh(question)
    assert post.edited_at is not None and post.edited_by_id == user.id
    assert not editing.revisions_of(post)[-1].is_silent
    assert audit_entries("silent-edit") == []
    assert f"by {user.username}" in edited_line(page_of(client_for(app), question))


# --- Rollback -----------------------------------------------------------------------------------


def test_a_moderator_rolls_back_to_revision_one(app, member, moderator, question, cats):
    author = client_for(app, member)
    edit(author, question, title="A completely different title?", body="Changed.", tags="other",
         category=str(cats[1].id))
    edit(author, question, body="Changed again.")
    client = client_for(app, moderator)
    response = client.post(f"/posts/{question.id}/revisions/1/rollback", data={"reason": ""})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/posts/{question.id}/revisions")
    post = fresh(question)
    assert (post.title, post.body, post.category_id) == (
        "How can I sleep better at night?", "I lie awake every night.", cats[0].id)
    assert [t.name for t in editing.current_tags(post)] == ["night", "sleep"]
    revisions = editing.revisions_of(post)
    assert [r.number for r in revisions] == [1, 2, 3, 4]
    assert revisions[-1].editor_id == moderator.id and revisions[-1].body == revisions[0].body
    assert revisions[-1].reason == "Rolled back to revision 1"
    [entry] = audit_entries("rollback", question)
    assert entry.actor_id == moderator.id
    assert_no_drift()
    html = client.get(f"/posts/{question.id}/revisions").get_data(as_text=True)
    assert "Rolled back to revision 1." in html
    assert "Reason: Rolled back to revision 1" in html


def test_rolling_back_to_the_current_text_changes_nothing(app, member, moderator, question):
    edit(client_for(app, member), question, body="I lie awake most nights.")
    client = client_for(app, moderator)
    response = client.post(f"/posts/{question.id}/revisions/2/rollback", data={}, follow_redirects=True)
    assert response.status_code == 200
    assert "That revision is already the current text; nothing to roll back." in response.get_data(as_text=True)
    assert revision_count(question) == 2
    assert audit_entries("rollback") == []
    assert fresh(question).body == "I lie awake most nights."


def test_only_moderators_roll_back(app, member, editor, question):
    edit(client_for(app, member), question, body="I lie awake most nights.")
    for user in (None, member, editor):
        response = client_for(app, user).post(f"/posts/{question.id}/revisions/1/rollback", data={})
        assert response.status_code == 403
    assert revision_count(question) == 2
    assert "Roll back to this revision" not in history_of(client_for(app, editor), question)


def test_rolling_back_to_a_missing_revision_is_404(app, moderator, question):
    assert client_for(app, moderator).post(f"/posts/{question.id}/revisions/9/rollback").status_code == 404


# --- Redaction --------------------------------------------------------------------------------

PHONE = "0612345678"


@pytest.fixture
def redacted(app, member, moderator, question):
    """Revision 2 added a phone number, revision 3 removed it, a moderator redacted revision 2."""
    author = client_for(app, member)
    assert edit(author, question, body=f"I lie awake every night. Call me on {PHONE} please.").status_code == 303
    assert edit(client_for(app, moderator), question, body="I lie awake every night. Please reply here.",
                reason="removed a phone number").status_code == 303
    response = client_for(app, moderator).post(f"/posts/{question.id}/revisions/2/redact",
                                               data={"reason": "personal data"})
    assert response.status_code == 303
    return question


@pytest.mark.parametrize("who", ["guest", "member", "author"])
def test_a_redacted_revision_is_hidden_from_everyone_but_moderators(app, make_user, member, redacted, who):
    user = {"guest": None, "member": make_user("bob"), "author": member}[who]
    client = client_for(app, user)
    html = history_of(client, redacted)
    assert PHONE not in html
    assert "A moderator redacted this revision; only moderators can read it." in html
    assert html.count('<li class="revision"') == 3
    three = html[html.index('id="r3"'):html.index('id="r2"')]
    # Revision 3 is compared with revision 1, the last one this reader may see.
    assert "<ins> Please reply here.</ins>" in three
    assert "Call" not in three and "<del>" not in three
    assert PHONE not in page_of(client, redacted)
    assert PHONE not in client.get(f"/posts/{redacted.id}/revisions?r=2").get_data(as_text=True)
    if user is not None:
        edit_page = client.get(f"/posts/{redacted.id}/edit").get_data(as_text=True)
        assert PHONE not in edit_page


def test_a_moderator_still_sees_a_redacted_revision(app, moderator, admin, redacted):
    for user in (moderator, admin):
        html = history_of(client_for(app, user), redacted)
        assert PHONE in html
        assert "Redacted: only moderators see this revision." in html
    [entry] = audit_entries("redact", redacted)
    assert entry.actor_id == moderator.id and entry.reason == "personal data"
    revision = editing.get_revision(fresh(redacted), 2)
    assert revision.is_redacted and revision.redacted_by_id == moderator.id


def test_redaction_refusals_are_clear(app, member, moderator, redacted):
    client = client_for(app, moderator)
    cases = [
        (1, {"reason": "  "}, "Give a reason for the audit log."),
        (3, {"reason": "oops"}, "The current text can&#39;t be redacted"),
        (2, {"reason": "again"}, "That revision is already redacted."),
    ]
    for number, data, message in cases:
        response = client.post(f"/posts/{redacted.id}/revisions/{number}/redact", data=data, follow_redirects=True)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True), number
    revisions = editing.revisions_of(fresh(redacted))
    assert [r.is_redacted for r in revisions] == [False, True, False]
    assert len(audit_entries("redact")) == 1


def test_only_moderators_redact(app, member, editor, redacted):
    for user in (None, member, editor):
        response = client_for(app, user).post(f"/posts/{redacted.id}/revisions/1/redact",
                                              data={"reason": "mine"})
        assert response.status_code == 403
    assert not editing.get_revision(fresh(redacted), 1).is_redacted


# --- The audit log ---------------------------------------------------------------------------


def test_the_audit_log_lists_edits_redactions_and_rollbacks_and_filters_them(app, member, editor, moderator,
                                                                           redacted):
    client = client_for(app, moderator)
    assert client.post(f"/posts/{redacted.id}/revisions/1/rollback", data={"reason": "back"}).status_code == 303
    edit(client_for(app, editor), redacted, body="An editor's version.", reason="clearer")
    response = client.get("/moderation/log")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    actions = re.findall(r'<td><a href="/moderation/log\?action=([\w-]+)">', html)
    assert actions == ["edit", "rollback", "redact", "edit"], "newest first"
    assert "personal data" in html and "clearer" in html and "removed a phone number" in html

    for action, expected in (("redact", 1), ("rollback", 1), ("edit", 2)):
        html = client.get(f"/moderation/log?action={action}").get_data(as_text=True)
        found = re.findall(r'<td><a href="/moderation/log\?action=([\w-]+)">', html)
        assert found == [action] * expected, (action, found)
        assert f'<option value="{action}" selected>' in html
    html = client.get("/moderation/log?action=nonsense").get_data(as_text=True)
    assert len(re.findall(r'<td><a href="/moderation/log\?action=', html)) == 4


@pytest.mark.parametrize("who", ["guest", "member", "editor"])
def test_non_moderators_get_403_on_the_audit_log(app, member, editor, who):
    user = {"guest": None, "member": member, "editor": editor}[who]
    assert client_for(app, user).get("/moderation/log").status_code == 403
    assert client_for(app, user).get("/moderation/log?action=edit").status_code == 403


# --- Nobody acts on the posts of a higher level --------------------------------------------------


def test_a_moderator_cannot_edit_hide_or_roll_back_an_admins_post(app, moderator, admin, cats):
    question = make_question(admin, category=cats[0])
    admin_client = client_for(app, admin)
    assert edit(admin_client, question, body="Edited by the admin.").status_code == 303
    client = client_for(app, moderator)
    assert client.get(f"/posts/{question.id}/edit").status_code == 403
    assert edit(client, question, body="Changed by a moderator.").status_code == 403
    assert client.post(f"/posts/{question.id}/hide", data={"reason": "no"}).status_code == 403
    assert client.post(f"/posts/{question.id}/delete", data={"reason": "no"}).status_code == 403
    assert client.post(f"/posts/{question.id}/revisions/1/rollback", data={}).status_code == 403
    assert client.post(f"/posts/{question.id}/revisions/1/redact", data={"reason": "no"}).status_code == 403
    post = fresh(question)
    assert post.body == "Edited by the admin." and post.status == "visible"
    assert revision_count(question) == 2 and audit_entries() == []


def test_an_admin_can_act_on_a_moderators_post(app, moderator, admin, cats):
    question = make_question(moderator, category=cats[0])
    client = client_for(app, admin)
    assert edit(client, question, body="Edited by the admin.").status_code == 303
    assert client.post(f"/posts/{question.id}/revisions/1/rollback", data={}).status_code == 303
    assert client.post(f"/posts/{question.id}/revisions/2/redact", data={"reason": "old"}).status_code == 303
    assert client.post(f"/posts/{question.id}/hide", data={"reason": "test"}).status_code == 303
    post = fresh(question)
    assert post.body == "I lie awake." and post.status == "hidden"
    assert [e.action for e in audit_entries(post=question)] == ["edit", "rollback", "redact", "hide"]
    assert_no_drift()


def test_a_new_member_cannot_add_links_by_editing(make_user):
    from forum.services.errors import ValidationFailed

    newcomer = make_user("newcomer")
    question = make_question(newcomer)
    links = " ".join(f"https://spam{i}.example/" for i in range(3))
    with pytest.raises(ValidationFailed) as refused:
        editing.edit_post(newcomer, question, body=f"Visit {links}")
    assert "at most 2" in refused.value.errors["body"][0]
