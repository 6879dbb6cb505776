"""A crawl of the whole site, as a guest and as another member, looking for leaks.

Every GET route of the URL map is visited with arguments taken from the database,
and every same-site link found on a page is followed. On any response that mentions
an anonymous post, the author's username, id and email must not appear; on every
response, no email address and no IP address of anyone may appear. Notification
emails to other members and JSON answers are checked the same way.
"""
import re
from itertools import islice, product
from urllib.parse import urldefrag, urlsplit

import pytest
from sqlalchemy import select, update
from werkzeug.routing import AnyConverter, IntegerConverter

from forum.extensions import db
from forum.models import Category, Notification, Post, Tag, User
from forum.services import answers, comments, questions, safety, selection, votes, worker
from forum.services.posting import Guest
from forum.urls import question_url
from tests.factories import make_category
from tests.fixtures.users import PASSWORD

SECRET = "Quietwillow"
SECRET_EMAIL = "quiet.willow@example.org"
#: Words that only the anonymous posts contain: a response holding one mentions them.
MARKERS = ("zephyrquill", "marrowlight", "thistledown")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
#: The site's own address in absolute links (PUBLIC_URL) is the only address allowed.
OWN_HOST = "127.0.0.1"
POSTER_ADDRESS = "198.51.100.77"
MAX_PAGES = 450
MAX_VARIANTS_PER_PATH = 4


def login(app, user):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = POSTER_ADDRESS
    if user is not None:
        response = client.post("/login", data={"username": user.username, "password": PASSWORD})
        assert response.status_code == 302
    return client


@pytest.fixture
def world(app, make_user, mailbox):
    """Members, a guest, anonymous posts in every form, votes, a best answer, edits, notifications."""
    secret = make_user(SECRET, email=SECRET_EMAIL)
    asker = make_user("Brightfern", email="bright.fern@example.org")
    helper = make_user("Stillharbor", email="still.harbor@example.org")
    other = make_user("Amberlake", email="amber.lake@example.org")
    category = make_category("Relationships")
    # The secret member's only public trace: a signed comment in a thread with nothing anonymous.
    public = questions.ask_question(other, "How do I rebuild trust with a friend?", "We fell out.",
                                    category=category, tag_text="trust friendship")
    db.session.flush()
    comments.post_comment(public, secret, "Patience helped me here.")

    anonymous_question = questions.ask_question(
        secret, "Is zephyrquill numbness normal after a breakup?", "I feel nothing at all.",
        category=category, tag_text="breakup numbness", anonymous=True)
    answers.post_answer(anonymous_question, helper, "Yes, it is common and it passes.")
    answers.post_answer(anonymous_question, None, "It happened to me too.",
                        guest=Guest("Sam", "sam.guest@example.net"))
    asked = questions.ask_question(asker, "How do I talk to my partner about therapy?", "They are unsure.",
                                   category=category, tag_text="therapy partner")
    db.session.flush()
    helper_answer = answers.post_answer(asked, helper, "Start with how you feel.")
    anonymous_answer = answers.post_answer(
        asked, secret, "A marrowlight moment: @Stillharbor is right, say it gently.", anonymous=True)
    db.session.flush()
    comments.post_comment(helper_answer, secret, "Thistledown thanks for this.", anonymous=True)
    db.session.commit()

    votes.cast_vote(asker, anonymous_answer, 1)
    votes.cast_vote(helper, anonymous_question, 1)
    selection.select_answer(asked, anonymous_answer)
    db.session.commit()
    editor_client = login(app, secret)
    edited = editor_client.post(f"/posts/{anonymous_question.id}/edit", data={
        "title": anonymous_question.title, "body": "I feel nothing at all, zephyrquill or not.",
        "tags": "breakup numbness", "reason": "clearer", "category": str(category.id)})
    assert edited.status_code in (302, 303), edited.get_data(as_text=True)[-1500:]
    # Every post remembers an address, as a post from the web would.
    for post_id in db.session.scalars(select(Post.id)):
        db.session.execute(update(Post).where(Post.id == post_id).values(ip_address=f"203.0.113.{post_id % 250}"))
    db.session.commit()
    return {"secret": secret, "anonymous_question": anonymous_question, "anonymous_answer": anonymous_answer,
            "asker": asker, "helper": helper, "other": other}


