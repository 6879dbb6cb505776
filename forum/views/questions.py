"""Question lists, asking, and the question page."""
import secrets

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from forum.extensions import db, limiter
from forum.forms import AnswerForm, AskForm
from forum.models import Level
from forum.permissions import (
    at_least,
    can_answer_question,
    can_ask_question,
    can_view_post,
    require,
    session_posts,
)
from forum.security import rerender_on_csrf_error
from forum.services import (
    categories,
    credentials,
    curation,
    questions,
    safety,
    search,
    tags,
    thread_cache,
    viewcounts,
    votes,
)
from forum.services.errors import ValidationFailed
from forum.services.posting import DuplicateSubmission, Guest, find_by_token
from forum.text import slugify
from forum.urls import question_url
from forum.views import member_pages
from forum.views.forms_util import (
    apply_errors,
    client_ip,
    crisis_interstitial,
    flash_if_queued,
    parse_id,
    remember_guest_post,
    viewer_id,
    wants_to_edit_again,
)
from forum.views.guest_pages import page_identity, related_identity, shares_guest_page
from forum.views.limits import by_trust
from forum.views.previews import is_preview, preview_for, wants_preview

bp = Blueprint("questions", __name__)


def page_arg():
    """Return the ?page= number, or 404 for nonsense."""
    page = parse_id(request.args.get("page", "1"), maximum=100_000)
    if page is None:
        abort(404)
    return page


def cursor_args():
    """The keyset cursors of a deep list page (?before= or ?after= a question id); 404 for nonsense."""
    cursors = {}
    for name in ("before", "after"):
        if name in request.args:
            cursors[name] = parse_id(request.args[name])
            if cursors[name] is None:
                abort(404)
    return cursors


def render_list(title, page, **filters):
    is_muted = safety.mute_filter(current_user)
    cursors = cursor_args()
    found = questions.list_page_ids(page, **cursors, **filters)
    if page > 1 and not found[0]:
        abort(404)

    def render():
        result = questions.list_questions(page=page, **cursors, **filters, with_text=is_muted is not None,
                                          found=found)
        if is_muted is not None:
            result.questions = [q for q in result.questions if not is_muted(q)]
        credentials.preload_for_posts(result.questions)
        return render_template("questions/index.html", title=title, result=result, **filters)

    if is_muted is None and shares_guest_page():
        # Every guest gets the same page: cached under what it shows.
        return thread_cache.cached_list(found[0], render, extra=(title, found[1], *page_identity()))
    follows = (("category", filters["category"].id) if filters.get("category")
               else ("tag", filters["tag"].id) if filters.get("tag") else None)
    member = member_pages.list_extra(follows)
    if member is not None:
        # Members alike (level, privileges, unread count, following) share it, but for their name.
        return member_pages.personalise(thread_cache.cached_list(
            found[0], lambda: member_pages.render_with_marks(render), extra=(title, found[1], *member)))
    return render()


@bp.get("/")
def index():
    return render_list("Recent questions", page_arg())


@bp.get("/unanswered")
def unanswered():
    return render_list("Unanswered questions", page_arg(), unanswered=True)


@bp.get("/categories")
def categories_index():
    return render_template("questions/categories.html", roots=categories.roots(),
                           children_of=categories.children_of)


@bp.get("/categories/<slug>")
def category(slug):
    found = categories.get_by_slug(slug)
    if found is None:
        abort(404)
    return render_list(found.title, page_arg(), category=found)


@bp.get("/tags/<name>")
def tag(name):
    found = tags.get_tag_or_none(name)
    if found is None:
        abort(404)
    return render_list(f"Questions tagged {found.name}", page_arg(), tag=found)


def new_token():
    return secrets.token_urlsafe(24)


def ask_form():
    form = AskForm()
    form.category.choices = [("", "Choose a category")] + [
        (str(cid), label) for cid, label in categories.choices()
    ]
    if not form.submission_token.data:
        form.submission_token.data = new_token()
    return form


@bp.get("/ask")
def new():
    require(can_ask_question(current_user))
    return render_template("questions/new.html", form=ask_form())


#: Most similar questions listed on the review step.
REVIEW_LIMIT = 5


def similar_for_review(title):
    """Return up to REVIEW_LIMIT questions like ``title`` that the asker may see and has not muted."""
    is_muted = safety.mute_filter(current_user)
    return [
        q for q in search.similar_questions(title, limit=REVIEW_LIMIT)
        if can_view_post(current_user, q) and not (is_muted and is_muted(q))
    ]


def is_review_step(response):
    """True for the review step's or a preview's response, which is not a posting attempt."""
    return bool(g.get("ask_review_step")) or is_preview(response)


