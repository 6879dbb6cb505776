"""Old addresses of an imported Question2Answer site, redirected permanently to their new place.

``/<id>/<slug>`` and ``/<id>`` (posts), ``/user/<handle>``, ``/questions/<category path>``
and ``/tag/<tag>``. Each looks up what the importer stored in ``import_redirects``;
unknown addresses are 404s. A post that readers cannot see is sent to its bare
address, which answers for itself, so no title leaks through a redirect.
"""
from flask import Blueprint, abort, redirect, url_for
from sqlalchemy import select

from forum.extensions import db
from forum.models import Category, ImportRedirect, Post, Tag, User
from forum.text import slugify

bp = Blueprint("legacy", __name__)


def _target(kind, old_path):
    """Return the id an old path of ``kind`` leads to (the first import wins).

    :raise 404: when no import stored that path.
    """
    target = db.session.scalar(select(ImportRedirect.target_id)
                               .where(ImportRedirect.kind == kind, ImportRedirect.old_path == old_path)
                               .order_by(ImportRedirect.id).limit(1))
    if target is None:
        abort(404)
    return target


def _moved(location):
    return redirect(location, code=301)


def _post_url(post):
    if post.type == "answer":
        return url_for("answers.show", answer_id=post.id)
    question = db.session.get(Post, post.question_id) if post.type == "comment" else post
    if question is None:
        abort(404)
    if question.status != "visible" or post.status != "visible":
        return url_for("questions.show", question_id=question.id)
    anchor = f"c{post.id}" if post.type == "comment" else None
    return url_for("questions.show", question_id=question.id, slug=slugify(question.title), _anchor=anchor)


@bp.get("/<int:old_id>")
@bp.get("/<int:old_id>/<slug>")
def post(old_id, slug=None):
    """:raise 404: no imported post had this id."""
    found = db.session.get(Post, _target("post", str(old_id)))
    if found is None:
        abort(404)
    return _moved(_post_url(found))


@bp.get("/user/<handle>")
def user(handle):
    found = db.session.get(User, _target("user", handle))
    if found is None:
        abort(404)
    return _moved(url_for("users.show", username=found.username))


@bp.get("/questions/<path:category_path>")
def category(category_path):
    found = db.session.get(Category, _target("category", category_path.strip("/")))
    if found is None:
        abort(404)
    return _moved(url_for("questions.category", slug=found.slug))


@bp.get("/tag/<tag>")
def tag(tag):
    found = db.session.get(Tag, _target("tag", tag))
    if found is None:
        abort(404)
    return _moved(url_for("questions.tag", name=found.name))