def forbidden_author_traces(secret):
    return (secret.username.casefold(), secret.email.casefold(), f"/users/{secret.id}",
            f"user_id={secret.id}", f'"user_id": {secret.id}', f'"author_id": {secret.id}',
            f"author_id={secret.id}", f'data-user="{secret.id}"')


def published_addresses():
    """Addresses the admins publish on purpose: the crisis services' contact emails."""
    return {email for item in safety.resources() for email in EMAIL.findall(item.get("contact", ""))}


def leaks(text, secret, allowed=frozenset()):
    """What a response must not contain: the problems found, as readable strings."""
    found = []
    folded = text.casefold()
    if any(marker in folded for marker in MARKERS):
        found += [f"author trace {trace!r}" for trace in forbidden_author_traces(secret) if trace in folded]
    found += [f"email {email!r}" for email in EMAIL.findall(text) if email not in allowed]
    found += [f"IP address {ip!r}" for ip in IPV4.findall(text) if ip != OWN_HOST]
    return found


def _argument_values(app):
    """Candidate values for each URL argument name, from the database."""
    posts = list(db.session.scalars(select(Post)))
    questions_ = [p for p in posts if p.type == "question"]
    users = list(db.session.scalars(select(User)))
    ids_of = [p.id for p in posts] + [u.id for u in users]
    return {
        "question_id": [q.id for q in questions_],
        "answer_id": [p.id for p in posts if p.type == "answer"],
        "post_id": [p.id for p in posts],
        "username": [u.username for u in users],
        "slug": [c.slug for c in db.session.scalars(select(Category))]
        + [question_url(q).rstrip("/").rsplit("/", 1)[-1] for q in questions_],
        "name": list(db.session.scalars(select(Tag.name))),
        "notification_id": list(db.session.scalars(select(Notification.id))),
        "part": [1],
        "token": ["not-a-real-token"],
        "filename": ["css/forum.css"],
        "_int": ids_of,
        "_str": [u.username for u in users] + ["unknown"],
    }


def seed_urls(app):
    """Every GET route, built with every combination of known argument values (bounded)."""
    with app.test_request_context():
        values = _argument_values(app)
    adapter = app.url_map.bind("localhost")
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        choices = []
        for argument in sorted(rule.arguments):
            converter = rule._converters[argument]
            if isinstance(converter, AnyConverter):
                choices.append([(argument, item) for item in sorted(converter.items)])
            elif argument in values:
                choices.append([(argument, v) for v in values[argument]])
            else:
                fallback = values["_int" if isinstance(converter, IntegerConverter) else "_str"]
                choices.append([(argument, v) for v in fallback])
        for combination in islice(product(*choices), 60):
            urls.append(adapter.build(rule.endpoint, dict(combination)))
    return urls


def crawl(client, start, secret, own_email=None):
    """Visit the start URLs and every same-site link found; return (pages visited, problems).

    Allowed: the crisis services' published addresses, and the viewer's own address
    on their own account pages.
    """
    queue, seen, variants, problems = list(start), set(), {}, []
    allowed = published_addresses() | ({own_email} if own_email else set())
    assert published_addresses(), "the default crisis resources publish an email address"
    while queue and len(seen) < MAX_PAGES:
        url = urldefrag(queue.pop(0))[0]
        parts = urlsplit(url)
        if parts.netloc and parts.netloc not in ("localhost", f"{OWN_HOST}:5000"):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path in seen or parts.path.startswith("/static/") or parts.path == "/logout":
            continue
        if parts.query:
            variants[parts.path] = variants.get(parts.path, 0) + 1
            if variants[parts.path] > MAX_VARIANTS_PER_PATH:
                continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code < 500, (path, response.status_code)
        text = response.get_data(as_text=True)
        problems += [f"{path}: {problem}" for problem in leaks(text, secret, allowed)]
        if response.status_code in (301, 302, 303, 307, 308):
            queue.append(response.headers["Location"])
        elif response.mimetype in ("text/html", "application/xml", "application/atom+xml", "text/xml"):
            links = re.findall(r'(?:href|src)="([^"]+)"|<loc>([^<]+)</loc>', text)
            queue += [(a or b).replace("&amp;", "&") for a, b in links]
    return seen, problems


