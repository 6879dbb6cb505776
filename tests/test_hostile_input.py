"""Hostile input on every field (hypothesis): arbitrary Unicode, control characters,
right-to-left marks, huge and empty values into every form field of every POST route and
every query parameter of every GET page of the URL map, never a 500 nor a traceback; and
accepted text round-trips exactly after the documented normalisation.

The normalisation (forum/text.py, services/posting.py): CRLF and CR become LF; bodies are
stripped at both ends; one-line fields (titles, names) have every whitespace run turned into
one space; NUL and every other control character except tab and newline are refused with a
message next to the field.

Examples per route: HOSTILE_EXAMPLES (default 3) drawn (as an admin; a guest gets the edge
cases only), plus the fixed edge cases below for every route. CI=true selects the reproducible "forum-ci" profile (tests/conftest.py).
"""
import os
import re
from html.parser import HTMLParser
from itertools import count
from pathlib import Path

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, Phase, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.routing import IntegerConverter
from wtforms.fields.core import UnboundField

from forum.extensions import db
from forum.models import Answer, Comment, Level, Question, QueueItem, utcnow
from forum.services import flags
from forum.text import clean_input, has_control_characters
from tests.factories import make_answer, make_category, make_comment, make_question
from tests.fixtures.users import PASSWORD

HOSTILE_EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", 3))
ROUND_TRIP_EXAMPLES = int(os.environ.get("ROUND_TRIP_EXAMPLES", 25))

#: Values every field of every route receives, whatever hypothesis draws: empty, NUL, one
#: string with every other kind of trouble, and a huge value.
EDGE_VALUES = [
    "",
    "\x00",
    "a\r\nb\rc\n\u202eevil\u202c \u200f\u200e\u2066x\u2069\x1b[2J\x07\x7f\x85\x9f\x1f\ufeff"
    "\ud7ff\ue000\uffff\U0010ffff\U0001f600 -1 ../../etc/passwd <script>alert(1)</script>",
    "x" * 40_000,
]
hostile_text = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=60),
    st.text(alphabet=st.sampled_from("\x00\t\n\r\x0b\x0c\x1c\x1f\x7f\x85\u200b\u200e\u200f\u202a\u202e"
                                     "\u2028\u2029\ufeff\ufffd a1<>&\"'"), max_size=40),
    st.sampled_from(EDGE_VALUES[:3] + ["1" * 40, "-1", "0", "x" * 3000]),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)

VIEWS = Path(__file__).resolve().parent.parent / "forum" / "views"
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+")


def assert_no_crash(response, what):
    body = response.get_data(as_text=True)
    assert response.status_code < 500, f"{what} answered {response.status_code}"
    assert not TRACEBACK.search(body), f"{what} shows a traceback"


# --- Discovering routes, forms and fields -----------------------------------------------------

