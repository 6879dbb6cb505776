"""Atom (and RSS) feeds of recent, unanswered, per-category, per-tag and per-question posts."""
from flask import Blueprint, Response, abort, redirect, request, url_for

from forum.services import categories, feeds, questions, tags

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

#: Feed readers poll; let them and caches keep a copy briefly, then revalidate.
CACHE_SECONDS = 300


def feed_format():
    """Return the ?format= asked for (Atom unless "rss").

    :raise 404: for any other format.
    """
    fmt = request.args.get("format", "atom")
    if fmt not in feeds.FORMATS:
        abort(404)
    return fmt


def respond(feed):
    """Send the feed with its ETag and Last-Modified, or 304 when the reader's copy is current."""
    fmt = feed_format()
    response = Response(mimetype=feeds.FORMATS[fmt])
    response.set_etag(feed.etag(fmt))
    response.last_modified = feed.updated
    response.cache_control.public = True
    response.cache_control.max_age = CACHE_SECONDS
    response.make_conditional(request)
    if response.status_code == 200:
        response.set_data(feeds.render(feed, fmt))
    return response


@bp.get("/questions.atom")
def index():
    return respond(feeds.recent_questions_feed())


@bp.get("/unanswered.atom")
def unanswered():
    return respond(feeds.unanswered_feed())


@bp.get("/categories/<slug>.atom")
def category(slug):
    found = categories.get_by_slug(slug)
    if found is None:
        abort(404)
    return respond(feeds.category_feed(found))


@bp.get("/tags/<name>.atom")
def tag(name):
    found = tags.get_tag_or_none(name)
    if found is None:
        abort(404)
    return respond(feeds.tag_feed(found))


@bp.get("/questions/<int:question_id>.atom")
def question(question_id):
    """The question and its answers; only a public question has a feed, whoever asks.

    A merged question's feed leads to the question it was merged into.

    :raise 404: when the question does not exist or is not visible to everyone.
    """
    found = questions.get_question(question_id)
    if found is not None and found.merged_into_id:
        target = questions.get_question(found.merged_into_id)
        if feeds.is_public(target):
            return redirect(url_for("feeds.question", question_id=target.id, **request.args), 301)
    if not feeds.is_public(found):
        abort(404)
    return respond(feeds.question_feed(found))
