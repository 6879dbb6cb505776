"""Who gets the pages every guest shares, and what makes one such page differ from another."""
from flask import request, session
from flask_login import current_user

from forum.permissions import session_posts
from forum.templating import static_url
from forum.views.theme import current_theme


def shares_guest_page():
    """Whether this viewer gets the page every guest gets: not a member, no post of their
    own awaiting approval, no message waiting to be shown."""
    return not current_user.is_authenticated and not session_posts() and "_flashes" not in session


def related_identity(related):
    """What a page shows of its related questions (part of a cached page's key)."""
    return [(r.id, r.title, r.answer_count) for r in related]


def page_identity():
    """What makes a cached page differ from guest to guest and from address to address."""
    return (current_theme(), request.full_path, request.host_url,
            static_url("css/forum.css"), static_url("js/forum.js"))