class _Forms(HTMLParser):
    """Collect each POST form's action and field names."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self._current = [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._current = (attrs.get("action") or "", set())
            self.forms.append(self._current)
        elif tag in ("input", "textarea", "select", "button") and self._current and attrs.get("name"):
            self._current[1].add(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def wtforms_field_names():
    """Every field name of every Flask-WTF form class (a fallback for forms on no page)."""
    names, stack = set(), list(FlaskForm.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        names.update(name for name in dir(cls) if isinstance(getattr(cls, name, None), UnboundField))
    return names


def view_arg_names(kind):
    """Names read straight from request.form / request.args in the views."""
    names = set()
    for path in VIEWS.glob("*.py"):
        names.update(re.findall(rf"request\.{kind}\.(?:get|getlist)\(\"([\w-]+)\"", path.read_text()))
    return names


class World:
    """Content for every URL parameter to point at."""

    def __init__(self, make_user):
        self.admin = make_user("ada", level=Level.ADMIN)
        self.member = make_user("alex")
        self.category = make_category("Sleep", slug="sleep")
        self.question = make_question(self.member, tags="insomnia", category=self.category)
        self.answer = make_answer(self.question, self.member)
        self.comment = make_comment(self.answer, self.member)
        flags.flag_post(self.admin, self.answer, "spam")
        db.session.commit()
        self.item_id = db.session.scalar(select(QueueItem.id)) or 1

    def value(self, name, converter):
        ints = {"question_id": self.question.id, "post_id": self.answer.id, "answer_id": self.answer.id,
                "item_id": self.item_id, "category_id": self.category.id, "number": 1}
        strings = {"username": "alex", "slug": "sleep", "name": "insomnia", "target_type": "question",
                   "target": str(self.question.id), "filename": "css/forum.css"}
        if hasattr(converter, "items"):
            return sorted(converter.items)[0]
        if isinstance(converter, IntegerConverter):
            return ints.get(name, 1)
        return strings.get(name, "x")


def url_for_rule(rule, world):
    values = {name: world.value(name, conv) for name, conv in rule._converters.items()}
    return rule.build(values, append_unknown=False)[1]


def rules(app, method):
    found = [rule for rule in app.url_map.iter_rules() if method in rule.methods and rule.endpoint != "static"]
    # Routes that end the actor's session run last, so the others run logged in.
    last = ("logout", "delete_account", "change_password", "change_email")
    return sorted(found, key=lambda rule: (rule.endpoint.endswith(last), rule.rule))


@pytest.fixture
def world(app, make_user):
    return World(make_user)


def login(client, user):
    client.post("/login", data={"username": user.username, "password": PASSWORD})


def discover_fields(app, client, world):
    """Map each POST endpoint to the field names of the forms that post to it."""
    adapter = app.url_map.bind("localhost")
    fields = {}
    login(client, world.admin)
    for rule in rules(app, "GET"):
        response = client.get(url_for_rule(rule, world))
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        parser = _Forms()
        parser.feed(response.get_data(as_text=True))
        for action, names in parser.forms:
            try:
                endpoint, _ = adapter.match(action.split("?")[0].split("#")[0] or rule.rule, method="POST")
            except Exception:  # noqa: BLE001 - a form posting elsewhere (or nowhere) is not ours
                continue
            fields.setdefault(endpoint, set()).update(names)
    return fields


# --- Every POST route, every field ------------------------------------------------------------

def test_every_field_of_every_post_route_survives_hostile_input(app, client, world):
    discovered = discover_fields(app, client, world)
    fallback = wtforms_field_names() | view_arg_names("form")
    undiscovered = []
    for rule in rules(app, "POST"):
        url = url_for_rule(rule, world)
        names = sorted((discovered.get(rule.endpoint) or fallback) - {"csrf_token"})
        if rule.endpoint not in discovered:
            undiscovered.append(rule.endpoint)
        for as_admin in (True, False):
            post_hostile(client, world, url, names, as_admin)
    # Forms on no page still got every known field name; the discovery itself must work.
    assert len(undiscovered) < len(rules(app, "POST")) / 2, undiscovered


def post_hostile(client, world, url, names, as_admin):
    client.post("/logout")
    if as_admin:
        login(client, world.admin)

    @hsettings(max_examples=HOSTILE_EXAMPLES, deadline=None, database=None,
               phases=list(Phase) if as_admin else [Phase.explicit],
               suppress_health_check=list(HealthCheck))
    @given(st.fixed_dictionaries({name: hostile_text for name in names}))
    def check(data):
        response = client.post(url, data=data)
        assert_no_crash(response, f"POST {url} {'as admin' if as_admin else 'as a guest'} with {data!r:.300}")

    # The huge value once per route (as the admin, who reaches the most code) is enough.
    for value in EDGE_VALUES if as_admin else EDGE_VALUES[:3]:
        check = example({name: value for name in names})(check)
    check()


# --- Every GET page, every query parameter ----------------------------------------------------

QUERY_NAMES = sorted(view_arg_names("args") | {"q", "tag", "category", "answered", "sort", "page", "next",
                                               "type", "user", "period", "format"})


def test_every_query_parameter_of_every_get_page_survives_hostile_input(app, client, world):
    login(client, world.admin)
    for rule in rules(app, "GET"):
        get_hostile(client, url_for_rule(rule, world))


def get_hostile(client, url):
    @hsettings(max_examples=HOSTILE_EXAMPLES, deadline=None, database=None,
               suppress_health_check=list(HealthCheck))
    @given(st.dictionaries(st.sampled_from(QUERY_NAMES) | st.text(min_size=1, max_size=8),
                           hostile_text, max_size=4))
    def check(query):
        response = client.get(url, query_string=query)
        assert_no_crash(response, f"GET {url} with {query!r:.300}")

    for value in EDGE_VALUES[:3]:
        check = example({name: value for name in QUERY_NAMES})(check)
    check = example({"q": EDGE_VALUES[3], "page": EDGE_VALUES[3]})(check)  # huge, where it costs most
    check()


# --- Accepted text round-trips exactly ------------------------------------------------------

_unique = count(1)


def expected_body(text):
    return clean_input(text).strip()


def outcome(response, field):
    html = response.get_data(as_text=True)
    return response.status_code, f'id="{field}-error"' in html


@pytest.fixture
def poster(client, make_user):
    """An established member (no new-member link limit) who is logged in."""
    user = make_user("olive", points=5_000)
    user.created_at = utcnow().replace(year=2020)
    db.session.commit()
    login(client, user)
    return user


def check_round_trip(response, sent, stored, field, maximum, minimum=1):
    expected = expected_body(sent)
    status, field_error = outcome(response, field)
    if has_control_characters(clean_input(sent)):
        assert status == 400 and field_error, f"control characters accepted in {field}: {sent!r}"
        assert stored is None
    elif len(expected) < minimum or len(expected) > maximum:
        assert status == 400 and field_error
        assert stored is None
    else:
        assert status == 303, (status, sent)
        assert stored == expected


def body_text():
    return st.text(max_size=200).map(lambda text: f"{text}\n\nnote {next(_unique)}")


@hsettings(max_examples=ROUND_TRIP_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=body_text())
@example(text="line one\r\nline two\rline three\n\n\ttabbed\u202e rtl \u200f\nnote 0a")
@example(text="nul\x00inside\nnote 0b")
@example(text="escape \x1b[2J and \x7f\nnote 0c")
@example(text="\x1f\nnote 0d")
def test_answer_bodies_round_trip(client, poster, world, text):
    response = client.post(f"/questions/{world.question.id}/answers", data={"body": text})
    stored = db.session.scalar(select(Answer.body).where(Answer.author_id == poster.id)
                               .order_by(Answer.id.desc()).limit(1))
    stored = stored if response.status_code == 303 else None
    check_round_trip(response, text, stored, "body", 30_000)


@hsettings(max_examples=ROUND_TRIP_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=body_text())
@example(text="a comment\r\nwith CRLF\u2028and a line separator\nnote 1a")
@example(text="\x00\nnote 1b")
def test_comment_bodies_round_trip(client, poster, world, text):
    response = client.post(f"/posts/{world.answer.id}/comments", data={"body": text})
    stored = db.session.scalar(select(Comment.body).where(Comment.author_id == poster.id)
                               .order_by(Comment.id.desc()).limit(1))
    stored = stored if response.status_code == 303 else None
    check_round_trip(response, text, stored, "body", 2_000)


@hsettings(max_examples=ROUND_TRIP_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(title=st.text(max_size=80), body=body_text())
@example(title="Why\r\ndo  I\twake at 4?\u202e", body="body\r\nnote 2a")
@example(title="A title with a unit separator\x1f in it", body="note 2b")
@example(title="A title with NEL\x85 in it", body="note 2c")
@example(title="A fine title", body="x\x00\nnote 2d")
def test_question_titles_and_bodies_round_trip(client, poster, world, title, body):
    title = f"{title} {next(_unique)}"
    response = client.post("/ask", data={"title": title, "body": body, "reviewed": "1",
                                         "category": str(world.category.id)})
    stored = db.session.execute(select(Question.title, Question.body).where(Question.author_id == poster.id)
                                .order_by(Question.id.desc()).limit(1)).first()
    status, _ = outcome(response, "title")
    title_controls = has_control_characters(clean_input(title))
    expected_title = " ".join(clean_input(title).split())
    if title_controls:
        assert status == 400 and 'id="title-error"' in response.get_data(as_text=True), repr(title)
        return
    if not 8 <= len(expected_title) <= 200:
        assert status == 400
        return
    check_round_trip(response, body, stored.body if status == 303 else None, "body", 30_000, minimum=0)
    if status == 303:
        assert stored.title == expected_title


@pytest.mark.parametrize("huge", [2**31, 10**20])
def test_ids_beyond_any_column_are_no_page_for_guests_and_members(app, client, make_user, huge):
    """Every GET route with a number in its path answers a number beyond any id with a 404
    (or a redirect), never a query overflowing its column: as a guest and as a member, whose
    loader reads their part in a question page's thread."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or not any(isinstance(c, IntegerConverter) for c in rule._converters.values()):
            continue
        values = {name: huge if isinstance(c, IntegerConverter) else "x" for name, c in rule._converters.items()}
        paths.append(app.url_map.bind("localhost").build(rule.endpoint, values))
    assert any(path.startswith("/questions/") for path in paths)
    member = app.test_client()
    form = member.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form)
    user = make_user("numbers")
    member.post("/login", data={"username": user.username, "password": PASSWORD,
                                "csrf_token": token.group(1) if token else ""})
    for who in (client, member):
        for path in paths:
            status = who.get(path).status_code
            assert status in (301, 302, 303, 308, 404), (path, status)
