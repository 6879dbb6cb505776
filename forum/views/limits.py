"""Rate limits shared by the write views: whose allowance it is, and how trust changes it.

Every route that accepts POST carries a Flask-Limiter rule (tests/test_rate_limit_coverage.py
fails otherwise). Posting routes give guests and new members (permissions.is_new_member)
smaller allowances than established members; staff and account routes share the rules below.
"""
from flask_login import current_user

from forum.extensions import limiter
from forum.permissions import is_new_member
from forum.views.forms_util import client_ip

#: Moderation and administration: far above honest use, low enough to stop a runaway
#: script or a stolen session from rewriting the site.
STAFF_WRITES = "120 per hour;600 per day"
#: A member's own settings, inbox and sessions.
ACCOUNT_WRITES = "60 per hour"


def member_key():
    """Key a limit by member (by address for guests), so members behind one NAT don't share it."""
    if current_user.is_authenticated:
        return f"member:{current_user.id}"
    return f"ip:{client_ip()}"


def by_trust(guest, new, member):
    """Return a limit provider giving guests, new members and other members their allowance."""

    def allowance():
        if not current_user.is_authenticated:
            return guest
        return new if is_new_member(current_user) else member

    return allowance


def staff_limit():
    """The limit on a moderator's or admin's action."""
    return limiter.limit(STAFF_WRITES, key_func=member_key)


def account_limit():
    """The limit on a member's change to their own account, settings or inbox."""
    return limiter.limit(ACCOUNT_WRITES, key_func=member_key)
