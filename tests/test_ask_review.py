"""The review step before posting a question: similar questions first, then "Post my question"."""
import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, text

from forum.extensions import db
from forum.models import Post, Question, Tag
from forum.services import curation, phrases, questions, safety
from tests.factories import make_answer, make_category, make_question

TITLE = "How do I cope with panic attacks at work?"
BODY = "My heart **races** in meetings."
TOKEN = "review-token-0123456789abcdef"
HEADING = "Questions that may already answer yours"


def ask(client, environ_base=None, **overrides):
    data = {"title": TITLE, "body": BODY, "tags": "panic work", "category": "", "content_warning": "",
            "guest_name": "", "guest_email": "", "submission_token": TOKEN}
    data.update(overrides)
    return client.post("/ask", data=data, environ_base=environ_base or {})


def row_counts():
    """Rows in every table, the search index included: the review step must add none."""
    counts = {table.name: db.session.scalar(select(func.count()).select_from(table))
              for table in db.metadata.sorted_tables}
    index = "search_documents" if db.engine.dialect.name == "postgresql" else "search_fts"
    counts[index] = db.session.scalar(text(f"SELECT count(*) FROM {index}"))
    db.session.rollback()
    return counts


def hidden_value(html, name):
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no hidden {name} field"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


def review_list(html):
    """The titles linked in the review step's list, or None when there is no review step."""
    if HEADING not in html:
        return None
    section = html.split('id="ask-review"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<li><a href="[^"]+">([^<]+)</a>', section)


@pytest.fixture
def earlier(make_user):
    question = make_question(make_user("earlier"), title="Panic attacks at work, what helps?", body="Often.")
    make_answer(question, make_user("helper"), body="Slow breathing helped me.")
    return question


def test_without_similar_questions_the_question_is_posted_at_once(client, member, auth):
    make_question(member, title="Gardening as a hobby for calm", body="x")
    auth.login(member)
    response = ask(client)
    assert response.status_code == 303
    assert db.session.scalar(select(Question).where(Question.title == TITLE)) is not None


def test_similar_questions_are_shown_first_and_nothing_is_saved(client, member, auth, earlier):
    category = make_category("Work", slug="work")
    auth.login(member)
    before = row_counts()

    response = ask(client, category=str(category.id), content_warning="mentions panic", anonymous="y")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert review_list(html) == [earlier.title]
    assert f'href="/questions/{earlier.id}/panic-attacks-at-work-what-helps"' in html
    assert "1 answer" in html.split('id="ask-review"', 1)[1]
    assert html.count("Post my question") == 2
    assert "Post your question" not in html
    assert '<h2 id="ask-review-heading">' in html and 'aria-labelledby="ask-review-heading"' in html
    # Everything typed is kept, and the resubmit carries the same one-time token.
    assert f'value="{TITLE}"' in html
    assert "My heart **races** in meetings.</textarea>" in html
    assert 'value="panic work"' in html and 'value="mentions panic"' in html
    assert re.search(rf'<option selected value="{category.id}">|<option value="{category.id}" selected',
                     html)
    assert re.search(r'<input[^>]*checked[^>]*name="anonymous"|<input[^>]*name="anonymous"[^>]*checked', html)
    assert hidden_value(html, "reviewed") == "1"
    assert hidden_value(html, "submission_token") == TOKEN
    assert row_counts() == before

    posted = ask(client, category=str(category.id), content_warning="mentions panic", anonymous="y", reviewed="1")
    assert posted.status_code == 303
    question = questions.get_question(db.session.scalar(select(Question.id).where(Question.title == TITLE)))
    assert question.category_id == category.id and question.is_anonymous and question.author_id == member.id
    assert question.content_warning == "mentions panic"
    assert sorted(tag.name for tag in question.tags) == ["panic", "work"]
    assert question.submission_token == TOKEN


def test_a_guest_keeps_their_name_and_email_through_the_review(client, earlier):
    before = row_counts()
    response = ask(client, guest_name="Robin", guest_email="robin-4d2@mailbox.example")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and review_list(html) == [earlier.title]
    assert 'value="Robin"' in html and 'value="robin-4d2@mailbox.example"' in html
    assert row_counts() == before
    assert ask(client, guest_name="Robin", guest_email="robin-4d2@mailbox.example",
               reviewed="1").status_code == 303
    question = db.session.scalar(select(Question).where(Question.title == TITLE))
    assert question.guest_name == "Robin" and question.guest_email == "robin-4d2@mailbox.example"


def test_the_review_list_has_at_most_five_questions(client, make_user):
    asker = make_user()
    for i in range(7):
        make_question(asker, title=f"Panic attacks at work number {i}", body="x")
    titles = review_list(ask(client).get_data(as_text=True))
    assert len(titles) == 5 and all(title.startswith("Panic attacks at work number") for title in titles)


def test_titles_in_the_review_list_are_escaped(client, make_user):
    make_question(make_user(), title="Panic <img src=x onerror=alert(1)> at work", body="x")
    html = ask(client).get_data(as_text=True)
    assert review_list(html) == ["Panic &lt;img src=x onerror=alert(1)&gt; at work"]
    assert "<img src=x" not in html


