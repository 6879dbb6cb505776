"""Question lists: recent, unanswered, per category, per tag, pagination, the category tree."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from forum.extensions import db
from forum.models import Post, User, utcnow
from forum.services import answers, categories, questions, settings
from forum.services.posting import Guest
from forum.templating import compact_number

# --- Helpers -----------------------------------------------------------------

def text_of(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def rows(html):
    """Return the HTML of each question row of a list page, in order."""
    if '<ol class="question-list">' not in html:
        return []
    listing = html.split('<ol class="question-list">', 1)[1].split("</ol>", 1)[0]
    return listing.split('<li class="question-row">')[1:]


def titles(html):
    return [re.search(r'<h2 class="question-title"><a href="[^"]+">([^<]+)</a>', row).group(1)
            for row in rows(html)]


def get_html(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def make_category(title, parent=None):
    category = categories.create_category(title, parent=parent)
    db.session.commit()
    return category


def ago(**delta):
    return utcnow() - timedelta(**delta)


def make_question(author, title, category=None, tags="", guest=None, created_at=None,
                  score=0, views=0):
    question = questions.ask_question(author, title, "Some detail.", category=category,
                                      tag_text=tags, guest=guest, created_at=created_at)
    db.session.flush()
    if score or views:
        db.session.execute(update(Post).where(Post.id == question.id)
                           .values(score=score, upvote_count=max(score, 0), view_count=views))
    db.session.commit()
    return question


def answer(question, author, body="An answer."):
    answers.post_answer(question, author, body)
    db.session.commit()


def set_per_page(n):
    settings.update_settings(None, {"questions_per_page": n})
    db.session.commit()


# --- Recent questions ------------------------------------------------------------

@pytest.fixture
def three_questions(member, editor):
    member.points = 1234
    db.session.commit()
    sleep = make_category("Sleep")
    work = make_category("Work")
    old = make_question(member, "Why do I wake up at 3am every night?", category=sleep,
                        tags="sleep", created_at=ago(days=3, minutes=5), score=5, views=1500)
    middle = make_question(None, "How do I talk to my boss about burnout?", category=work,
                           guest=Guest("Sam Rivers", "sam@mailbox.example"),
                           created_at=ago(hours=3, minutes=5), score=1, views=1)
    new = make_question(editor, "Is it normal to feel tired after therapy?", category=sleep,
                        tags="sleep therapy", created_at=ago(minutes=10), score=-2)
    answer(old, editor)
    answer(old, editor, "Another answer.")
    return old, middle, new


def test_home_lists_questions_newest_first_with_their_details(client, three_questions):
    html = get_html(client, "/")
    assert titles(html) == ["Is it normal to feel tired after therapy?",
                            "How do I talk to my boss about burnout?",
                            "Why do I wake up at 3am every night?"]
    new, middle, old = (text_of(row) for row in rows(html))
    assert "+5 votes" in old and "2 answers" in old and "1.5k views" in old
    assert "asked 3 days ago" in old and "in Sleep" in old
    points = {u.username: compact_number(u.points) for u in db.session.scalars(select(User))}
    assert points["alex"].endswith("k")  # 1,234 plus whatever posting earned
    assert f"by alex ({points['alex']} points)" in old
    assert "+1 vote " in middle and "0 answers" in middle and "1 view " in middle
    assert "asked 3 hours ago" in middle and "in Work" in middle
    assert "by Sam Rivers guest" in middle and "points" not in middle
    assert "-2 votes" in new and "0 views" in new and "asked 10 minutes ago" in new
    assert f"by edith ({points['edith']} points)" in new
    old_row = rows(html)[2]
    assert 'href="/users/alex"' in old_row and 'href="/categories/sleep"' in old_row
    assert 'href="/tags/sleep"' in old_row
    assert '/users/' not in rows(html)[1]
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[^"]+">3 days ago</time>', old_row)
    assert "sam@mailbox.example" not in html


def test_home_links_each_question_to_its_canonical_url(client, three_questions):
    old = three_questions[0]
    html = get_html(client, "/")
    assert f'href="/questions/{old.id}/why-do-i-wake-up-at-3am-every-night"' in html


def test_home_orders_by_when_asked_not_by_activity(client, three_questions):
    old = three_questions[0]
    answer(old, None, "A fresh answer to the oldest question.")
    assert titles(get_html(client, "/"))[-1] == "Why do I wake up at 3am every night?"


def test_home_leaves_out_questions_that_are_not_visible(client, three_questions):
    old, middle, new = three_questions
    db.session.execute(update(Post).where(Post.id == middle.id).values(status="hidden"))
    db.session.execute(update(Post).where(Post.id == new.id).values(status="queued"))
    db.session.commit()
    assert titles(get_html(client, "/")) == ["Why do I wake up at 3am every night?"]


def test_empty_home_says_so(client):
    html = get_html(client, "/")
    assert "No questions here yet." in html and rows(html) == []
    assert "Older" not in html and "Newer" not in html


def test_home_costs_the_same_queries_however_many_questions(client, member, count_queries):
    sleep = make_category("Sleep")
    for i in range(2):
        make_question(member, f"First batch question {i}?", category=sleep, tags=f"t{i} shared")
    with count_queries() as few:
        get_html(client, "/")
    for i in range(8):
        make_question(None, f"Second batch question {i}?", category=sleep, tags=f"u{i} shared",
                      guest=Guest(f"Guest {i}"))
    with count_queries() as many:
        assert len(rows(get_html(client, "/"))) == 10
    assert many.count == few.count


# --- Unanswered ------------------------------------------------------------------------

def test_unanswered_lists_only_questions_without_answers(client, three_questions):
    html = get_html(client, "/unanswered")
    assert titles(html) == ["Is it normal to feel tired after therapy?",
                            "How do I talk to my boss about burnout?"]
    assert "<h1>Unanswered questions</h1>" in html


def test_a_question_leaves_unanswered_once_answered(client, three_questions, member):
    new = three_questions[2]
    answer(new, member)
    assert titles(get_html(client, "/unanswered")) == ["How do I talk to my boss about burnout?"]


# --- Categories --------------------------------------------------------------------

@pytest.fixture
def category_tree(member):
    relationships = make_category("Relationships")
    breakups = make_category("Breakups", parent=relationships)
    dating = make_category("Dating", parent=relationships)
    work = make_category("Work")
    make_question(member, "How do I set boundaries with my partner?", category=relationships,
                  created_at=ago(hours=3))
    make_question(member, "How long does it take to get over a breakup?", category=breakups,
                  created_at=ago(hours=2))
    make_question(member, "Should I tell my manager I am struggling?", category=work,
                  created_at=ago(hours=1))
    return relationships, breakups, dating, work


def test_category_page_lists_its_questions_and_its_sub_categories_questions(client, category_tree):
    html = get_html(client, "/categories/relationships")
    assert "<h1>Relationships</h1>" in html
    assert titles(html) == ["How long does it take to get over a breakup?",
                            "How do I set boundaries with my partner?"]
    nav = html.split('aria-label="Sub-categories"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/categories/breakups">Breakups (1)</a>' in nav
    assert '<a href="/categories/dating">Dating (0)</a>' in nav
    assert "Work" not in nav


def test_sub_category_page_lists_only_its_own_questions(client, category_tree):
    html = get_html(client, "/categories/breakups")
    assert titles(html) == ["How long does it take to get over a breakup?"]
    assert 'aria-label="Sub-categories"' not in html
    assert titles(get_html(client, "/categories/dating")) == []
    assert titles(get_html(client, "/categories/work")) == ["Should I tell my manager I am struggling?"]


def test_categories_page_lists_the_tree_with_counts(client, category_tree):
    relationships, breakups, dating, work = category_tree
    make_category("Heartbreak", parent=breakups)
    html = get_html(client, "/categories")
    tree = html.split("<h1>Categories</h1>", 1)[1]
    text = text_of(tree)
    assert "Relationships 2 questions" in text
    assert "Breakups 1 question " in text
    assert "Dating 0 questions" in text and "Work 1 question" in text
    assert "Heartbreak 0 questions" in text
    for slug in ("relationships", "breakups", "dating", "work", "heartbreak"):
        assert f'href="/categories/{slug}"' in tree
    # Sub-categories are nested inside their parent's list item, in order.
    relationships_item = tree.split('href="/categories/relationships"', 1)[1].split(
        'href="/categories/work"', 1)[0]
    assert relationships_item.count('<ul class="category-tree">') == 2  # Breakups/Dating, Heartbreak
    assert relationships_item.index("breakups") < relationships_item.index("heartbreak") \
        < relationships_item.index("dating")


def test_categories_page_without_categories(client):
    assert "There are no categories yet." in get_html(client, "/categories")


# --- Tags ----------------------------------------------------------------------------

def test_tag_page_lists_only_tagged_questions(client, three_questions):
    html = get_html(client, "/tags/sleep")
    assert "<h1>Questions tagged sleep</h1>" in html
    assert titles(html) == ["Is it normal to feel tired after therapy?",
                            "Why do I wake up at 3am every night?"]
    assert titles(get_html(client, "/tags/therapy")) == ["Is it normal to feel tired after therapy?"]


def test_tag_page_finds_the_tag_in_any_case(client, three_questions):
    assert len(rows(get_html(client, "/tags/SLEEP"))) == 2


@pytest.mark.parametrize("name", ["nope", "c++", "a" * 300])
def test_unknown_tags_are_404(client, three_questions, name):
    assert client.get(f"/tags/{name}").status_code == 404


def test_a_tag_name_with_a_nul_byte_is_404(client, three_questions):
    assert client.get("/tags/a%00b").status_code == 404


# --- Pagination -----------------------------------------------------------------------

@pytest.fixture
def twelve_questions(member):
    set_per_page(5)
    for i in range(1, 13):
        make_question(member, f"Numbered question {i:02d}?", created_at=ago(hours=20 - i))


def test_pages_of_questions(client, twelve_questions):
    page1 = get_html(client, "/")
    assert titles(page1) == [f"Numbered question {i:02d}?" for i in (12, 11, 10, 9, 8)]
    assert re.search(r'href="/\?page=2&amp;before=\d+"', page1) and "Older" in page1 and "Newer" not in page1

    page2 = get_html(client, "/?page=2")
    assert titles(page2) == [f"Numbered question {i:02d}?" for i in (7, 6, 5, 4, 3)]
    assert re.search(r'href="/\?page=3&amp;before=\d+"', page2) and '<a rel="prev" href="/">' in page2

    page3 = get_html(client, "/?page=3")
    assert titles(page3) == ["Numbered question 02?", "Numbered question 01?"]
    assert "Older" not in page3 and re.search(r'href="/\?page=2&amp;after=\d+"', page3)

    assert client.get("/?page=4").status_code == 404


@pytest.mark.parametrize("url", ["/", "/unanswered", "/categories/sleep", "/tags/sleep"])
@pytest.mark.parametrize("page_number", ["abc", "0", "-1", "1.5", "", "100001"])
def test_nonsense_page_numbers_are_404_on_every_list(client, member, url, page_number):
    make_question(member, "Numbered question 01?", category=make_category("Sleep"), tags="sleep")
    assert client.get(url, query_string={"page": page_number}).status_code == 404


@pytest.mark.parametrize("page_number", ["\u00b2", "9" * 5_000])
def test_page_numbers_that_look_numeric_but_are_not_are_404(client, page_number):
    assert client.get("/", query_string={"page": page_number}).status_code == 404


def test_a_full_last_page_has_no_older_link(client, member):
    set_per_page(5)
    for i in range(10):
        make_question(member, f"Numbered question {i:02d}?", created_at=ago(hours=20 - i))
    page2 = get_html(client, "/?page=2")
    assert len(rows(page2)) == 5 and "Older" not in page2
    assert client.get("/?page=3").status_code == 404


def test_category_and_tag_pages_are_paged_too(client, member):
    set_per_page(5)
    sleep = make_category("Sleep")
    for i in range(7):
        make_question(member, f"Sleep question {i:02d}?", category=sleep, tags="sleep",
                      created_at=ago(hours=20 - i))
    for url in ("/categories/sleep", "/tags/sleep", "/unanswered"):
        first = get_html(client, url)
        assert len(rows(first)) == 5
        assert re.search(rf'href="{url}\?page=2&amp;before=\d+"', first)
        assert titles(get_html(client, f"{url}?page=2")) == ["Sleep question 01?", "Sleep question 00?"]
        assert client.get(f"{url}?page=3").status_code == 404


def _walk(client, path, rel):
    """Follow rel="next"/"prev" links from ``path``; return the titles of every page in order."""
    pages = []
    while path:
        html = client.get(path).get_data(as_text=True)
        pages.append(titles(html))
        found = re.search(rf'<a rel="{rel}" href="([^"]+)"', html)
        path = found.group(1).replace("&amp;", "&") if found else None
    return pages, html


def test_deep_pages_are_reached_by_keyset_and_back(client, member):
    settings.update_settings(None, {"questions_per_page": 5})
    db.session.commit()
    for i in range(12):
        make_question(member, title=f"Question number {i:02d} about sleep?")
    pages, last = _walk(client, "/", "next")
    seen = [t for page in pages for t in page]
    assert seen == [f"Question number {i:02d} about sleep?" for i in range(11, -1, -1)]
    assert [len(p) for p in pages] == [5, 5, 2] and "before=" in client.get("/").get_data(as_text=True)
    back = re.search(r'<a rel="prev" href="([^"]+)"', last).group(1).replace("&amp;", "&")
    assert "after=" in back
    pages_back, _ = _walk(client, back, "prev")
    assert pages_back == [pages[1], pages[0]]


@pytest.mark.parametrize("query", ["before=abc", "before=0", "after=-3", "before=99999999999", "after=1%00"])
def test_a_nonsense_cursor_is_a_404(client, member, query):
    make_question(member, "Numbered question 01?")
    assert client.get(f"/?page=2&{query}").status_code in (400, 404)
