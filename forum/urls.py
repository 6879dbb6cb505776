"""URL helpers for templates and views, and the same-site redirect rule."""
from urllib.parse import unquote, urlsplit

from flask import current_app, has_request_context, url_for

from forum.text import slugify


def _is_local_path(target):
    if any(ord(ch) < 32 or ord(ch) == 127 or ch == "\\" for ch in target):
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not (parts.scheme or parts.netloc)


def safe_next(target, default="/"):
    """Return ``target`` if it is a path on this site, else ``default``.

    Refuses absolute URLs, scheme-relative ``//host`` and ``/\\host`` (which some
    browsers read as ``//host``), anything with control characters (a browser drops a
    tab or newline, turning ``/<TAB>/host`` into ``//host``), and targets that become
    one of these once percent-decoded (``/%5Chost``), as a proxy or browser might.
    """
    if not target or not isinstance(target, str) or len(target) > 2000:
        return default
    seen = target
    for _ in range(3):
        if not _is_local_path(seen):
            return default
        decoded = unquote(seen)
        if decoded == seen:
            return target
        seen = decoded
    return default


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
