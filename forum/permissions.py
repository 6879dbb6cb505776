"""One place that answers "may this user do X to this thing?".

Views call these through ``require(...)``; templates call the same functions as
Jinja globals; services call them where a rule must hold for the CLI too.
"""
from flask import abort

from forum.models import Level, utcnow
from forum.services import settings

__all__ = ["Level", "require"]


def level_of(user):
    """Return a user's level; guests rank below every member."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.level_enum


def is_member(user):
    return level_of(user) is not None


def at_least(user, level):
    current = level_of(user)
    return current is not None and current >= level


# --- Privileges earned by level or points -------------------------------------

PRIVILEGES = settings.PRIVILEGES


def privilege_threshold(action):
    """Return (level, points) for an action, as the admin has set them."""
    def compute():
        level = Level(settings.get(f"privilege_{action}_level"))
        points_needed = settings.get(f"privilege_{action}_points")
        return level, (points_needed if points_needed >= 0 else None)

    return settings.derived(f"privilege:{action}", compute)


def has_privilege(user, action):
    """Tell whether a member has earned ``action`` by level or by points."""
    if not is_member(user) or is_blocked(user):
        return False
    level, points_needed = privilege_threshold(action)
    if level_of(user) >= level:
        return True
    return points_needed is not None and user.points >= points_needed


def is_blocked(user):
    """Blocked members may read but write nothing."""
    from forum.services.sanctions import is_blocked as blocked

    return is_member(user) and blocked(user)


def can_write(user):
    """Members who are not blocked may write; guests when the site allows them."""
    if is_member(user):
        return not is_blocked(user)
    return guests_may_post()


def can_preview_post(user):
    """Whoever may write a post may preview one."""
    return can_write(user)


def require(allowed, status=403):
    """Abort with ``status`` (403 by default) unless ``allowed`` is true."""
    if not allowed:
        abort(status)


# --- Administration -----------------------------------------------------------

def can_access_admin(user):
    return at_least(user, Level.ADMIN)


def can_change_settings(user):
    return at_least(user, Level.ADMIN)


def can_set_level(actor, target, level):
    """Admins set levels below their own on members below them; super admins any."""
    if not at_least(actor, Level.ADMIN) or target is None or actor.id == target.id:
        return False
    if level_of(actor) == Level.SUPER:
        return True
    return target.level_enum < actor.level_enum and Level(level) < actor.level_enum


# --- Posting ------------------------------------------------------------------

def guests_may_post():
    return bool(settings.get("guests_may_post"))


def is_new_member(user):
    """Tell whether a member is still new: level basic and few points or a young account.

    New members (and guests) get stricter posting rules: fewer links per post and
    smaller rate-limit allowances. The thresholds are admin settings.
    """
    if not is_member(user) or level_of(user) > Level.BASIC:
        return False
    if user.points < settings.get("new_member_points"):
        return True
    created = user.created_at
    return created is None or (utcnow() - created).days < settings.get("new_member_days")


def can_ask_question(user):
    return can_write(user)


def can_answer_question(user, question):
    if not can_view_post(user, question) or question.closed_at is not None:
        return False
    if question.status != "visible":
        return False
    return can_write(user)


def can_comment_on(user, post):
    if not can_view_post(user, post) or post.status != "visible" or post.type == "comment":
        return False
    if is_member(user):
        return has_privilege(user, "comment") or (user.id == post.author_id and not is_blocked(user))
    return guests_may_post()


# --- Votes and best answers ------------------------------------------------------

def comment_votes_enabled():
    return bool(settings.get("comment_votes"))


def can_vote_on(user, post, value=1):
    """Members vote on others' visible posts, if they have the privilege for it."""
    if not is_member(user) or post is None or post.status != "visible":
        return False
    if post.author_id is not None and post.author_id == user.id:
        return False
    if post.type == "comment" and (value < 0 or not comment_votes_enabled()):
        return False
    if value < 0:
        return has_privilege(user, "vote_down")
    return has_privilege(user, "vote_up")


def can_vote(user, post):
    """Whether to show vote controls at all (up votes, the lowest privilege)."""
    return can_vote_on(user, post, 1)


def can_select_answer(user, question):
    """The asker, and moderators, choose the best answer."""
    if not is_member(user) or question is None or question.status != "visible" or is_blocked(user):
        return False
    return question.author_id == user.id or at_least(user, Level.MODERATOR)


def can_view_post(user, post):
    """Visible posts to all; queued and hidden ones to their author; all to moderators.

    A guest's own posts are known from their session, so a guest whose post awaits
    approval sees it too.
    """
    if post is None:
        return False
    if post.status == "visible":
        return True
    if at_least(user, Level.MODERATOR):
        return True
    if post.status in ("queued", "hidden"):
        if is_member(user):
            return post.author_id == user.id
        return post.author_id is None and post.id in session_posts()
    return False


