"""URL helpers for templates and views, and the same-site redirect rule."""
from urllib.parse import urlsplit

from flask import current_app, has_request_context, url_for

from forum.text import slugify


def safe_next(target, default="/"):
    """Return ``target`` if it is a path on this site, else ``default``.

    Refuses absolute URLs, scheme-relative ``//host`` and ``/\\host`` (which some
    browsers read as ``//host``), and anything with control characters.
    """
    if not target or not isinstance(target, str):
        return default
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return default
    if not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def external_url(endpoint, **values):
    """An absolute URL, also outside requests (the worker, the CLI): PUBLIC_URL is the base."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    base = current_app.config.get("PUBLIC_URL", "http://127.0.0.1:5000")
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)


def user_url(user):
    return url_for("users.show", username=user.username)


def question_url(question, _anchor=None, **args):
    """Return the canonical URL of a question: /questions/<id>/<slug>."""
    return url_for("questions.show", question_id=question.id, slug=slugify(question.title),
                   _anchor=_anchor, **args)


def answer_url(answer):
    """Return the stable link to an answer, which redirects to its page and anchor."""
    return url_for("answers.show", answer_id=answer.id)


def post_anchor(post):
    return f"{post.type[0]}{post.id}"
