"""Full-text search, similar and related questions, sitemap and robots.txt, on both engines."""
import re

import pytest
from sqlalchemy import text

from forum.extensions import db
from forum.models import Answer, Question
from forum.services import curation, editing, search, settings
from forum.services.approval import approve
from forum.services.queue import open_items
from forum.services.tags import get_tag_or_none
from tests.factories import make_answer, make_category, make_question


@pytest.fixture(autouse=True)
def empty_index(app):
    """The index tables are not models, so the per-test truncation misses them."""
    db.session.execute(text("DELETE FROM search_documents" if search.is_postgres() else "DELETE FROM search_fts"))
    db.session.commit()


def found_ids(query, **filters):
    return [hit.question.id for hit in search.search(query, **filters).hits]


def results_html(client, query, **args):
    response = client.get("/search", query_string={"q": query, **args})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_title_match_outranks_body_only_match(make_user):
    asker = make_user()
    body_only = make_question(asker, title="Trouble at work again", body="My insomnia is back every night.")
    in_title = make_question(asker, title="Insomnia after a breakup", body="I cannot rest.")
    assert found_ids("insomnia") == [in_title.id, body_only.id]


def test_words_must_all_match_and_phrases_and_prefixes_work(make_user):
    asker = make_user()
    first = make_question(asker, title="Panic attacks on the train", body="My heart races when trains stop.")
    second = make_question(asker, title="Attacks of panic at night", body="It starts when I lie down.")
    assert set(found_ids("panic attacks")) == {first.id, second.id}
    assert found_ids('"panic attacks"') == [first.id]
    assert set(found_ids("pani*")) == {first.id, second.id}
    assert found_ids("panic train") == [first.id]
    assert found_ids("panic nonexistentword") == []


def test_hidden_answer_neither_finds_its_question_nor_shows_in_snippets(make_user, moderator, client):
    question = make_question(make_user(), title="Feeling low in winter", body="Short days are hard.")
    visible = make_answer(question, make_user(), body="Daylight lamps helped me.")
    hidden = make_answer(question, make_user(), body="Try zanzibarian meditation retreats.")
    assert found_ids("zanzibarian") == [question.id]
    curation.hide_post(moderator, db.session.get(Answer, hidden.id), "spam")
    db.session.commit()
    assert found_ids("zanzibarian") == []
    assert "zanzibarian" not in results_html(client, "winter").lower()
    assert found_ids("daylight") == [question.id]
    assert visible.id


def test_hostile_body_is_escaped_in_results(make_user, client):
    make_question(make_user(), title="Strange markup question",
                  body="Look: <img src=x onerror=alert(1)> and <script>alert(2)</script> markup here")
    html = results_html(client, "markup")
    assert "<img src=x" not in html and "<script>alert" not in html
    assert "onerror=alert" not in html or "&lt;img" in html or "onerror" not in html
    assert "<mark>markup</mark>" in html or "<mark>Markup</mark>" in html


def test_snippet_escapes_before_marking():
    terms = search.parse_query("alert")
    html = str(search.snippet('<b onmouseover="alert(1)">alert</b>', terms))
    assert "<b" not in html
    assert "&lt;b onmouseover=&#34;<mark>alert</mark>(1)&#34;&gt;<mark>alert</mark>&lt;/b&gt;" == html