def session_posts():
    """Ids of the posts this browser's guest wrote in this session."""
    from flask import has_request_context, session

    if not has_request_context():
        return ()
    return session.get("own_posts", ())


# --- Curation -------------------------------------------------------------------

def _author_level(post):
    """The level of a post's author (-1 for guests); uses the already loaded author."""
    if post.author_id is None:
        return -1
    from forum.extensions import db
    from forum.models import User

    author = db.session.get(User, post.author_id)
    return author.level if author is not None else -1


def outranks_author(user, post):
    """Nobody acts on the posts of someone with a higher level than their own."""
    return is_member(user) and _author_level(post) <= user.level


def is_owner(user, post):
    return is_member(user) and post is not None and post.author_id is not None and post.author_id == user.id


def can_edit_post(user, post):
    """Authors edit their own posts; editors (by level or points) edit others'."""
    if not is_member(user) or is_blocked(user) or post is None or post.status == "deleted":
        return False
    if is_owner(user, post):
        return True
    return can_view_post(user, post) and has_privilege(user, "edit_others") and outranks_author(user, post)


def can_retag_question(user, question):
    if not is_member(user) or is_blocked(user) or question is None or question.type != "question":
        return False
    if is_owner(user, question):
        return question.status != "deleted"
    return (question.status == "visible" and has_privilege(user, "retag")
            and outranks_author(user, question))


def can_view_history(user, post):
    return can_view_post(user, post)


def can_moderate_post(user, post):
    """Moderator-only curation: rollback, silent edits, redaction, delete, merge."""
    return at_least(user, Level.MODERATOR) and post is not None and outranks_author(user, post)


def can_reveal_author(user, post):
    """Moderators may learn who wrote an anonymous post, giving a reason (audited)."""
    return at_least(user, Level.MODERATOR) and post is not None and post.is_anonymous


def can_view_redacted(user):
    return at_least(user, Level.MODERATOR)


def can_hide_post(user, post):
    return (post is not None and has_privilege(user, "hide") and outranks_author(user, post)
            and post.status in ("visible", "hidden"))


def can_close_question(user, question):
    return (question is not None and question.type == "question" and question.status == "visible"
            and has_privilege(user, "close") and outranks_author(user, question))


# --- Moderation queues and sanctions -----------------------------------------------

def can_flag_post(user, post):
    return (post is not None and post.status == "visible" and has_privilege(user, "flag")
            and post.author_id != user.id)


def can_report_risk(user, post):
    """Anyone, guests too, may tell the moderators they are worried about an author."""
    return post is not None and post.status == "visible" and not (is_member(user) and post.author_id == user.id)


def can_see_queues(user):
    return has_privilege(user, "see_queues")


def can_sanction_member(user, target):
    """Moderators block members below their own level, never themselves."""
    return (at_least(user, Level.MODERATOR) and target is not None and target.id != user.id
            and target.level < user.level)


def can_block_post_address(user, post):
    return can_moderate_post(user, post) and post.author_id != user.id


def can_manage_address_blocks(user):
    """Addresses are shown to admins only."""
    return at_least(user, Level.ADMIN)


def can_manage_phrases(user):
    return at_least(user, Level.ADMIN)


def can_view_audit_log(user):
    return at_least(user, Level.MODERATOR)


def can_manage_categories(user):
    return at_least(user, Level.ADMIN)


# --- Verified professionals ----------------------------------------------------------

def can_apply_for_credential(user):
    return is_member(user) and not is_blocked(user)


def can_withdraw_credential(user, credential):
    """Only the member who applied may withdraw their application."""
    return is_member(user) and credential is not None and credential.user_id == user.id


def can_review_credentials(user):
    return at_least(user, Level.MODERATOR)


def can_decide_credential(user, credential):
    """Moderators verify, reject and revoke others' credentials, never their own."""
    return can_review_credentials(user) and credential is not None and credential.user_id != user.id


# --- One's own data and account -------------------------------------------------------

def can_export_own_data(user):
    """Every member, blocked ones too, may download what the forum holds about them."""
    return is_member(user) and user.deleted_at is None


def can_delete_own_account(user):
    """Members with a password delete their own account (the password is asked again)."""
    return is_member(user) and user.deleted_at is None and bool(user.password_hash)


def can_end_session(user, member_session):
    """A member ends their own sessions (any of them, this one included), nobody else's."""
    return is_member(user) and member_session is not None and member_session.user_id == user.id


JINJA_GLOBALS = {
    name: value
    for name, value in dict(globals()).items()
    if name.startswith("can_") and callable(value)
}
JINJA_GLOBALS["is_blocked"] = is_blocked
