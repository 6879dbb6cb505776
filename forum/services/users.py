"""How a post's author is shown, and the rules for guests' display names."""
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm.attributes import instance_dict

from forum.extensions import db
from forum.models import User
from forum.text import canonical, has_invisible_characters

#: Names nobody may take or display: they would pass for staff or the system.
RESERVED_NAMES = frozenset(
    {"admin", "administrator", "moderator", "mod", "staff", "system", "anonymous",
     "guest", "deleted", "root", "support", "forum", "forum support", "deleted member"}
)

GUEST_NAME_MAX = 40
#: Words a guest's name may not contain, so nobody passes as staff or as verified.
IMPERSONATING_WORDS = ("moderator", "admin", "verified", "staff")


@dataclass(frozen=True)
class AuthorView:
    """What one viewer may see of a post's author."""

    name: str
    #: The member to link to, or None for guests and hidden authors.
    user: User | None = None
    is_guest: bool = False
    points: int | None = None


ANONYMOUS = AuthorView(name="Anonymous", is_guest=True)
#: The author of a deleted account's posts: no link, no points (see services.deletion).
DELETED_MEMBER = AuthorView(name="deleted member")


def display_name(post, viewer=None):
    """Return how ``viewer`` sees the author of ``post``.

    The one place that decides it: templates, feeds, emails and JSON all call this,
    never ``post.author.username``. A guest shows their chosen name with a guest
    marker, never linked; a guest without a name shows as "Anonymous".
    """
    if post.is_anonymous and post.author_id is not None:
        # Never linkable to the member: no link, no points, a number per thread.
        return AuthorView(name=f"Anonymous {post.anon_number or 1}", is_guest=False)
    if post.author_id is None:
        if post.guest_name:
            return AuthorView(name=post.guest_name, is_guest=True)
        return ANONYMOUS
    author = _loaded_author(post)
    if author.deleted_at is not None:
        return DELETED_MEMBER
    return AuthorView(name=author.username, user=author, points=author.points)


def member_name(user):
    """How a member is named where no post is involved ("edited by", revision history)."""
    if user is None:
        return ""
    return DELETED_MEMBER.name if user.deleted_at is not None else user.username


def _loaded_author(post):
    """The author, from the eager load when there was one, else by id (no lazy loads)."""
    # The instance's own dict: building inspect(post).attrs costs more than the whole lookup.
    loaded = instance_dict(post).get("author")
    if loaded is None:
        return db.session.get(User, post.author_id)
    return loaded


def guest_name_problems(name):
    """Return what is wrong with a guest's chosen display name (empty if fine)."""
    if not name:
        return []
    if len(name) > GUEST_NAME_MAX:
        return [f"Keep your name under {GUEST_NAME_MAX} characters."]
    if has_invisible_characters(name):
        return ["Remove the invisible characters from your name."]
    key = canonical(name)
    if key in RESERVED_NAMES or any(word in key for word in IMPERSONATING_WORDS):
        return ["Please choose a name that doesn't suggest a role on the site."]
    if db.session.scalar(select(User.id).where(User.username_canonical == key)) is not None:
        return ["A member uses this name; please choose another, or leave it empty."]
    return []
