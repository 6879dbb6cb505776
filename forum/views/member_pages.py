"""Which members share a cached page, and what makes a cached page theirs.

A member's view of a thread differs from another member's only by their level and
privileges, their part in the thread (posts they wrote, votes, following) and what the
header and the answer form show of them: their name, their unread count, whether the
posting guidelines are still open for them. Members alike in all of these share the
cached thread, and, on a plain visit, the whole page; the name is left out of the cached
page as a mark and put back for each viewer (``personalise``). A list or search page
shows even less of them: their level and privileges (the links they get), their unread
count and whether they follow the category or tag listed (``list_extra``).

Moderators, blocked members, members with muted words or categories, and members with a
post of their own in the thread that others cannot see get their pages rendered for them.
"""
from flask import g, session, url_for
from flask_login import current_user
from markupsafe import escape

from forum.models import Level
from forum.permissions import PRIVILEGES, at_least, has_privilege, is_blocked, session_posts
from forum.services import notifications, safety, thread_cache
from forum.views.guest_pages import page_identity, related_identity

#: Where the cached page holds the viewer's name and the address of their profile.
NAME_MARK = "\x1fviewer-name\x1f"
PROFILE_MARK = "\x1fviewer-profile\x1f"


def member_state(question_id):
    """What the member's view of the thread shows of them (part of a cache key), or None
    when it is theirs alone.

    Needs only the question's id: the key it is part of also holds the thread's content
    version, which says whether the question is visible or closed as a duplicate (views
    that are rendered for each member), so a page stored for neither is never found for
    either.
    """
    identity = _shared_identity()
    if identity is None:
        return None
    involvement = _involvement(question_id, current_user.id)
    if any(authored and status not in ("visible", "following") for _, status, authored, _ in involvement):
        return None
    _key_saw_following("question", question_id, any(status == "following" for _, status, _, _ in involvement))
    return (*identity, involvement, *page_identity())


def _shared_identity():
    """("member", level, privileges) of a member whose views others alike may share, or
    None for a member whose views are theirs alone (or a guest)."""
    user = current_user._get_current_object()
    if (not user.is_authenticated or session_posts() or at_least(user, Level.MODERATOR) or is_blocked(user)
            or safety.mute_filter(user) is not None):
        return None
    return ("member", user.level, tuple(action for action in PRIVILEGES if has_privilege(user, action)))


def list_extra(follows=None):
    """What a list or search page shows of the member viewing it (part of its key), or None
    when the page is theirs alone: a message is waiting, or they are a moderator, blocked,
    or muting (see ``member_state``). ``follows`` is the (kind, id) the page's follow button
    is for, if it has one.
    """
    identity = _shared_identity()
    if identity is None or "_flashes" in session:
        return None
    following = None
    if follows:
        following = notifications.is_following(current_user, *follows)
        _key_saw_following(*follows, following)
    return (*identity, notifications.unread_count(current_user), following, *page_identity())


def _key_saw_following(target_type, target_id, following):
    g.setdefault("forum_following", {})[(target_type, target_id)] = following


def is_following(user, target_type, target_id):
    """``notifications.is_following`` for templates: what the cached page's key saw, when
    it saw it. Follows are not in the cache generation, so on PostgreSQL a second read
    could see a follow made since, and the page showing it be stored under a key that
    says otherwise, for members who follow nothing."""
    known = g.get("forum_following", {})
    if (target_type, target_id) in known and user is current_user._get_current_object():
        return known[(target_type, target_id)]
    return notifications.is_following(user, target_type, target_id)


def _involvement(question_id, user_id):
    """``thread_cache.involvement``, read with the member on a question page, else asked
    once per request (a missed cached page asks again)."""
    loaded = current_user.loaded_involvement
    if loaded is not None and loaded[0] == question_id:
        return loaded[1]
    known = g.setdefault("forum_involvement", {})
    if question_id not in known:
        known[question_id] = thread_cache.involvement(question_id, user_id)
    return known[question_id]


def page_extra(state, related):
    """The key's ``extra`` for the whole page a member gets on a plain visit, or None when
    a message is waiting to be shown (it is shown once, to them)."""
    if "_flashes" in session:
        return None
    from forum.templating import show_guidelines

    unread = notifications.unread_count(current_user)
    return (state, related_identity(related), unread, show_guidelines())


def render_with_marks(render):
    """``render()`` with the viewer's name and profile address left as marks."""
    g.forum_viewer_marks = True
    try:
        return render()
    finally:
        g.forum_viewer_marks = False


def viewer_link():
    """(profile address, name) of the member viewing the page, or their marks when the page
    is rendered to be shared (``render_with_marks``)."""
    if g.get("forum_viewer_marks", False):
        return PROFILE_MARK, NAME_MARK
    return url_for("users.show", username=current_user.username), current_user.username


def personalise(html):
    """Put the viewer's own name and profile address where the cached page has marks."""
    url, name = viewer_link()
    return html.replace(PROFILE_MARK, str(escape(url))).replace(NAME_MARK, str(escape(name)))