@bp.post("/ask")
# A review step costs no posting slot; it has its own, looser allowance.
@limiter.limit(by_trust(guest="3 per hour;10 per day", new="5 per hour;15 per day",
                        member="10 per hour;30 per day"),
               key_func=lambda: client_ip(), deduct_when=lambda response: not is_review_step(response))
@limiter.limit("60 per hour", key_func=lambda: client_ip(), deduct_when=is_review_step)
@rerender_on_csrf_error
def create():
    require(can_ask_question(current_user))
    form = ask_form()
    if wants_preview():
        preview = preview_for(form, "question")
        return render_template("questions/new.html", form=form, preview=preview), 200 if preview is not None else 400
    if not form.validate_on_submit():
        return render_template("questions/new.html", form=form), 400
    category = None
    if form.category.data:
        category = categories.by_id().get(parse_id(form.category.data))
        if category is None:
            form.category.errors = ["Choose one of the listed categories."]
            return render_template("questions/new.html", form=form), 400
    author = current_user if current_user.is_authenticated else None
    if wants_to_edit_again():
        return render_template("questions/new.html", form=form)
    if (page := crisis_interstitial(form, form.title.data, form.body.data or "")) is not None:
        return page
    if (page := review_step(form)) is not None:
        return page
    try:
        question = questions.ask_question(
            author, form.title.data, form.body.data or "", category=category,
            tag_text=form.tags.data or "",
            guest=Guest(form.guest_name.data, form.guest_email.data),
            token=form.submission_token.data, ip_address=client_ip(),
            content_warning=form.content_warning.data, anonymous=bool(author and form.anonymous.data),
        )
    except DuplicateSubmission as duplicate:
        db.session.rollback()
        return redirect(question_url(duplicate.post), 303)
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        return render_template("questions/new.html", form=form), 400
    db.session.commit()
    remember_guest_post(question)
    flash_if_queued(question)
    return redirect(question_url(question), 303)


def review_step(form):
    """Show the questions that may already answer this one before posting it.

    Returns the ask form again (all typed values kept, ``reviewed`` set) with the
    similar questions listed, or None to go on posting: when the asker has seen them
    (here or in the live list under the title), when there are none, when they already
    chose "Post it" on the crisis interstitial (one interruption is enough), or when
    this form already made its post (a resubmit goes to it). Writes nothing.
    """
    if form.reviewed.data or form.crisis_ack.data:
        return None
    if (earlier := find_by_token(form.submission_token.data)) is not None:
        return redirect(question_url(earlier), 303)
    similar = similar_for_review(form.title.data)
    if not similar:
        return None
    g.ask_review_step = True
    form.reviewed.data = "1"
    return render_template("questions/new.html", form=form, similar=similar)


class MergedQuestion(Exception):
    """The question was merged into another; its URL leads there."""

    def __init__(self, question):
        self.question = question


def get_visible_question_or_404(question_id, details=True):
    """Return the question if the current user may see it (see ``questions.get_question``).

    :raise 404: when it does not exist or is not visible to them.
    """
    question = questions.get_question(question_id, details)
    if question is not None and question.merged_into_id:
        raise MergedQuestion(question)
    if question is None or not can_view_post(current_user, question):
        abort(404)
    return question


@bp.app_errorhandler(MergedQuestion)
def _follow_merge(error):
    """Old links to a merged question lead to the question it was merged into."""
    target = questions.get_question(error.question.merged_into_id)
    if target is None:
        abort(404)
    return redirect(question_url(target), 301)


def render_show(question, answer_form=None, status=200, preview=None):
    page = page_arg()
    fresh_form = answer_form is None
    if answer_form is None and can_answer_question(current_user, question):
        answer_form = AnswerForm(formdata=None)
    if answer_form is not None and not answer_form.submission_token.data:
        answer_form.submission_token.data = new_token()
    related = search.related_questions(question)
    personal = current_user.is_authenticated or question.status != "visible" or session_posts()

    def render_page(thread_html=None, **thread):
        return render_template("questions/show.html", answer_form=answer_form, thread_html=thread_html,
                               preview=preview, related=related, question=question, **thread)

    def render_thread():
        return render_template("questions/_thread.html", question=question, **_thread_context(question, page))

    if personal:
        member_view = _member_view_key(question)
        if member_view is not None:
            # A member's thread is the same as any other member's with the same level,
            # privileges and part in the thread (posts written, votes, following): cached.
            def render_member_page():
                return render_page(Markup(thread_cache.cached_html(
                    question, page, render_thread, extra=member_view, scope="member")))

            plain_visit = fresh_form and preview is None and status == 200
            extra = member_pages.page_extra(member_view, related) if plain_visit else None
            if extra is None:
                return render_member_page(), status
            # On a plain visit the whole page is shared too, but for the name in the header.
            one_time = (answer_form.submission_token.data, new_token) if answer_form else None
            return member_pages.personalise(thread_cache.cached_html(
                question, page, lambda: member_pages.render_with_marks(render_member_page),
                extra=extra, scope="member-page", one_time=one_time)), status
        # Moderators see more, a member with muted words their own view, and anyone their
        # own posts awaiting approval: rendered for them.
        return render_page(**_thread_context(question, page)), status
    if fresh_form and preview is None and status == 200 and shares_guest_page():
        # A guest's plain view is the same for every guest (of the same theme) but for the
        # form's tokens: the whole page is cached, and found by `cached_guest_page`.
        one_time = (answer_form.submission_token.data, new_token) if answer_form else None
        return thread_cache.cached_html(
            question, page, lambda: render_page(**_thread_context(question, page)),
            extra=_guest_page_extra(related), scope="page", one_time=one_time), status
    # Guests all see the same thread: rendered once per content version.
    thread_html = Markup(thread_cache.cached_html(question, page, render_thread))
    return render_page(thread_html), status