@pytest.mark.parametrize("viewer", ["guest", "member"])
def test_a_crawl_finds_no_author_of_an_anonymous_post_and_no_email_or_address(app, world, make_user, viewer):
    secret = world["secret"]
    own_email = "nosy.neighbour@example.org" if viewer == "member" else None
    client = login(app, make_user("Nosyneighbour", email=own_email) if own_email else None)
    start = seed_urls(app) + ["/search?q=zephyrquill", "/search?q=marrowlight", "/search?q=thistledown",
                              "/search?q=numbness&sort=newest", "/search/similar?title=zephyrquill+numbness"]
    seen, problems = crawl(client, start, secret, own_email)
    assert problems == []
    # The crawl really went everywhere that matters: the anonymous thread, its history, the
    # profile of the secret member, the lists, feeds, sitemap and search results.
    anonymous_question = world["anonymous_question"]
    expected = {f"/posts/{anonymous_question.id}/revisions", f"/users/{secret.username}", "/users",
                "/feeds/questions.atom", "/sitemap.xml", "/search?q=zephyrquill", "/unanswered"}
    assert expected <= seen
    assert any(path.startswith(f"/questions/{anonymous_question.id}/") for path in seen)
    assert len(seen) > 60


def test_the_crawl_would_notice_a_leak(world):
    """The checks themselves: a page naming the author beside an anonymous post, an email, an address."""
    secret = world["secret"]
    assert leaks(f"Marrowlight answer by {SECRET}", secret)
    assert leaks("Write to someone@example.com", secret)
    assert leaks("Posted from 203.0.113.5", secret)
    assert not leaks(f"Anonymous 2 wrote zephyrquill; see http://{OWN_HOST}:5000/", secret)
    assert not leaks(f"{SECRET} commented", secret)  # a signed post: no anonymous content here


def test_json_answers_about_anonymous_posts_do_not_name_the_author(app, world):
    secret = world["secret"]
    client = login(app, world["other"])
    similar = client.get("/search/similar?title=zephyrquill+numbness+breakup")
    assert similar.is_json and "zephyrquill" in similar.get_data(as_text=True).casefold()
    vote = client.post(f"/posts/{world['anonymous_answer'].id}/vote", data={"value": "up"},
                       headers={"Accept": "application/json"})
    assert vote.is_json and vote.get_json()["score"] == 2
    for response in (similar, vote):
        text = response.get_data(as_text=True)
        assert leaks(text + " marrowlight", secret) == []


def test_notification_emails_to_others_do_not_name_the_author(app, world, mailbox):
    secret = world["secret"]
    worker.run_once("crawl")
    texts = {}
    for message in mailbox.messages:
        if SECRET_EMAIL in str(message["To"]):
            continue  # the member's own mail may name them
        text = f"{message['Subject']}\n{message['From']}\n{message.get_content()}"
        texts.setdefault(str(message["To"]), []).append(text)
    # The asker hears of the anonymous answer; the helper of the anonymous comment and mention.
    assert {"bright.fern@example.org", "still.harbor@example.org"} <= set(texts)
    about_anonymous = [t for ts in texts.values() for t in ts if "rebuild trust" not in t]
    assert sum("Anonymous" in text for text in about_anonymous) >= 2
    for text in about_anonymous:  # all but the signed comment in the public thread
        folded = text.casefold()
        assert all(trace not in folded for trace in forbidden_author_traces(secret)), text
        assert [ip for ip in IPV4.findall(text) if ip != OWN_HOST] == []
