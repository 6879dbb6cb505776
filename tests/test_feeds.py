"""Feeds: valid Atom (and RSS) of public posts only, no addresses, 404s, and conditional GETs."""
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from forum.extensions import db
from forum.models import Level, Post
from forum.services import answers, curation, questions, settings
from forum.services.posting import Guest
from tests.factories import make_answer, make_category, make_question

ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
BASE = "http://localhost/"


def atom(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    return root


def entries(root):
    return root.findall(f"{ATOM}entry")


def titles(root):
    return [entry.findtext(f"{ATOM}title") for entry in entries(root)]


def ask(author=None, title="How can I sleep better at night?", guest=None, **kwargs):
    question = questions.ask_question(author, title, "I lie awake.", guest=guest, **kwargs)
    db.session.commit()
    return question


@pytest.fixture
def world(member, make_user, moderator):
    """A category with a sub-category, tagged questions, one answered, one hidden, one queued."""
    feelings = make_category("Feelings")
    grief = make_category("Grief", parent=feelings)
    work = make_category("Work")
    old = make_question(member, title="Why do I feel tired all day?", category=feelings, tags="sleep")
    sub = make_question(member, title="How do I live with a loss?", category=grief, tags="loss")
    other = make_question(member, title="How do I talk to my manager?", category=work, tags="work")
    answer = make_answer(old, make_user("bea"), body="A walk at noon helps.")
    hidden = make_question(member, title="A question a moderator hid", category=feelings, tags="sleep")
    curation.hide_post(moderator, hidden, "off-topic")
    hidden_answer = make_answer(old, make_user("cal"), body="Buy my pills at spam dot example.")
    curation.hide_post(moderator, hidden_answer, "spam")
    db.session.commit()
    settings.update_settings(None, {"approve_guest_posts": True})
    db.session.commit()
    queued = ask(title="A guest question awaiting approval", category=feelings, tag_text="sleep",
                 guest=Guest("Robin", None))
    assert queued.status == "queued"
    return dict(feelings=feelings, grief=grief, work=work, old=old, sub=sub, other=other,
                answer=answer, hidden=hidden, hidden_answer=hidden_answer, queued=queued)


def all_feed_urls(w):
    return ["/feeds/questions.atom", "/feeds/unanswered.atom", "/feeds/categories/feelings.atom",
            "/feeds/categories/grief.atom", "/feeds/tags/sleep.atom",
            f"/feeds/questions/{w['old'].id}.atom"]


# --- Shape ----------------------------------------------------------------------------------

def test_recent_questions_feed_is_atom_with_absolute_links(client, world):
    root = atom(client, "/feeds/questions.atom")
    assert root.findtext(f"{ATOM}title") == "Forum: recent questions"
    assert root.findtext(f"{ATOM}id") == BASE + "feeds/questions.atom"
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {"self": BASE + "feeds/questions.atom", "alternate": BASE}
    assert titles(root) == ["How do I talk to my manager?", "How do I live with a loss?",
                            "Why do I feel tired all day?"]
    first = entries(root)[0]
    assert first.find(f"{ATOM}link").get("href") == f"{BASE}questions/{world['other'].id}/how-do-i-talk-to-my-manager"
    assert first.findtext(f"{ATOM}id") == f"{BASE}questions/{world['other'].id}"
    assert first.findtext(f"{ATOM}author/{ATOM}name") == "alex"
    assert [c.get("term") for c in first.findall(f"{ATOM}category")] == ["work"]
    assert first.findtext(f"{ATOM}updated") and first.findtext(f"{ATOM}published")


def test_entry_content_is_the_stored_sanitised_html(client, member):
    question = questions.ask_question(member, "Is this markup kept safe?", "Some **bold** <script>alert(1)</script>")
    db.session.commit()
    content = entries(atom(client, "/feeds/questions.atom"))[0].find(f"{ATOM}content")
    assert content.get("type") == "html"
    assert content.text == db.session.get(Post, question.id).body_html
    assert "<strong>bold</strong>" in content.text and "<script>" not in content.text


def test_unanswered_feed_leaves_out_answered_questions(client, world):
    root = atom(client, "/feeds/unanswered.atom")
    assert titles(root) == ["How do I talk to my manager?", "How do I live with a loss?"]
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href") == BASE + "unanswered"


def test_category_feed_includes_sub_categories_only(client, world):
    root = atom(client, "/feeds/categories/feelings.atom")
    assert root.findtext(f"{ATOM}title") == "Forum: Feelings"
    assert titles(root) == ["How do I live with a loss?", "Why do I feel tired all day?"]
    assert titles(atom(client, "/feeds/categories/grief.atom")) == ["How do I live with a loss?"]
    assert titles(atom(client, "/feeds/categories/work.atom")) == ["How do I talk to my manager?"]


def test_tag_feed(client, world):
    root = atom(client, "/feeds/tags/sleep.atom")
    assert titles(root) == ["Why do I feel tired all day?"]
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href") == BASE + "tags/sleep"


def test_question_feed_has_the_question_and_visible_answers(client, world):
    old = world["old"]
    root = atom(client, f"/feeds/questions/{old.id}.atom")
    assert titles(root) == ["bea answered “Why do I feel tired all day?”", "Why do I feel tired all day?"]
    answer_entry = entries(root)[0]
    assert answer_entry.find(f"{ATOM}link").get("href") == f"{BASE}answers/{world['answer'].id}"
    assert answer_entry.findtext(f"{ATOM}author/{ATOM}name") == "bea"
    assert "A walk at noon helps." in answer_entry.findtext(f"{ATOM}content")


def test_rss_on_request(client, world):
    response = client.get("/feeds/tags/sleep.atom?format=rss")
    assert response.status_code == 200 and response.mimetype == "application/rss+xml"
    channel = ET.fromstring(response.data).find("channel")
    assert channel.findtext("link") == BASE + "tags/sleep"
    item = channel.find("item")
    assert item.findtext("title") == "Why do I feel tired all day?"
    assert item.findtext(f"{DC}creator") == "alex"
    assert item.find("author") is None


# --- Only public content, never an address --------------------------------------------------

def test_hidden_and_queued_posts_are_in_no_feed(client, world):
    for url in all_feed_urls(world):
        for fmt in ("", "?format=rss"):
            text = client.get(url + fmt).get_data(as_text=True)
            assert "A question a moderator hid" not in text, url
            assert "A guest question awaiting approval" not in text, url
            assert "spam dot example" not in text, url
            assert f"answers/{world['hidden_answer'].id}" not in text, url


@pytest.mark.parametrize("key", ["hidden", "queued"])
def test_feed_of_a_question_nobody_may_read_is_404_even_for_moderators(app, client, world, moderator, key):
    from tests.fixtures.users import AuthActions

    url = f"/feeds/questions/{world[key].id}.atom"
    assert client.get(url).status_code == 404
    staff = app.test_client()
    AuthActions(staff).login(moderator)
    assert staff.get(url).status_code == 404


def test_queued_question_enters_the_feed_once_approved(client, world, moderator):
    from forum.services import approval, queue

    item = next(i for i in queue.open_items("approval") if i.post_id == world["queued"].id)
    approval.approve(moderator, item)
    db.session.commit()
    root = atom(client, "/feeds/questions.atom")
    assert titles(root)[0] == "A guest question awaiting approval"
    assert entries(root)[0].findtext(f"{ATOM}author/{ATOM}name") == "Robin"


def test_no_email_address_in_any_feed(client, make_user):
    member = make_user("sam", email="sam.private@example.org")
    category = make_category("Feelings")
    guest_q = ask(title="A guest who left an address", category=category, tag_text="sleep",
                  guest=Guest("Robin", "robin.secret@example.net"))
    anonymous_q = ask(title="A guest who left no name", category=category, tag_text="sleep",
                      guest=Guest(None, "nameless@example.net"))
    answers.post_answer(guest_q, member, "Members answer too.")
    answers.post_answer(guest_q, None, "So do guests.", guest=Guest("Kim", "kim.hidden@example.com"))
    db.session.commit()
    urls = ["/feeds/questions.atom", "/feeds/unanswered.atom", "/feeds/categories/feelings.atom",
            "/feeds/tags/sleep.atom", f"/feeds/questions/{guest_q.id}.atom",
            f"/feeds/questions/{anonymous_q.id}.atom"]
    for url in urls:
        for fmt in ("", "?format=rss"):
            text = client.get(url + fmt).get_data(as_text=True)
            for address in ("sam.private@", "robin.secret@", "nameless@", "kim.hidden@", "@example"):
                assert address not in text, (url, fmt, address)
    names = [e.findtext(f"{ATOM}author/{ATOM}name")
             for e in entries(atom(client, f"/feeds/questions/{guest_q.id}.atom"))]
    assert sorted(names) == ["Kim", "Robin", "sam"]
    assert [e.findtext(f"{ATOM}author/{ATOM}name")
            for e in entries(atom(client, f"/feeds/questions/{anonymous_q.id}.atom"))] == ["Anonymous"]


# --- Not found ------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "/feeds/categories/no-such-category.atom",
    "/feeds/tags/nosuchtag.atom",
    "/feeds/tags/Not%20A%20Tag!.atom",
    "/feeds/questions/999999.atom",
    "/feeds/questions.atom?format=json",
    "/feeds/questions.rss",
])
def test_unknown_feeds_are_404(client, world, url):
    assert client.get(url).status_code == 404