HOSTILE = [
    "", " ", '"', "'", "\\", "-", "*", "**", "OR", "AND", "NOT", "NEAR", ")", "(", "AND(", '"unbalanced',
    'unbalanced"', "NEAR(a b)", 'title:"x"', "a OR b", "-sleep", "^sleep", "sleep*", "*sleep", "s*l*e*e*p",
    "col:sleep", "{title}: sleep", "sleep AND(", "x" * 10_000, "sleep " * 2_000, "ünïcödé 睡眠 😴",
    "\x01\x1b[31m sleep \x7f\x9f", "'; DROP TABLE posts; --", "%_%", "½ ² ³", "a:* & !b | c <-> d",
    "\u202e sleep \u200b",
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_never_error(client, make_user, query):
    make_question(make_user(), title="How can I sleep better at night?", body="I lie awake.")
    for sort in ("relevance", "newest", "votes"):
        assert client.get("/search", query_string={"q": query, "sort": sort}).status_code == 200
    response = client.get("/search/similar", query_string={"title": query})
    assert response.status_code == 200
    assert isinstance(response.get_json()["questions"], list)


def test_nul_in_a_query_is_refused_clearly_by_the_app_wide_guard(client):
    assert client.get("/search", query_string={"q": "sleep\x00"}).status_code == 400


@pytest.mark.parametrize("args", [
    {"page": "x"}, {"page": "-1"}, {"page": "99999999999"}, {"sort": "nonsense"}, {"answered": "maybe"},
    {"category": "no-such"}, {"tag": "no such tag!"}, {"_external": "1", "_scheme": "javascript"},
])
def test_odd_arguments_never_error(client, args):
    assert client.get("/search", query_string={"q": "sleep", **args}).status_code == 200


def test_filters_and_sorts(make_user):
    asker = make_user()
    parent = make_category("Feelings", slug="feelings")
    child = make_category("Grief", slug="grief", parent=parent)
    other = make_category("Work", slug="work")
    old = make_question(asker, title="Coping with loss of a parent", body="coping", category=child,
                        tags="grief")
    new = make_question(asker, title="Coping with a new job", body="coping", category=other, tags="career")
    make_answer(old, make_user(), body="Be gentle with yourself.")
    db.session.get(Question, new.id).score = 5
    db.session.commit()
    assert found_ids("coping", category=parent) == [old.id]
    assert found_ids("coping", category=other) == [new.id]
    assert found_ids("coping", tag=get_tag_or_none("career")) == [new.id]
    assert found_ids("coping", answered=True) == [old.id]
    assert found_ids("coping", answered=False) == [new.id]
    assert found_ids("coping", sort="newest") == [new.id, old.id]
    assert found_ids("coping", sort="votes") == [new.id, old.id]


def test_search_page_filters_through_the_form(client, make_user):
    asker = make_user()
    feelings = make_category("Feelings", slug="feelings")
    make_category("Work", slug="work")
    make_question(asker, title="Coping with loss of a parent", body="x", category=feelings, tags="grief")
    html = results_html(client, "coping", category="work")
    assert "loss of a parent" not in html
    html = results_html(client, "coping", category="feelings", tag="grief", answered="no", sort="newest")
    assert "loss of a parent" in html
    assert '<label for="q"' in html and '<label for="sort"' in html
    assert '<meta name="robots" content="noindex">' in html


def test_pages(make_user, client):
    asker = make_user()
    for i in range(search.PER_PAGE + 3):
        make_question(asker, title=f"Journaling question number {i}", body="journaling")
    first = search.search("journaling")
    second = search.search("journaling", page=2)
    assert len(first.hits) == search.PER_PAGE and first.has_next
    assert len(second.hits) == 3 and not second.has_next
    html = results_html(client, "journaling")
    assert 'rel="next"' in html and "page=2" in html


def test_index_follows_edits(make_user):
    asker = make_user()
    question = make_question(asker, title="Worried about my brother", body="He seems withdrawn lately.",
                             tags="family")
    make_answer(question, make_user(), body="Talk to him over a walk.")
    editing.edit_post(asker, db.session.get(Question, question.id), title="Worried about my sister",
                      body="She seems distant lately.", tag_text="siblings")
    db.session.commit()
    assert found_ids("brother") == found_ids("withdrawn") == found_ids("family") == []
    assert found_ids("sister") == found_ids("distant") == found_ids("siblings") == [question.id]
    assert found_ids("walk") == [question.id]


def test_index_follows_answer_edits(make_user, moderator):
    question = make_question(make_user(), title="Feeling lonely at university", body="No friends yet.")
    answer = make_answer(question, make_user(), body="Join the chess society.")
    editing.edit_post(moderator, db.session.get(Answer, answer.id), body="Join the rowing club.")
    db.session.commit()
    assert found_ids("chess") == []
    assert found_ids("rowing") == [question.id]


def test_index_follows_hide_unhide_delete(make_user, moderator):
    question = make_question(make_user(), title="Nightmares since the accident", body="Every night.")
    assert found_ids("nightmares") == [question.id]
    curation.hide_post(moderator, db.session.get(Question, question.id), "off-topic")
    db.session.commit()
    assert found_ids("nightmares") == []
    curation.unhide_post(moderator, db.session.get(Question, question.id))
    db.session.commit()
    assert found_ids("nightmares") == [question.id]
    curation.delete_post(moderator, db.session.get(Question, question.id), "spam")
    db.session.commit()
    assert found_ids("nightmares") == []


def test_index_follows_merge(make_user, moderator):
    asker = make_user()
    original = make_question(asker, title="How do I stop overthinking?", body="Thoughts loop.")
    duplicate = make_question(asker, title="Overthinking everything all day", body="Same loop.")
    make_answer(duplicate, make_user(), body="Scheduled worry time works wonders.")
    assert found_ids("wonders") == [duplicate.id]
    curation.merge_questions(moderator, db.session.get(Question, duplicate.id), db.session.get(Question, original.id))
    db.session.commit()
    assert found_ids("wonders") == [original.id]
    assert duplicate.id not in found_ids("overthinking")


def test_queued_posts_are_not_found_until_approved(make_user, moderator):
    settings.update_settings(None, {"approve_guest_posts": True})
    db.session.commit()
    question = make_question(None, title="Guest asks about burnout", body="Exhausted.", guest_name="Sam")
    assert db.session.get(Question, question.id).status == "queued"
    assert found_ids("burnout") == []
    item = next(i for i in open_items("approval") if i.post_id == question.id)
    approve(moderator, item)
    db.session.commit()
    assert found_ids("burnout") == [question.id]


def test_reindex_command_rebuilds_everything(make_user, runner):
    asker = make_user()
    questions = [make_question(asker, title=f"Mindfulness practice {i}", body="breathing") for i in range(7)]
    db.session.execute(text("DELETE FROM search_documents" if search.is_postgres() else "DELETE FROM search_fts"))
    db.session.commit()
    assert found_ids("mindfulness") == []
    result = runner.invoke(args=["forum", "reindex", "--batch", "3"])
    assert result.exit_code == 0, result.output
    assert "7 questions" in result.output
    assert sorted(found_ids("mindfulness")) == sorted(q.id for q in questions)
    if not search.is_postgres():
        # The table is made anew, with the worker merging it, as its migrations leave it.
        config = dict(db.session.execute(text("SELECT k, v FROM search_fts_config")).all())
        assert config["automerge"] == 0 and config["crisismerge"] == 64


def test_similar_questions_json(client, make_user):
    asker = make_user("secretasker")
    question = make_question(asker, title="How to handle social anxiety at parties", body="I freeze.")
    make_answer(question, make_user(), body="Arrive early.")
    response = client.get("/search/similar", query_string={"title": "anxiety at parties is awful"})
    assert response.status_code == 200
    data = response.get_json()
    assert data["questions"] == [{"title": question.title, "url": f"/questions/{question.id}/"
                                  "how-to-handle-social-anxiety-at-parties", "answers": 1}]
    assert "secretasker" not in response.get_data(as_text=True)
    assert client.get("/search/similar?title=hi").get_json() == {"questions": []}


def test_related_questions_on_the_page_same_category_first(client, make_user):
    asker = make_user()
    mine, other = make_category("Sleep", slug="sleep"), make_category("Work", slug="work")
    question = make_question(asker, title="Insomnia keeps me awake", body="x", category=mine)
    elsewhere = make_question(asker, title="Insomnia before big meetings", body="x", category=other)
    nearby = make_question(asker, title="Insomnia and racing thoughts", body="x", category=mine)
    make_question(asker, title="Unrelated gardening question", body="x", category=mine)
    related = search.related_questions(db.session.get(Question, question.id))
    assert [r.id for r in related] == [nearby.id, elsewhere.id]
    html = client.get(f"/questions/{question.id}/insomnia-keeps-me-awake").get_data(as_text=True)
    section = html[html.index('id="related-heading"'):]
    assert "Insomnia and racing thoughts" in section and "gardening" not in section


def test_hidden_question_leaves_related_lists(client, make_user, moderator):
    asker = make_user()
    question = make_question(asker, title="Grief after losing a pet", body="x")
    other = make_question(asker, title="Grief that will not lift", body="x")
    assert [r.id for r in search.related_questions(db.session.get(Question, question.id))] == [other.id]
    curation.hide_post(moderator, db.session.get(Question, other.id), "spam")
    db.session.commit()
    assert search.related_questions(db.session.get(Question, question.id)) == []


def test_question_page_query_budget_with_related(client, make_user, count_queries):
    asker = make_user()
    question = make_question(asker, title="How can I sleep better at night?", body="x")
    for i in range(8):
        make_question(asker, title=f"Sleep troubles number {i}", body="x")
    url = f"/questions/{question.id}/how-can-i-sleep-better-at-night"
    client.get(url)
    with count_queries() as counter:
        html = client.get(url).get_data(as_text=True)
    assert counter.count <= 12
    assert len(re.findall(r'class="related-question"', html)) == 5


def test_sitemap_lists_public_questions_with_lastmod(client, make_user, moderator):
    asker = make_user()
    shown = make_question(asker, title="A public question here", body="x")
    hidden = make_question(asker, title="A hidden question here", body="x")
    curation.hide_post(moderator, db.session.get(Question, hidden.id), "spam")
    db.session.commit()
    response = client.get("/sitemap.xml")
    assert response.status_code == 200 and response.mimetype == "application/xml"
    body = response.get_data(as_text=True)
    assert f"/questions/{shown.id}/a-public-question-here</loc><lastmod>20" in body
    assert f"/questions/{hidden.id}/" not in body


def test_sitemap_index_beyond_the_limit(client, make_user, monkeypatch):
    from forum.services import discovery

    asker = make_user()
    for i in range(3):
        make_question(asker, title=f"Sitemap question {i}", body="x")
    monkeypatch.setattr(discovery, "SITEMAP_MAX_URLS", 2)
    monkeypatch.setattr(discovery.sitemap_part_count, "__defaults__", (2,))
    monkeypatch.setattr(discovery.sitemap_entries, "__defaults__", (2,))
    body = client.get("/sitemap.xml").get_data(as_text=True)
    assert "<sitemapindex" in body and "/sitemap-2.xml" in body
    assert body.count("<url>") == 0
    assert client.get("/sitemap-2.xml").get_data(as_text=True).count("<url>") == 1
    assert client.get("/sitemap-3.xml").status_code == 404


def test_robots_txt(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    for path in ("/admin", "/moderation", "/account", "/search"):
        assert f"Disallow: {path}\n" in body
    assert "Sitemap: http://localhost/sitemap.xml" in body


def test_ranked_lists(client, make_user):
    asker = make_user()
    voted = make_question(asker, title="A question with votes", body="x")
    answered = make_question(asker, title="A question with answers", body="x")
    make_question(asker, title="A newer plain question", body="x")
    db.session.get(Question, voted.id).score = 3
    db.session.get(Question, answered.id).answer_count = 4
    db.session.commit()
    assert client.get("/questions?sort=votes").headers["Location"].endswith("/questions/votes")
    for ranking, first in (("votes", voted), ("answers", answered), ("hot", answered)):
        html = client.get(f"/questions/{ranking}").get_data(as_text=True)
        titles = re.findall(r'class="question-title"><a href="[^"]+">([^<]+)<', html)
        assert titles[0] == first.title, (ranking, titles)
    settings.update_settings(None, {"hot_weight_answers": 0, "hot_weight_votes": 0, "hot_weight_views": 0})
    db.session.commit()
    html = client.get("/questions/hot").get_data(as_text=True)
    assert re.findall(r'class="question-title"><a href="[^"]+">([^<]+)<', html)[0] == "A newer plain question"
    assert client.get("/questions/hot?page=9").status_code == 404


def _stored_document(question_id):
    if search.is_postgres():
        return tuple(db.session.execute(text(
            "SELECT title, body, tags FROM search_documents WHERE question_id = :id"), {"id": question_id}).one())
    return tuple(db.session.execute(text(
        "SELECT title, body, tags FROM search_fts WHERE rowid = :id"), {"id": question_id}).one())


def test_a_new_answer_is_added_to_the_document_exactly_as_a_rebuild_makes_it(make_user, moderator):
    asker, helper = make_user("asker"), make_user("helper")
    question = make_question(asker, title="Waking with a racing heart", body="Every morning at five.",
                             tags="sleep anxiety")
    make_answer(question, helper, body="Try **slow breathing** before you get up.")
    make_answer(question, helper, body="![](https://example.org/only-an-image.png)")  # no text at all
    hidden = make_answer(question, helper, body="A walk outside helped me, and *cold water*.")
    curation.hide_post(moderator, hidden, "a test")
    db.session.commit()
    make_answer(question, asker, body="Thank you — 'quotes', ünïcode and a second line\n\nhere.")
    question_id = question.id
    stored = _stored_document(question_id)
    assert stored == search.documents_of([question_id])[question_id]
    assert "slow breathing" in stored[1] and "second line" in stored[1] and "cold water" not in stored[1]
    assert found_ids("breathing") == [question_id] and found_ids("quotes") == [question_id]


def test_an_older_answer_approved_later_rebuilds_the_document_in_order(make_user, moderator):
    asker = make_user("asker")
    question = make_question(asker, title="Panic on the train home", body="It starts at the station.")
    first = make_answer(question, make_user("one"), body="Sit near the door.")
    second = make_answer(question, make_user("two"), body="Count the stations.")
    curation.hide_post(moderator, first, "a test")
    db.session.commit()
    curation.unhide_post(moderator, db.session.get(Answer, first.id), "back")
    db.session.commit()
    assert second.id > first.id
    assert _stored_document(question.id) == search.documents_of([question.id])[question.id]


def test_the_worker_merges_the_sqlite_index_that_posting_no_longer_merges(make_user):
    from forum.services import jobs
    from forum.services.worker import JOBS

    jobs.register()
    assert JOBS["merge-search-index"] == (60, jobs.merge_search_index)
    asker = make_user("asker")
    questions = [make_question(asker, title=f"Night terrors, week {n}", body="Each one committed apart.")
                 for n in range(12)]
    if search.is_postgres():
        assert search.merge_index() == 0
    else:
        assert db.session.execute(text(
            "SELECT v FROM search_fts_config WHERE k = 'automerge'")).scalar() == 0
        assert search.merge_index() >= 1  # twelve commits left twelve small segments
        assert search.merge_index() == 0  # and nothing is left to merge
    assert sorted(found_ids("terrors")) == sorted(q.id for q in questions)


def test_a_full_reindex_leaves_every_question_findable(make_user):
    asker = make_user("asker")
    question = make_question(asker, title="Grief after losing a pet", body="It has been a month.")
    assert search.reindex_all(batch=1) >= 1
    db.session.commit()
    assert found_ids("grief") == [question.id]