def _member_view_key(question):
    """What a member's view of the thread shows besides its content (the key's ``extra``),
    or None when it is theirs alone (``member_pages.member_state``), and for any member's
    view of a question not visible to all or closed as a duplicate (the original it
    duplicates may be hidden from everyone but its author)."""
    if question.status != "visible" or question.duplicate_of_id is not None:
        return None
    return member_pages.member_state(question.id)


def _guest_page_extra(related):
    """What a guest's page shows besides the thread (the key's ``extra``)."""
    return (related_identity(related), *page_identity())


def cached_guest_page(question_id):
    """Return the cached page a guest gets, without loading the question, or None.

    The key is made from the question's id alone (the thread's rows say whether it is
    visible, merged, and what its title is): a page is only ever stored by ``render_show``
    for a visible question under its own URL, and any change to them changes the key.
    """
    if not thread_cache.enabled() or not shares_guest_page():
        return None
    with thread_cache.outside_transaction():
        related = search.known_related(question_id)
        if related is None:
            return None
        key = thread_cache.page_key(question_id, page_arg(), "page", _guest_page_extra(related))
        return thread_cache.lookup(key, one_time=new_token)


def cached_member_page(question_id):
    """Return the cached page a member gets on a plain visit, without loading the question,
    or None (see ``cached_guest_page``; the member's part in the key: ``member_pages``)."""
    if not thread_cache.enabled() or not current_user.is_authenticated:
        return None
    state = member_pages.member_state(question_id)
    related = search.known_related(question_id) if state is not None else None
    extra = member_pages.page_extra(state, related) if related is not None else None
    if extra is None:
        return None
    key = thread_cache.page_key(question_id, page_arg(), "member-page", extra)
    found = thread_cache.lookup(key, one_time=new_token)
    return member_pages.personalise(found) if found is not None else None


def _thread_context(question, page):
    """What the thread template needs for the current viewer (the page around it needs none of it)."""
    questions.load_details(question)
    thread = questions.load_thread(
        question, viewer_id=viewer_id(), is_moderator=at_least(current_user, Level.MODERATOR), page=page,
    )
    my_votes = votes.votes_by(
        current_user if current_user.is_authenticated else None,
        [question.id] + [answer.id for answer in thread.answers],
    )
    is_muted = safety.mute_filter(current_user)
    muted = {post.id for post in [question, *thread.answers] if is_muted and is_muted(post)}
    credentials.preload_for_posts([question, *thread.answers, *(c for cs in thread.comments.values() for c in cs)])
    original = questions.get_question(question.duplicate_of_id) if question.duplicate_of_id else None
    if original is not None and not can_view_post(current_user, original):
        original = None
    return {"thread": thread, "my_votes": my_votes, "muted": muted, "original": original,
            "duplicates": curation.duplicates_of(question)}


@bp.get("/questions/<int:question_id>")
@bp.get("/questions/<int:question_id>/<slug>")
def show(question_id, slug=None):
    if (cached := cached_guest_page(question_id) or cached_member_page(question_id)) is not None:
        viewcounts.record_view(question_id)
        return cached
    # The thread may well come from the cache: its details are loaded if it is rendered.
    question = get_visible_question_or_404(question_id, details=False)
    if slug != slugify(question.title):
        return redirect(question_url(question, **request.args), 301)
    if question.status == "visible":
        viewcounts.record_view(question.id)
    return render_show(question)


@bp.get("/questions/<int:question_id>/<slug>/")
def show_trailing_slash(question_id, slug):
    return redirect(url_for("questions.show", question_id=question_id, slug=slug), 301)