def test_the_list_holds_only_questions_the_asker_may_see(client, member, auth, moderator, earlier):
    hidden = make_question(member, title="Panic attacks at work again and again", body="x")
    curation.hide_post(moderator, hidden, "spam")
    muted_category = make_category("Noisy", slug="noisy")
    make_question(member, title="Panic attacks at work in the noisy office", body="x", category=muted_category)
    viewer = member
    safety.set_muting(viewer, "", [muted_category.id])
    db.session.commit()
    auth.login(viewer)
    html = ask(client).get_data(as_text=True)
    assert review_list(html) == [earlier.title]

    curation.hide_post(moderator, db.session.get(Question, earlier.id), "spam")
    db.session.commit()
    assert ask(client, category=str(muted_category.id)).status_code == 303  # nothing visible is similar: posted at once


def test_the_review_step_keeps_the_token_so_a_later_resubmit_finds_the_post(client, earlier):
    assert ask(client).status_code == 200
    first = ask(client, reviewed="1")
    assert first.status_code == 303
    # The browser's back button and the original form again: the post it made, not a review.
    again = ask(client)
    assert again.status_code == 303 and again.headers["Location"] == first.headers["Location"]
    assert db.session.scalar(select(func.count(Post.id)).where(Post.submission_token == TOKEN)) == 1


@pytest.mark.parametrize("tampered", ["yes", "2", "<script>alert(1)</script>", "1 ", ""])
def test_a_tampered_reviewed_marker_only_means_not_reviewed_yet(client, earlier, tampered):
    before = row_counts()
    response = ask(client, reviewed=tampered)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and review_list(html) == [earlier.title]
    assert "<script>alert(1)" not in html and hidden_value(html, "reviewed") == "1"
    assert row_counts() == before


@pytest.mark.parametrize("field, value, error", [
    ("title", "", "Please write your question"),
    ("guest_email", "not-an-address", "valid email"),
    ("category", "999999", "Choose one of the listed categories."),
    ("content_warning", "x" * 101, "one short line"),
])
@pytest.mark.parametrize("reviewed", ["", "1"])
def test_bad_fields_get_their_errors_and_no_review(client, earlier, field, value, error, reviewed):
    before = row_counts()
    response = ask(client, reviewed=reviewed, **{field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert error in html.split(f'id="{field}-error"', 1)[1].split("</p>", 1)[0]
    assert review_list(html) is None
    assert row_counts() == before


@pytest.mark.parametrize("field, value, error", [
    ("title", "Panic?", "at least"),
    ("body", "x" * 30_001, "keep it under"),
    ("tags", "a b c d e f", "5"),
])
def test_the_posting_rules_answer_the_reviewed_submit_with_field_errors(client, earlier, field, value, error):
    """Rules the question service checks are met at the submit that posts, after the review."""
    before = row_counts()
    response = ask(client, reviewed="1", **{field: value})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert error in html.split(f'id="{field}-error"', 1)[1].split("</p>", 1)[0]
    assert hidden_value(html, "reviewed") == "1" and hidden_value(html, "submission_token") == TOKEN
    assert row_counts() == before
    assert ask(client, reviewed="1").status_code == 303  # corrected, it posts with the same token


def test_after_the_crisis_resources_the_asker_is_not_stopped_again(client, earlier):
    phrases.install_defaults()
    db.session.commit()
    data = {"title": "Panic attacks at work make me want to kill myself", "body": "Every day."}
    first = ask(client, **data)
    assert "Before you post" in first.get_data(as_text=True)
    assert review_list(first.get_data(as_text=True)) is None
    posted = ask(client, crisis_ack="1", **data)
    assert posted.status_code == 303


def posts_until_refused(client, address, reviews=0):
    """Post questions from ``address`` (after ``reviews`` review steps) until refused; return how many."""
    env = {"REMOTE_ADDR": address}
    for i in range(reviews):
        response = ask(client, submission_token=f"tok-review-{i:02}-0123456789ab", environ_base=env)
        assert response.status_code == 200 and HEADING in response.get_data(as_text=True)
    for i in range(40):
        response = ask(client, submission_token=f"tok-{address}-{i:02}-0123456789ab", reviewed="1",
                       title=f"{TITLE} ({address} {i})", environ_base=env)
        if response.status_code == 429:
            return i
        assert response.status_code == 303
    raise AssertionError("never refused")


@pytest.mark.ratelimit
def test_review_steps_do_not_use_up_the_posting_allowance(client, earlier):
    allowance = posts_until_refused(client, "192.0.2.1")
    assert allowance >= 1
    assert posts_until_refused(client, "192.0.2.2", reviews=12) == allowance


@pytest.mark.ratelimit
def test_review_steps_have_their_own_allowance(client, earlier):
    statuses = [ask(client, submission_token=f"tok-review-{i:02}-0123456789ab").status_code for i in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429
    assert db.session.scalar(select(func.count(Question.id))) == 1


@pytest.mark.csrf
def test_the_review_page_carries_a_csrf_token_that_posts(client, earlier):
    html = client.get("/ask").get_data(as_text=True)
    token = hidden_value(html, "csrf_token")
    response = ask(client, csrf_token=token)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and review_list(html) == [earlier.title]
    posted = ask(client, csrf_token=hidden_value(html, "csrf_token"), reviewed="1")
    assert posted.status_code == 303
    assert urlsplit(posted.headers["Location"]).path.startswith("/questions/")
    assert db.session.scalar(select(func.count(Tag.id))) == 2
