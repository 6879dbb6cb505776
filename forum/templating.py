"""Jinja globals and filters: permissions, settings, times, numbers, static URLs."""
import hashlib
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from flask import current_app, g, request, url_for

from forum import permissions, urls
from forum.services import categories, credentials, curation, notifications, safety, settings, users


def time_ago(value, now=None):
    """Say how long ago ``value`` was, the way people do: "3 hours ago"."""
    if value is None:
        return ""
    now = now or datetime.now(timezone.utc)
    seconds = int((now - value).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("year", 31_536_000), ("month", 2_592_000), ("week", 604_800),
                       ("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'} ago"
    return "just now"


def compact_number(value):
    """Shorten a count for display: 950, 4.9k, 12k, 1.2m."""
    value = int(value or 0)
    sign = "-" if value < 0 else ""
    value = abs(value)
    for suffix, size in (("m", 1_000_000), ("k", 1_000)):
        if value >= size:
            shown = value / size
            text = f"{shown:.1f}".rstrip("0").rstrip(".") if shown < 10 else f"{int(shown)}"
            return f"{sign}{text}{suffix}"
    return f"{sign}{value}"


def signed(value):
    """Show a score with its sign: +102, 0, -3."""
    value = int(value or 0)
    return f"+{value}" if value > 0 else str(value)


def iso(value):
    """Format a time for a datetime attribute: to the second, as HTML allows."""
    return value.isoformat(timespec="seconds") if value else ""


@lru_cache(maxsize=256)
def _file_hash(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def static_url(filename):
    """Return the URL of a static file with a content hash, for long caching."""
    path = Path(current_app.static_folder) / filename
    try:
        version = _file_hash(str(path))
    except OSError:
        version = "0"
    return url_for("static", filename=filename, v=version)


def cache_versioned_static(response):
    """Let browsers keep a static file for a year when its URL names its current content hash."""
    version = request.args.get("v")
    if request.endpoint == "static" and version and response.status_code == 200:
        path = Path(current_app.static_folder) / (request.view_args or {}).get("filename", "")
        try:
            current = _file_hash(str(path))
        except OSError:
            return response
        if version == current:
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = 31_536_000
            response.cache_control.immutable = True
    return response


def show_guidelines():
    """Show the posting guidelines open on forms for guests and for a member's first posts."""
    from flask_login import current_user
    from sqlalchemy import func, select

    from forum.extensions import db
    from forum.models import Post

    if not current_user.is_authenticated:
        return True
    if current_user.loaded_has_three_posts is not None:  # read with the member
        return not current_user.loaded_has_three_posts
    # At most three rows, however much the member has written.
    first = select(Post.id).where(Post.author_id == current_user.id).limit(3).subquery()
    return db.session.scalar(select(func.count()).select_from(first)) < 3


#: A number no real id reaches, put in an address and then replaced (see ``id_url``).
_ID_MARK = 9_876_543_210


def id_url(endpoint, **value):
    """``url_for(endpoint, name=id)`` for an endpoint taking one integer, built once per request.

    A long thread links every post to its vote, edit, history, flag and comment pages:
    building those addresses one by one is a good part of rendering it.
    """
    ((name, number),) = value.items()
    memo = g.setdefault("forum_id_urls", {})
    pattern = memo.get((endpoint, name))
    if pattern is None:
        pattern = memo[(endpoint, name)] = url_for(endpoint, **{name: _ID_MARK}).split(str(_ID_MARK))
        if len(pattern) != 2:  # the mark must appear exactly once
            memo.pop((endpoint, name))
            return url_for(endpoint, **value)
    return f"{pattern[0]}{int(number)}{pattern[1]}"


def _current_user_object():
    """Templates get the user itself rather than Flask-Login's proxy (registered after
    Flask-Login's, so it wins): a long thread asks permission questions about it hundreds
    of times, each through the proxy otherwise."""
    from flask_login import current_user

    return {"current_user": current_user._get_current_object()}


def init_app(app):
    from forum.views.member_pages import is_following, viewer_link  # the views import this module

    app.jinja_env.globals.update(permissions.JINJA_GLOBALS)
    app.jinja_env.globals.update(
        setting=settings.get,
        member_title=settings.member_title,
        crisis_resources=safety.resources,
        show_guidelines=show_guidelines,
        unread_notifications=notifications.unread_count,
        viewer_link=viewer_link,
        is_following=is_following,
        close_reasons=curation.CLOSE_REASONS,
        static_url=static_url,
        id_url=id_url,
        display_name=users.display_name,
        member_name=users.member_name,
        author_badge=credentials.author_badge,
        member_badge=credentials.badge_of,
        question_url=urls.question_url,
        answer_url=urls.answer_url,
        children_of_category=categories.children_of,
    )
    app.jinja_env.filters.update(
        time_ago=time_ago, compact=compact_number, signed=signed, iso=iso
    )
    app.after_request(cache_versioned_static)
    app.context_processor(_current_user_object)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
