"""Posting: asking, answering and commenting, as members and guests, through views and services."""
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from markupsafe import escape
from sqlalchemy import func, select, update

from forum.extensions import db
from forum.models import Answer, Category, Comment, Post, Question, Tag, User, utcnow
from forum.services import answers, categories, comments, questions, settings
from forum.services.errors import ValidationFailed
from forum.services.posting import DuplicateSubmission, Guest
from forum.templating import compact_number

TITLE = "How can I fall asleep again at night?"
BODY = "I wake at **3am** every night and my mind starts racing."
GUEST_EMAIL = "sam.rivers-7f3a9c@mailbox.example"
NAME_LABEL = "Your name to display (optional)"
PRIVACY = "Privacy: your email address will only be used for sending these notifications."

# --- Helpers -----------------------------------------------------------------

def count(model):
    return db.session.scalar(select(func.count(model.id)))


def text_of(html):
    """The visible text of a page, tags removed and whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def field_error(html, field):
    """Return the error text shown next to ``field`` (``id="<field>-error"``), or None."""
    parts = html.split(f'id="{field}-error"', 1)
    if len(parts) != 2:
        return None
    return parts[1].split("</p>", 1)[0]


def path_of(response):
    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "") + (
        f"#{parts.fragment}" if parts.fragment else "")


def make_category(title="Sleep", slug=None, parent=None):
    category = categories.create_category(title, slug=slug, parent=parent)
    db.session.commit()
    return category


def make_question(author=None, title=TITLE, body=BODY, category=None, tags="", guest=None, **kwargs):
    question = questions.ask_question(author, title, body, category=category, tag_text=tags,
                                      guest=guest, **kwargs)
    db.session.commit()
    return question


def make_answer(question, author=None, body="Try a wind-down routine.", guest=None, **kwargs):
    answer = answers.post_answer(question, author, body, guest=guest, **kwargs)
    db.session.commit()
    return answer


def make_comment(parent, author=None, body="Thanks, that helps.", guest=None, **kwargs):
    comment = comments.post_comment(parent, author, body, guest=guest, **kwargs)
    db.session.commit()
    return comment


def change_settings(**values):
    settings.update_settings(None, values)
    db.session.commit()


def ask(client, **overrides):
    data = {"title": TITLE, "body": BODY, "tags": "", "category": "",
            "guest_name": "", "guest_email": "", "submission_token": ""}
    data.update(overrides)
    return client.post("/ask", data=data)


def page_of(client, question):
    response = client.get(f"/questions/{question.id}")
    assert response.status_code == 301
    response = client.get(response.headers["Location"])
    assert response.status_code == 200
    return response.get_data(as_text=True)


def tag_names(question_id):
    return [tag.name for tag in questions.get_question(question_id).tags]


def question_id_from(response):
    match = re.match(r"/questions/(\d+)/", urlsplit(response.headers["Location"]).path)
    assert match, response.headers["Location"]
    return int(match.group(1))


# --- A member posts ----------------------------------------------------------

def test_member_asks_answers_and_comments_and_the_page_shows_it_all(client, auth, member):
    sleep = make_category("Sleep")
    auth.login(member)

    response = ask(client, category=str(sleep.id), tags="Sleep, anxiety sleep")
    assert response.status_code == 303
    question_id = question_id_from(response)
    assert urlsplit(response.headers["Location"]).path == \
        f"/questions/{question_id}/how-can-i-fall-asleep-again-at-night"
    question = db.session.get(Question, question_id)
    assert question.author_id == member.id and question.category_id == sleep.id
    assert question.title == TITLE and question.guest_name is None
    assert tag_names(question_id) == ["anxiety", "sleep"]

    response = client.post(f"/questions/{question_id}/answers",
                           data={"body": "A *warm* bath an hour before bed helped me."})
    assert response.status_code == 303
    answer = db.session.scalars(select(Answer)).one()
    assert urlsplit(response.headers["Location"]).path == f"/answers/{answer.id}"
    followed = client.get(response.headers["Location"])
    assert followed.status_code == 302
    assert path_of(followed).endswith(f"#a{answer.id}")

    on_question = client.post(f"/posts/{question_id}/comments",
                              data={"body": "Do you wake at the same time each night?"})
    on_answer = client.post(f"/posts/{answer.id}/comments", data={"body": "Seconding the bath!"})
    assert on_question.status_code == on_answer.status_code == 303
    first, second = db.session.scalars(select(Comment).order_by(Comment.id)).all()
    assert first.parent_id == question_id and second.parent_id == answer.id
    assert path_of(on_question).endswith(f"#c{first.id}")
    assert path_of(on_answer).endswith(f"#c{second.id}")

    question = db.session.get(Question, question_id)
    assert question.answer_count == 1 and question.comment_count == 1
    assert db.session.get(Answer, answer.id).comment_count == 1

    html = page_of(client, question)
    text = text_of(html)
    assert f"<h1 id=\"question-title\">{TITLE}</h1>" in html
    assert "I wake at <strong>3am</strong> every night" in html
    assert "in Sleep" in text and 'href="/categories/sleep"' in html
    points = db.session.get(User, member.id).points  # what asking and answering earned
    assert f"by alex ({compact_number(points)} points)" in text
    assert 'href="/users/alex"' in html
    assert "A <em>warm</em> bath an hour before bed helped me." in html
    assert "Do you wake at the same time each night?" in html and "Seconding the bath!" in html
    assert f'id="c{first.id}"' in html and f'id="c{second.id}"' in html
    assert "1 Answer" in text
    assert '<h2 id="your-answer-heading">Your answer</h2>' in html
    assert 'href="/tags/anxiety"' in html and 'href="/tags/sleep"' in html


def test_tags_are_deduplicated_and_canonical_in_the_service(member):
    question = make_question(member, tags="Sleep, anxiety sleep SLEEP ｓｌｅｅｐ")
    assert tag_names(question.id) == ["anxiety", "sleep"]
    assert db.session.scalars(select(Tag.name).order_by(Tag.name)).all() == ["anxiety", "sleep"]
    assert db.session.scalar(select(Tag.question_count).where(Tag.name == "sleep")) == 1


def test_members_do_not_see_guest_fields(client, auth, member):
    question = make_question(member)
    auth.login(member)
    for html in (client.get("/ask").get_data(as_text=True), page_of(client, question),
                 client.get(f"/posts/{question.id}/comment").get_data(as_text=True)):
        assert "guest_name" not in html and "guest_email" not in html
        assert NAME_LABEL not in html and PRIVACY not in html


def test_a_member_posting_guest_fields_stays_the_author(client, auth, member):
    auth.login(member)
    response = ask(client, guest_name="Someone Else", guest_email=GUEST_EMAIL)
    assert response.status_code == 303
    question = db.session.scalars(select(Question)).one()
    assert question.author_id == member.id
    assert question.guest_name is None and question.guest_email is None


# --- Guests ------------------------------------------------------------------

def test_guest_form_shows_the_name_field_and_the_privacy_note(client, member):
    question = make_question(member)
    pages = {
        "ask": client.get("/ask"),
        "comment": client.get(f"/posts/{question.id}/comment"),
    }
    for name, response in pages.items():
        assert response.status_code == 200, name
    htmls = [r.get_data(as_text=True) for r in pages.values()] + [page_of(client, question)]
    for html in htmls:
        assert NAME_LABEL in html and PRIVACY in html
        assert 'name="guest_name"' in html and 'name="guest_email"' in html


def test_guest_asks_with_a_name_shown_as_guest_and_never_linked(client):
    response = ask(client, guest_name="Sam Rivers", guest_email=GUEST_EMAIL)
    assert response.status_code == 303
    question = db.session.get(Question, question_id_from(response))
    assert question.author_id is None
    assert question.guest_name == "Sam Rivers" and question.guest_email == GUEST_EMAIL

    html = page_of(client, question)
    assert '<span class="author">Sam Rivers</span> <span class="badge">guest</span>' in html
    assert "by Sam Rivers guest" in text_of(html)
    assert "/users/Sam" not in html and "/users/sam" not in html
    assert "points)" not in text_of(html)


def test_guest_without_a_name_shows_as_anonymous(client):
    response = ask(client, guest_email=GUEST_EMAIL)
    assert response.status_code == 303
    question = db.session.get(Question, question_id_from(response))
    assert question.guest_name is None
    html = page_of(client, question)
    assert "by Anonymous" in text_of(html)
    assert "/users/" not in html.split('id="question-title"', 1)[1].split("</article>", 1)[0]


def test_guest_answers_and_comments_show_their_names(client, member):
    question = make_question(member)
    assert client.post(f"/questions/{question.id}/answers", data={
        "body": "What worked for me was a fixed wake-up time.", "guest_name": "Robin",
        "guest_email": GUEST_EMAIL}).status_code == 303
    answer = db.session.scalars(select(Answer)).one()
    assert answer.author_id is None and answer.guest_name == "Robin"
    assert client.post(f"/posts/{answer.id}/comments", data={
        "body": "Good tip.", "guest_name": "", "guest_email": GUEST_EMAIL}).status_code == 303
    html = page_of(client, question)
    assert '<span class="author">Robin</span> <span class="badge">guest</span>' in html
    assert "— Anonymous" in text_of(html)
    assert GUEST_EMAIL not in html


def test_a_guests_email_never_appears_on_any_page(client):
    sleep = make_category("Sleep")
    question = make_question(None, category=sleep, tags="insomnia",
                             guest=Guest("Sam Rivers", GUEST_EMAIL))
    answer = make_answer(question, guest=Guest("Robin", GUEST_EMAIL))
    make_comment(question, guest=Guest(None, GUEST_EMAIL))
    make_comment(answer, guest=Guest("Kim", GUEST_EMAIL))
    assert db.session.get(Question, question.id).guest_email == GUEST_EMAIL

    pages = [f"/questions/{question.id}/how-can-i-fall-asleep-again-at-night",
             "/", "/unanswered", "/tags/insomnia", "/categories/sleep", "/categories",
             f"/posts/{question.id}/comment", f"/posts/{answer.id}/comment"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.get_data(as_text=True)
        assert GUEST_EMAIL not in html and "mailbox.example" not in html, url
    assert "Sam Rivers" in client.get("/").get_data(as_text=True)


# --- Guest names that impersonate -------------------------------------------

IMPERSONATING = [
    ("alex", "A member uses this name"),
    ("ALEX", "A member uses this name"),
    ("Alex", "A member uses this name"),
    ("ａｌｅｘ", "A member uses this name"),
    ("Moderator", "suggest a role on the site"),
    ("Moderator Mia", "suggest a role on the site"),
    ("the admin", "suggest a role on the site"),
    ("SiteAdmin", "suggest a role on the site"),
    ("Verified Nurse", "suggest a role on the site"),
    ("x" * 41, "Keep your name under 40 characters."),
]


@pytest.mark.parametrize("name, message", IMPERSONATING)
def test_guest_names_that_impersonate_are_refused_on_ask(client, member, name, message):
    response = ask(client, guest_name=name, guest_email=GUEST_EMAIL)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = field_error(html, "guest_name")
    assert error is not None and message in error
    assert f'value="{escape(name)}"' in html
    assert f'value="{escape(TITLE)}"' in html and "every night and my mind starts racing" in html
    assert count(Post) == 0


@pytest.mark.parametrize("name, message", [IMPERSONATING[1], IMPERSONATING[6], IMPERSONATING[-1]])
def test_guest_names_that_impersonate_are_refused_on_answers_and_comments(client, member, name, message):
    question = make_question(member)
    body = "Keep the lights low in the evening."
    for url, form_id in ((f"/questions/{question.id}/answers", "answer"),
                         (f"/posts/{question.id}/comments", "comment")):
        response = client.post(url, data={"body": body, "guest_name": name})
        html = response.get_data(as_text=True)
        assert response.status_code == 400, form_id
        error = field_error(html, "guest_name")
        assert error is not None and message in error, form_id
        assert f'value="{escape(name)}"' in html and body in html, form_id
    assert count(Answer) == 0 and count(Comment) == 0
    question = db.session.get(Question, question.id)
    assert question.answer_count == 0 and question.comment_count == 0


def test_guest_name_rules_also_hold_in_the_service(member):
    with pytest.raises(ValidationFailed) as error:
        questions.ask_question(None, TITLE, BODY, guest=Guest("ＡＬＥＸ", None))
    assert "guest_name" in error.value.errors
    db.session.rollback()
    with pytest.raises(ValidationFailed) as error:
        answers.post_answer(make_question(member), None, "An answer.", guest=Guest("Staff", None))
    assert "guest_name" in error.value.errors
    db.session.rollback()
    assert count(Answer) == 0


def test_a_fine_guest_name_is_accepted_with_surrounding_space_trimmed(client):
    response = ask(client, guest_name="  Sam   Rivers  ")
    assert response.status_code == 303
    assert db.session.scalars(select(Question.guest_name)).one() == "Sam Rivers"


# --- When guests may not post -------------------------------------------------

def test_guests_get_403_everywhere_when_guests_may_not_post(client, member):
    question = make_question(member)
    change_settings(guests_may_post=False)
    assert client.get("/ask").status_code == 403
    assert ask(client, guest_name="Sam").status_code == 403
    assert client.post(f"/questions/{question.id}/answers",
                       data={"body": "An answer from a guest."}).status_code == 403
    assert client.post(f"/posts/{question.id}/comments",
                       data={"body": "A comment from a guest."}).status_code == 403
    assert client.get(f"/posts/{question.id}/comment").status_code == 403
    assert count(Post) == 1


def test_question_page_offers_a_login_link_instead_of_the_form_when_guests_may_not_post(client, member):
    question = make_question(member)
    change_settings(guests_may_post=False)
    html = page_of(client, question)
    assert "Your answer" not in html and 'name="body"' not in html
    assert "Add a comment" not in html
    assert re.search(r'<a href="/login\?next=[^"]+">Log in</a> to answer', html)


def test_members_still_post_when_guests_may_not(client, auth, member):
    change_settings(guests_may_post=False)
    auth.login(member)
    response = ask(client)
    assert response.status_code == 303
    question_id = question_id_from(response)
    assert client.post(f"/questions/{question_id}/answers", data={"body": "Yes."}).status_code == 303
    assert "Your answer" in page_of(client, db.session.get(Question, question_id))


# --- Bad input on ask ----------------------------------------------------------

BAD_ASKS = [
    ({"title": ""}, "title", "Please write your question as a title."),
    ({"title": "   "}, "title", "Please write your question as a title."),
    ({"title": "Sleep??"}, "title", "at least 8 characters"),
    ({"title": "W" * 201}, "title", "Keep the title under 200 characters."),
    ({"title": "How do I \x07 sleep better?"}, "title", "control characters"),
    ({"body": "z" * 30_001}, "body", "That is 30,001 characters; please keep it under 30,000."),
    ({"category": "999999"}, "category", "Choose one of the listed categories."),
    ({"category": "abc"}, "category", "Choose one of the listed categories."),
    ({"category": ""}, "category", "Choose the category that fits best."),
    ({"tags": "one two three four five six"}, "tags", "Use at most 5 tags."),
    ({"tags": "sleep c++"}, "tags", "tags use letters, digits and hyphens only"),
    ({"tags": "snake_case"}, "tags", "tags use letters, digits and hyphens only"),
    ({"tags": "x" * 41}, "tags", "is too long for a tag"),
    ({"guest_email": "not-an-email"}, "guest_email", "Enter a valid email address"),
    ({"guest_name": "Moderator"}, "guest_name", "suggest a role on the site"),
]


@pytest.mark.parametrize("overrides, field, message", BAD_ASKS)
def test_bad_questions_say_why_next_to_the_field_and_save_nothing(client, member, overrides, field, message):
    sleep = make_category("Sleep")
    data = {"category": str(sleep.id), "tags": "sleep"}
    data.update(overrides)
    response = ask(client, **data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = field_error(html, field)
    assert error is not None, f"no error shown for {field}"
    assert message in error
    typed_title = data.get("title", TITLE)
    if typed_title.strip():
        assert f'value="{escape(typed_title)}"' in html
    assert str(escape(data.get("body", BODY))) in html
    assert count(Question) == 0 and count(Post) == 0 and count(Tag) == 0
    assert db.session.get(Category, sleep.id).question_count == 0


def test_bad_question_as_a_member_keeps_what_was_typed(client, auth, member):
    auth.login(member)
    response = ask(client, title="Short", body="My own words", tags="grief")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'value="Short"' in html and "My own words" in html and 'value="grief"' in html
    assert count(Question) == 0


def test_several_problems_are_all_shown_at_once(client):
    sleep = make_category("Sleep")
    response = ask(client, title="Short", body="b" * 30_001, tags="c++", category=str(sleep.id))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert field_error(html, "title") and field_error(html, "body") and field_error(html, "tags")
    assert count(Question) == 0


def test_category_is_optional_while_there_are_no_categories(client):
    response = ask(client, category="")
    assert response.status_code == 303
    assert db.session.scalars(select(Question.category_id)).one() is None


def test_a_title_and_body_at_the_limits_are_accepted(client):
    title = "T" * 200
    response = ask(client, title=title, body="b" * 30_000)
    assert response.status_code == 303
    question = db.session.scalars(select(Question)).one()
    assert question.title == title and len(question.body) == 30_000


def test_the_service_refuses_the_same_bad_input(member):
    cases = [
        (dict(title="Sleep??"), "title"),
        (dict(title="W" * 201), "title"),
        (dict(title="How do I \x07 sleep better?"), "title"),
        (dict(body="z" * 30_001), "body"),
        (dict(body="Bell \x07 in the body"), "body"),
        (dict(tag_text="a b c d e f"), "tags"),
        (dict(tag_text="c++"), "tags"),
    ]
    for overrides, field in cases:
        kwargs = {"title": TITLE, "body": BODY, "tag_text": ""}
        kwargs.update(overrides)
        with pytest.raises(ValidationFailed) as error:
            questions.ask_question(member, kwargs.pop("title"), kwargs.pop("body"), **kwargs)
        assert field in error.value.errors, overrides
        db.session.rollback()
    make_category("Sleep")
    with pytest.raises(ValidationFailed) as error:
        questions.ask_question(member, TITLE, BODY)
    assert error.value.errors == {"category": ["Choose the category that fits best."]}
    db.session.rollback()
    assert count(Post) == 0


# --- Bad input on answers and comments ------------------------------------------

@pytest.mark.parametrize("body, message", [
    ("", "Please write your answer first."),
    ("   \n  ", "Please write your answer first."),
    ("a" * 30_001, "That is 30,001 characters; please keep it under 30,000."),
])
def test_bad_answers_say_why_and_change_nothing(client, member, body, message):
    question = make_question(member, created_at=utcnow() - timedelta(days=2))
    before = db.session.get(Question, question.id).last_activity_at
    response = client.post(f"/questions/{question.id}/answers",
                           data={"body": body, "guest_name": "Robin"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = field_error(html, "body")
    assert error is not None and message in error
    if body.strip():
        assert body in html
    assert 'value="Robin"' in html
    assert "Your answer" in html and TITLE in html
    assert count(Answer) == 0
    question = db.session.get(Question, question.id)
    assert question.answer_count == 0 and question.last_activity_at == before


@pytest.mark.parametrize("on", ["question", "answer"])
@pytest.mark.parametrize("body, message", [
    ("", "Please write your comment first."),
    ("c" * 2_001, "That is 2,001 characters; please keep it under 2,000."),
])
def test_bad_comments_say_why_and_change_nothing(client, member, on, body, message):
    question = make_question(member, created_at=utcnow() - timedelta(days=2))
    answer = make_answer(question, member, created_at=utcnow() - timedelta(days=1))
    parent = question if on == "question" else answer
    before = db.session.get(Question, question.id).last_activity_at
    response = client.post(f"/posts/{parent.id}/comments", data={"body": body})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = field_error(html, "body")
    assert error is not None and message in error
    if body:
        assert body in html
    assert count(Comment) == 0
    assert db.session.get(Post, parent.id).comment_count == 0
    assert db.session.get(Question, question.id).last_activity_at == before


def test_a_comment_of_exactly_2000_characters_is_fine(client, member):
    question = make_question(member)
    assert client.post(f"/posts/{question.id}/comments", data={"body": "c" * 2_000}).status_code == 303
    assert count(Comment) == 1


# --- Missing things ----------------------------------------------------------

def test_missing_ids_are_404(client, member):
    question = make_question(member)
    answer = make_answer(question, member)
    comment = make_comment(answer, member)
    assert client.get("/questions/999999").status_code == 404
    assert client.get("/questions/999999/some-slug").status_code == 404
    assert client.post("/questions/999999/answers", data={"body": "Hello there"}).status_code == 404
    assert client.post("/posts/999999/comments", data={"body": "Hello there"}).status_code == 404
    assert client.get("/posts/999999/comment").status_code == 404
    assert client.get("/answers/999999").status_code == 404
    assert client.get(f"/answers/{question.id}").status_code == 404  # a question is not an answer
    assert client.get(f"/posts/{comment.id}/comment").status_code == 404
    assert client.post(f"/posts/{comment.id}/comments", data={"body": "Nested?"}).status_code == 404
    assert count(Comment) == 1 and count(Answer) == 1


@pytest.mark.parametrize("url", [
    "/categories/nope", "/tags/nope", "/?page=abc", "/?page=0", "/?page=-1", "/?page=2",
    "/unanswered?page=abc", "/questions/1x",
])
def test_missing_pages_are_404(client, url):
    assert client.get(url).status_code == 404


def test_an_answer_id_on_the_question_url_is_404(client, member):
    question = make_question(member)
    answer = make_answer(question, member)
    assert client.get(f"/questions/{answer.id}").status_code == 404


# --- Slugs ---------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["", "/wrong-slug", "/HOW-CAN-I-FALL-ASLEEP-AGAIN-AT-NIGHT",
                                    "/how-can-i-fall-asleep-again-at-night/"])
def test_wrong_or_missing_slugs_redirect_permanently_to_the_canonical_url(client, member, suffix):
    question = make_question(member)
    response = client.get(f"/questions/{question.id}{suffix}")
    assert response.status_code == 301
    canonical_path = f"/questions/{question.id}/how-can-i-fall-asleep-again-at-night"
    assert urlsplit(response.headers["Location"]).path == canonical_path
    assert client.get(canonical_path).status_code == 200


def test_slug_redirect_keeps_the_page_argument(client, member):
    question = make_question(member)
    response = client.get(f"/questions/{question.id}/old?page=2")
    assert response.status_code == 301
    assert path_of(response) == f"/questions/{question.id}/how-can-i-fall-asleep-again-at-night?page=2"


# --- Double submits ----------------------------------------------------------

def test_asking_twice_with_the_same_token_makes_one_question(client):
    first = ask(client, submission_token="tok-ask-1-0123456789abcdef", tags="sleep", guest_name="Sam")
    second = ask(client, submission_token="tok-ask-1-0123456789abcdef", tags="sleep", guest_name="Sam")
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count(Question) == 1
    assert db.session.scalar(select(Tag.question_count).where(Tag.name == "sleep")) == 1


def test_asking_twice_with_the_same_token_as_a_member(client, auth, member):
    auth.login(member)
    first = ask(client, submission_token="tok-ask-2-0123456789abcdef")
    second = ask(client, submission_token="tok-ask-2-0123456789abcdef")
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count(Question) == 1


def test_different_tokens_make_different_questions(client):
    assert ask(client, submission_token="tok-a-0123456789abcdef").status_code == 303
    # The same title again: the asker has seen the first on the review step. (The same
    # title and text within five minutes would be refused as a repeat; see test_hostile_input.)
    assert ask(client, submission_token="tok-b-0123456789abcdef", reviewed="1",
               body=BODY + " And more.").status_code == 303
    assert count(Question) == 2


def test_answering_twice_with_the_same_token_makes_one_answer(client, member):
    question = make_question(member)
    data = {"body": "Keep a sleep diary for a week.", "submission_token": "tok-answer-1-0123456789abcdef"}
    first = client.post(f"/questions/{question.id}/answers", data=data)
    second = client.post(f"/questions/{question.id}/answers", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert count(Answer) == 1
    assert db.session.get(Question, question.id).answer_count == 1


def test_commenting_twice_with_the_same_token_makes_one_comment(client, member):
    question = make_question(member)
    answer = make_answer(question, member)
    data = {"body": "Same here.", "submission_token": "tok-comment-1-0123456789abcdef"}
    first = client.post(f"/posts/{answer.id}/comments", data=data)
    second = client.post(f"/posts/{answer.id}/comments", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    comment = db.session.scalars(select(Comment)).one()
    assert path_of(first).endswith(f"#c{comment.id}")
    assert db.session.get(Answer, answer.id).comment_count == 1


def test_the_forms_carry_a_fresh_submission_token(client, member):
    question = make_question(member)
    tokens = []
    for url in ("/ask", f"/posts/{question.id}/comment"):
        html = client.get(url).get_data(as_text=True)
        tokens += re.findall(r'name="submission_token" type="hidden" value="([^"]+)"', html)
    html = page_of(client, question)
    tokens += re.findall(r'name="submission_token" type="hidden" value="([^"]+)"', html)
    assert len(tokens) == 3 and len(set(tokens)) == 3
    assert all(len(token) >= 20 for token in tokens)


def test_the_service_raises_duplicate_submission(member):
    question = make_question(member, token="svc-token")
    with pytest.raises(DuplicateSubmission) as duplicate:
        questions.ask_question(member, "A different question title?", "", token="svc-token")
    assert duplicate.value.post.id == question.id
    db.session.rollback()
    answer = make_answer(question, member, token="svc-answer")
    with pytest.raises(DuplicateSubmission) as duplicate:
        answers.post_answer(question, member, "Again", token="svc-answer")
    assert duplicate.value.post.id == answer.id
    db.session.rollback()
    assert count(Question) == 1 and count(Answer) == 1


# --- Counters (services) -------------------------------------------------------

def test_answers_and_comments_move_the_counters_and_last_activity(member, editor):
    start = utcnow() - timedelta(days=3)
    question = make_question(member, created_at=start)
    question = db.session.get(Question, question.id)
    assert question.answer_count == 0 and question.comment_count == 0
    assert question.last_activity_at == start

    answered_at = start + timedelta(days=1)
    answer = make_answer(question, editor, created_at=answered_at)
    question = db.session.get(Question, question.id)
    assert question.answer_count == 1 and question.last_activity_at == answered_at

    commented_at = start + timedelta(days=2)
    make_comment(question, editor, created_at=commented_at)
    question = db.session.get(Question, question.id)
    assert question.comment_count == 1 and question.last_activity_at == commented_at

    later = start + timedelta(days=2, hours=5)
    make_comment(answer, member, created_at=later)
    make_comment(answer, None, guest=Guest("Kim"), created_at=later + timedelta(minutes=1))
    question = db.session.get(Question, question.id)
    assert db.session.get(Answer, answer.id).comment_count == 2
    assert question.comment_count == 1  # comments on the answer are counted on the answer
    assert question.last_activity_at == later + timedelta(minutes=1)

    # Something dated earlier never moves the activity back.
    make_answer(question, member, created_at=start + timedelta(hours=1))
    question = db.session.get(Question, question.id)
    assert question.answer_count == 2 and question.last_activity_at == later + timedelta(minutes=1)


def test_last_activity_moves_with_answers_posted_now(member):
    question = make_question(member, created_at=utcnow() - timedelta(days=1))
    before = db.session.get(Question, question.id).last_activity_at
    make_answer(question, member)
    assert db.session.get(Question, question.id).last_activity_at > before


def test_category_counts_include_sub_categories(member):
    parent = make_category("Relationships")
    child = make_category("Breakups", parent=parent)
    other = make_category("Work")
    make_question(member, category=child)
    assert db.session.get(Category, child.id).question_count == 1
    assert db.session.get(Category, parent.id).question_count == 1
    assert db.session.get(Category, other.id).question_count == 0
    make_question(member, title="Is it normal to miss my ex?", category=parent)
    assert db.session.get(Category, child.id).question_count == 1
    assert db.session.get(Category, parent.id).question_count == 2


def test_category_counts_through_three_levels(client, member):
    top = make_category("Family")
    middle = make_category("Parents", parent=top)
    bottom = make_category("Ageing parents", parent=middle)
    response = ask(client, category=str(bottom.id))
    assert response.status_code == 303
    assert [db.session.get(Category, c.id).question_count for c in (top, middle, bottom)] == [1, 1, 1]


def test_tag_counts(member):
    make_question(member, tags="sleep anxiety")
    make_question(member, title="Why do I dream so vividly?", tags="Sleep dreams")
    counts = dict(db.session.execute(select(Tag.name, Tag.question_count)).all())
    assert counts == {"sleep": 2, "anxiety": 1, "dreams": 1}


def test_asking_through_the_view_moves_category_and_tag_counts(client):
    parent = make_category("Health")
    child = make_category("Sleep", parent=parent)
    assert ask(client, category=str(child.id), tags="insomnia").status_code == 303
    assert db.session.get(Category, parent.id).question_count == 1
    assert db.session.get(Category, child.id).question_count == 1
    assert db.session.scalar(select(Tag.question_count).where(Tag.name == "insomnia")) == 1


# --- /answers/<id> -------------------------------------------------------------

def test_answer_links_go_to_the_page_the_answer_is_on(client, member):
    change_settings(answers_per_page=5)
    question = make_question(member)
    start = utcnow() - timedelta(hours=1)
    made = []
    for i, score in enumerate([3, 10, -2, 0, 7, 1, 5]):
        answer = make_answer(question, member, body=f"Answer number {i}",
                             created_at=start + timedelta(minutes=i))
        made.append((answer.id, score))
    for answer_id, score in made:
        db.session.execute(update(Post).where(Post.id == answer_id)
                           .values(score=score, upvote_count=max(score, 0)))
    db.session.commit()
    slug_path = f"/questions/{question.id}/how-can-i-fall-asleep-again-at-night"
    highest = max(made, key=lambda m: m[1])[0]
    lowest = min(made, key=lambda m: m[1])[0]

    response = client.get(f"/answers/{highest}")
    assert response.status_code == 302
    assert path_of(response) == f"{slug_path}#a{highest}"

    response = client.get(f"/answers/{lowest}")
    assert response.status_code == 302
    assert path_of(response) == f"{slug_path}?page=2#a{lowest}"

    # And the pages really show them there: scores 10, 7, 5, 3, 1 | 0, -2.
    by_score = {score: answer_id for answer_id, score in made}
    page1 = client.get(slug_path).get_data(as_text=True)
    page2 = client.get(f"{slug_path}?page=2").get_data(as_text=True)
    assert all(f'id="a{by_score[s]}"' in page1 for s in (10, 7, 5, 3, 1))
    assert all(f'id="a{by_score[s]}"' not in page1 for s in (0, -2))
    assert f'id="a{lowest}"' in page2 and f'id="a{by_score[0]}"' in page2
    ids = re.findall(r'id="a(\d+)"', page1)
    assert [int(i) for i in ids] == [by_score[s] for s in (10, 7, 5, 3, 1)]
    assert "7 Answers" in text_of(page1)

    # The sixth answer (score 0) is the first one on page 2.
    response = client.get(f"/answers/{by_score[0]}")
    assert path_of(response) == f"{slug_path}?page=2#a{by_score[0]}"
    response = client.get(f"/answers/{by_score[1]}")
    assert path_of(response) == f"{slug_path}#a{by_score[1]}"


def test_answer_posted_onto_page_two_redirects_there(client, member):
    change_settings(answers_per_page=5)
    question = make_question(member)
    for i in range(5):
        make_answer(question, member, body=f"Early answer {i}")
    response = client.post(f"/questions/{question.id}/answers", data={"body": "Late answer"})
    assert response.status_code == 303
    answer_id = db.session.scalar(select(Answer.id).where(Answer.body == "Late answer"))
    followed = client.get(response.headers["Location"])
    assert followed.status_code == 302
    assert path_of(followed).endswith(f"?page=2#a{answer_id}")

    response = client.post(f"/posts/{answer_id}/comments", data={"body": "Comment on page two"})
    comment_id = db.session.scalar(select(Comment.id))
    assert response.status_code == 303
    assert path_of(response).endswith(f"?page=2#c{comment_id}")


# --- Markdown on the page ------------------------------------------------------

def test_markdown_is_rendered_and_dangerous_html_never_reaches_the_page(client, member):
    body = ("**bold** and <script>alert(1)</script> and <img src=x onerror=alert(1)> "
            "and [link](javascript:alert(1)) <a href=\"#\" onclick=\"alert(1)\">x</a>")
    question = make_question(member, body=body)
    answer = make_answer(question, member, body="<script>alert(1)</script>*answer* **bold**")
    make_comment(answer, member, body="<img src=x onerror=alert(1)> **bold**")
    html = page_of(client, question)
    assert "<strong>bold</strong>" in html
    assert "<em>answer</em>" in html
    assert "<script>alert" not in html
    assert "onerror" not in html and "onclick" not in html
    assert "javascript:" not in html
    comment_html = client.get(f"/posts/{question.id}/comment").get_data(as_text=True)
    assert "<strong>bold</strong>" in comment_html
    assert "<script>alert" not in comment_html and "onerror" not in comment_html


def test_titles_are_escaped_on_the_page(client, member):
    question = make_question(member, title="Is <b>this</b> & that okay?")
    html = page_of(client, question)
    assert "Is &lt;b&gt;this&lt;/b&gt; &amp; that okay?" in html
    assert "<b>this</b>" not in html


# --- Every successful POST redirects with 303 --------------------------------------

@pytest.mark.parametrize("as_member", [True, False])
def test_every_successful_post_redirects_with_303(client, auth, member, as_member):
    if as_member:
        auth.login(member)
    response = ask(client)
    assert response.status_code == 303
    question_id = question_id_from(response)
    response = client.post(f"/questions/{question_id}/answers", data={"body": "An answer."})
    assert response.status_code == 303
    answer_id = db.session.scalar(select(Answer.id))
    for parent_id in (question_id, answer_id):
        # Distinct texts: the same text twice within five minutes is refused as a repeat.
        response = client.post(f"/posts/{parent_id}/comments", data={"body": f"A comment on {parent_id}."})
        assert response.status_code == 303
        assert urlsplit(response.headers["Location"]).path.startswith(f"/questions/{question_id}/")
    assert count(Question) == 1 and count(Answer) == 1 and count(Comment) == 2
    authors = set(db.session.scalars(select(Post.author_id)))
    assert authors == ({member.id} if as_member else {None})


# --- The comment page ------------------------------------------------------------

def test_comment_page_on_a_question_quotes_it(client, member):
    question = make_question(member)
    response = client.get(f"/posts/{question.id}/comment")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "On the question" in text_of(html) and TITLE in html
    assert "I wake at <strong>3am</strong>" in html
    assert f'action="/posts/{question.id}/comments"' in html


def test_comment_page_on_a_guests_answer_names_the_guest(client, member):
    question = make_question(member)
    answer = make_answer(question, guest=Guest("Robin", GUEST_EMAIL), body="*Guest* answer")
    response = client.get(f"/posts/{answer.id}/comment")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "On an answer by Robin" in text_of(html) and "<em>Guest</em> answer" in html
    assert GUEST_EMAIL not in html


def test_comment_page_on_a_members_answer_names_the_member(client, member, editor):
    question = make_question(member)
    answer = make_answer(question, editor, body="*Member* answer")
    response = client.get(f"/posts/{answer.id}/comment")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "On an answer by edith" in text_of(html) and "<em>Member</em> answer" in html


def test_a_bad_comment_on_a_members_answer_is_shown_again(client, member, editor):
    question = make_question(member)
    answer = make_answer(question, editor)
    response = client.post(f"/posts/{answer.id}/comments", data={"body": "c" * 2_001})
    assert response.status_code == 400
    assert "please keep it under 2,000" in field_error(response.get_data(as_text=True), "body")


# --- Invisible characters in guest names ----------------------------------------------

@pytest.mark.parametrize("name", ["ale\u200bx", "\u2060alex", "Mod\u200berator", "ad\u00admin"])
def test_invisible_characters_do_not_get_a_name_past_the_rules(client, member, name):
    response = ask(client, guest_name=name)
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "guest_name") is not None
    assert count(Post) == 0



# --- Odd input that must never be a 500 ------------------------------------------------

@pytest.mark.parametrize("category", ["\u00b2", "9" * 5_000])
def test_a_category_that_looks_numeric_but_is_not_is_refused(client, category):
    make_category("Sleep")
    response = ask(client, category=category)
    assert response.status_code == 400
    assert "Choose one of the listed categories." in field_error(response.get_data(as_text=True), "category")
    assert count(Question) == 0


@pytest.mark.parametrize("page_number", ["\u00b2", "9" * 5_000])
def test_a_question_page_number_that_looks_numeric_but_is_not_is_404(client, member, page_number):
    question = make_question(member)
    url = f"/questions/{question.id}/how-can-i-fall-asleep-again-at-night"
    assert client.get(url, query_string={"page": page_number}).status_code == 404


@pytest.mark.parametrize("page_number", ["abc", "0", "-1", "1.5", "100001"])
def test_bad_answer_page_numbers_are_404(client, member, page_number):
    question = make_question(member)
    url = f"/questions/{question.id}/how-can-i-fall-asleep-again-at-night"
    assert client.get(url, query_string={"page": page_number}).status_code == 404


def test_a_page_past_the_last_shows_the_last(client, member):
    question = make_question(member)
    make_answer(question, member, body="The only answer")
    url = f"/questions/{question.id}/how-can-i-fall-asleep-again-at-night"
    response = client.get(url, query_string={"page": "7"})
    assert response.status_code == 200 and "The only answer" in response.get_data(as_text=True)


@pytest.mark.parametrize("token", ["t" * 65, "tok\x00en"])
def test_a_malformed_submission_token_is_not_a_server_error(client, member, token):
    response = ask(client, submission_token=token)
    assert response.status_code in (303, 400)
    question = make_question(member, title="Another question for the answer")
    response = client.post(f"/questions/{question.id}/answers",
                           data={"body": "An answer.", "submission_token": token})
    assert response.status_code in (303, 400)


def test_non_ascii_titles_get_a_working_canonical_url(client, member):
    question = make_question(member, title="Как мне снова уснуть ночью?")
    response = client.get(f"/questions/{question.id}")
    assert response.status_code == 301
    followed = client.get(response.headers["Location"])
    assert followed.status_code == 200
    assert "Как мне снова уснуть ночью?" in followed.get_data(as_text=True)


def test_a_title_without_letters_still_has_a_slug(client, member):
    question = make_question(member, title="?!?!?!?!?!")
    response = client.get(f"/questions/{question.id}")
    assert response.status_code == 301
    assert urlsplit(response.headers["Location"]).path == f"/questions/{question.id}/question"
    assert client.get(response.headers["Location"]).status_code == 200


# --- Hidden things are missing things --------------------------------------------------

def test_hidden_questions_and_answers_are_404_to_guests(client, member):
    question = make_question(member)
    answer = make_answer(question, member)
    db.session.execute(update(Post).where(Post.id == answer.id).values(status="hidden"))
    db.session.commit()
    assert client.get(f"/answers/{answer.id}").status_code == 404
    assert client.post(f"/posts/{answer.id}/comments", data={"body": "Hi"}).status_code == 404
    assert f'id="a{answer.id}"' not in page_of(client, question)
    db.session.execute(update(Post).where(Post.id == question.id).values(status="hidden"))
    db.session.commit()
    assert client.get(f"/questions/{question.id}").status_code == 404
    assert client.post(f"/questions/{question.id}/answers", data={"body": "Hi"}).status_code == 404
    assert client.post(f"/posts/{question.id}/comments", data={"body": "Hi"}).status_code == 404
    assert count(Comment) == 0 and count(Answer) == 1