def test_deleted_question_feed_is_404_and_merged_one_leads_to_the_original(client, world, moderator):
    curation.delete_post(moderator, world["sub"], "asked in error")
    curation.merge_questions(moderator, world["other"], world["old"])
    db.session.commit()
    assert client.get(f"/feeds/questions/{world['sub'].id}.atom").status_code == 404
    response = client.get(f"/feeds/questions/{world['other'].id}.atom?format=rss")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(f"/feeds/questions/{world['old'].id}.atom?format=rss")


# --- Conditional GET ------------------------------------------------------------------------

def test_etag_and_last_modified_answer_304(client, world):
    first = client.get("/feeds/questions.atom")
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag and modified
    again = client.get("/feeds/questions.atom", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert client.get("/feeds/questions.atom", headers={"If-Modified-Since": modified}).status_code == 304
    # A stale ETag wins over a current date: the reader's copy is out of date.
    stale = client.get("/feeds/questions.atom", headers={"If-None-Match": '"stale"', "If-Modified-Since": modified})
    assert stale.status_code == 200 and stale.data
    # Atom and RSS are different representations.
    assert client.get("/feeds/questions.atom?format=rss").headers["ETag"] != etag


def test_etag_changes_with_a_new_question_and_with_a_hidden_one(client, world, member, moderator):
    etag = client.get("/feeds/categories/feelings.atom").headers["ETag"]
    make_question(member, title="Is it normal to cry at work?", category=world["feelings"])
    response = client.get("/feeds/categories/feelings.atom", headers={"If-None-Match": etag})
    assert response.status_code == 200 and response.headers["ETag"] != etag
    etag = response.headers["ETag"]
    curation.hide_post(moderator, db.session.get(Post, world["old"].id), "off-topic")
    db.session.commit()
    response = client.get("/feeds/categories/feelings.atom", headers={"If-None-Match": etag})
    assert response.status_code == 200 and "Why do I feel tired all day?" not in response.get_data(as_text=True)


def test_question_feed_etag_changes_with_an_edit(client, world, member):
    from forum.services import editing

    url = f"/feeds/questions/{world['old'].id}.atom"
    first = client.get(url)
    editing.edit_post(member, db.session.get(Post, world["old"].id), title="Why am I so tired all day long?")
    db.session.commit()
    response = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert response.status_code == 200
    assert "Why am I so tired all day long?" in response.get_data(as_text=True)


def test_a_silent_edit_changes_the_etag(client, world, moderator):
    """A moderator removing personal details silently must not leave readers on the old copy."""
    from forum.services import editing

    url = f"/feeds/questions/{world['old'].id}.atom"
    etag = client.get(url).headers["ETag"]
    editing.edit_post(moderator, db.session.get(Post, world["answer"].id), body="A walk helps. [removed]",
                      silent=True, reason="personal details")
    db.session.commit()
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 200 and "[removed]" in response.get_data(as_text=True)


def test_if_modified_since_before_the_newest_entry_gets_the_feed(client, world):
    newest = db.session.get(Post, world["other"].id).created_at
    earlier = (newest - timedelta(hours=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert client.get("/feeds/questions.atom", headers={"If-Modified-Since": earlier}).status_code == 200


# --- Discovery ------------------------------------------------------------------------------

def test_pages_link_their_feeds(client, world):
    def alternates(url):
        html = client.get(url).get_data(as_text=True)
        return [line.strip() for line in html.splitlines() if 'rel="alternate"' in line]

    assert any('href="/feeds/questions.atom"' in line for line in alternates("/"))
    assert any('href="/feeds/unanswered.atom"' in line for line in alternates("/unanswered"))
    assert any('href="/feeds/categories/feelings.atom"' in line for line in alternates("/categories/feelings"))
    assert any('href="/feeds/tags/sleep.atom"' in line for line in alternates("/tags/sleep"))
    question_links = alternates(f"/questions/{world['old'].id}/why-do-i-feel-tired-all-day")
    assert any(f'href="/feeds/questions/{world["old"].id}.atom"' in line for line in question_links)
    assert any('href="/feeds/questions.atom"' in line for line in question_links)


def test_empty_site_has_valid_feeds(client):
    root = atom(client, "/feeds/questions.atom")
    assert entries(root) == []
    assert client.get("/feeds/questions.atom").headers["Last-Modified"]


def test_feeds_are_the_same_for_every_viewer(app, client, world, make_user):
    from tests.fixtures.users import AuthActions

    admin = make_user("root_admin", level=Level.ADMIN)
    staff = app.test_client()
    AuthActions(staff).login(admin)
    for url in all_feed_urls(world):
        assert staff.get(url).headers["ETag"] == client.get(url).headers["ETag"], url
