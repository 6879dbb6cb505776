"""URL helpers for templates and views, and the same-site redirect rule."""
from urllib.parse import urlsplit

from flask import url_for


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


def user_url(user):
    return url_for("users.show", username=user.username)
