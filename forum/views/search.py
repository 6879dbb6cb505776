"""Search and discovery: the results page, similar questions as JSON, sitemap and robots.txt."""
from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from forum.extensions import limiter
from forum.forms import SearchForm
from forum.services import categories, discovery, safety, search, tags, thread_cache
from forum.urls import question_url
from forum.views import member_pages
from forum.views.forms_util import client_ip, parse_id
from forum.views.guest_pages import page_identity, shares_guest_page

bp = Blueprint("search", __name__)

#: Shortest title for which similar questions are looked up.
SIMILAR_MIN_LENGTH = 8
NOINDEX = {"X-Robots-Tag": "noindex"}
#: Query arguments the pager carries over (nothing else reaches url_for).
FILTERS = ("q", "category", "tag", "answered", "sort")


def search_form():
    form = SearchForm(formdata=request.args)
    index = categories.by_id()
    form.category.choices = [SelectChoice("", "Any category")] + [
        SelectChoice(index[cid].slug, label) for cid, label in categories.choices()
    ]
    return form


@bp.get("/search")
@limiter.limit("120 per minute", key_func=lambda: client_ip())
def index():
    if shares_guest_page():
        # A guest's results are every guest's: cached until anything they show changes.
        return thread_cache.cached_guest_view("search", render_results, extra=page_identity()), 200, NOINDEX
    member = member_pages.list_extra()
    if member is not None:
        # Members alike (level, privileges, unread count) share it, but for their name.
        return member_pages.personalise(thread_cache.cached_guest_view(
            "member-search", lambda: member_pages.render_with_marks(render_results), extra=member)), 200, NOINDEX
    return render_results(), 200, NOINDEX


def render_results():
    form = search_form()
    page = parse_id(request.args.get("page", "1"), maximum=1000) or 1
    category = categories.get_by_slug(form.category.data or "")
    tag = tags.get_tag_or_none(form.tag.data or "") if form.tag.data else None
    answered = {"yes": True, "no": False}.get(form.answered.data)
    sort = form.sort.data if form.sort.data in search.SORTS else "relevance"
    result = search.search(form.q.data or "", category=category, tag=tag, answered=answered,
                           sort=sort, page=page)
    args = {k: v for k, v in request.args.items() if k in FILTERS and v}
    # Someone searching for crisis words sees where to get help first.
    crisis = bool(safety.crisis_matches((form.q.data or "")[:500]))
    return render_template("search/index.html", form=form, result=result, args=args, crisis=crisis,
                           unknown_tag=bool(form.tag.data) and tag is None)


@bp.get("/search/similar")
@limiter.limit("120 per minute", key_func=lambda: client_ip())
def similar():
    title = (request.args.get("title") or "")[:search.MAX_QUERY_LENGTH]
    found = search.similar_questions(title) if len(title.strip()) >= SIMILAR_MIN_LENGTH else []
    return jsonify(questions=[
        {"title": q.title, "url": question_url(q), "answers": q.answer_count} for q in found
    ]), 200, NOINDEX


RANKING_TITLES = {"hot": "Hot questions", "votes": "Most voted questions", "answers": "Most answered questions"}


@bp.get("/questions")
def rankings():
    """``/questions?sort=hot|votes|answers`` leads to the ranked list; anything else to the newest."""
    ranking = request.args.get("sort")
    if ranking in discovery.RANKINGS:
        return redirect(url_for("search.ranked", ranking=ranking), 301)
    return redirect(url_for("questions.index"), 301)


@bp.get("/questions/<any(hot, votes, answers):ranking>")
def ranked(ranking):
    page = parse_id(request.args.get("page", "1"), maximum=100_000)
    if page is None:
        abort(404)
    result = discovery.ranked_questions(ranking, page=page)
    if page > 1 and not result.questions:
        abort(404)
    return render_template("questions/index.html", title=RANKING_TITLES[ranking], result=result)


@bp.get("/robots.txt")
def robots():
    lines = ["User-agent: *"] + [f"Disallow: {path}" for path in discovery.PRIVATE_PATHS]
    lines.append(f"Sitemap: {url_for('search.sitemap', _external=True)}")
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


@bp.get("/sitemap.xml")
def sitemap():
    """One sitemap when it fits, else a sitemap index of numbered parts."""
    parts = discovery.sitemap_part_count()
    if parts > 1:
        return _xml("search/sitemap_index.xml", parts=range(1, parts + 1))
    return _xml("search/sitemap.xml", entries=discovery.sitemap_entries(1))


@bp.get("/sitemap-<int:part>.xml")
def sitemap_part(part):
    if not 1 <= part <= discovery.sitemap_part_count():
        return Response("Not found", status=404, mimetype="text/plain")
    return _xml("search/sitemap.xml", entries=discovery.sitemap_entries(part))


def _xml(template, **context):
    """An XML answer with an ETag of its content: crawlers that have it get a 304."""
    response = Response(render_template(template, **context), mimetype="application/xml")
    response.add_etag()
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response.make_conditional(request)
