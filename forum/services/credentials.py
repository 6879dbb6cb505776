"""Verified professionals: applications, the moderators' decisions, and badges by author."""
import unicodedata
from datetime import date, timedelta
from urllib.parse import urlsplit

from flask import g, has_app_context
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from forum.extensions import db
from forum.models import CREDENTIAL_KINDS, Credential, User, utcnow
from forum.services import audit, notifications
from forum.services.errors import Conflict, PermissionDenied, ValidationFailed
from forum.text import has_invisible_characters

#: Registrations run for a year or a few; a date further out than this is a typo.
MAX_YEARS_AHEAD = 10
#: Characters a jurisdiction may hold besides letters: "Ontario, Canada", "St. Helena".
_JURISDICTION_EXTRA = frozenset(" .,'()-/&")
REGISTER_URL_MAX = 500


def today():
    """Return today's date in UTC: the day credentials are judged current against."""
    return utcnow().date()


# --- Applying ------------------------------------------------------------------------

def _one_line(value, field, label, errors, minimum, maximum):
    value = " ".join((value or "").split())
    if not value:
        errors[field] = [f"Enter the {label}."]
    elif has_invisible_characters(value):
        errors[field] = ["Remove the invisible characters from this text."]
    elif len(value) < minimum:
        errors[field] = [f"The {label} needs at least {minimum} characters."]
    elif len(value) > maximum:
        errors[field] = [f"Keep the {label} under {maximum + 1} characters."]
    return value


def _jurisdiction(value, errors):
    value = _one_line(value, "jurisdiction", "country or region", errors, 2, 40)
    if "jurisdiction" not in errors and not all(
        unicodedata.category(ch).startswith("L") or ch in _JURISDICTION_EXTRA for ch in value
    ):
        errors["jurisdiction"] = ["Use letters only, e.g. “UK” or “Ontario, Canada”."]
    return value


def _register_url(value, errors):
    value = (value or "").strip()
    if not value:
        return None
    problem = None
    if len(value) > REGISTER_URL_MAX:
        problem = f"Keep the link under {REGISTER_URL_MAX + 1} characters."
    elif any(ch.isspace() for ch in value) or has_invisible_characters(value):
        problem = "A link has no spaces or invisible characters."
    else:
        try:
            parts = urlsplit(value)
            host = parts.hostname
        except ValueError:
            parts, host = None, None
        if parts is None or parts.scheme.lower() not in ("http", "https") or not host:
            problem = "Give a web address starting with https:// or http://."
        elif parts.username or parts.password:
            problem = "Give the register's address without a user name or password in it."
    if problem:
        errors["register_url"] = [problem]
    return value


def apply(member, kind, registration_number, issuing_body, jurisdiction, register_url=None):
    """Record ``member``'s application; return it. One may be pending at a time.

    :raise ValidationFailed: with field errors, or when an application is already waiting.
    """
    errors = {}
    if kind not in CREDENTIAL_KINDS:
        errors["kind"] = ["Choose your profession from the list."]
    number = _one_line(registration_number, "registration_number", "registration number", errors, 1, 40)
    body = _one_line(issuing_body, "issuing_body", "issuing body", errors, 2, 120)
    place = _jurisdiction(jurisdiction, errors)
    url = _register_url(register_url, errors)
    if errors:
        raise ValidationFailed("Please check the highlighted fields.", errors=errors)
    if pending_of(member) is not None:
        raise ValidationFailed(_ALREADY_WAITING)
    credential = Credential(user_id=member.id, kind=kind, registration_number=number, issuing_body=body,
                            jurisdiction=place, register_url=url, state="pending")
    try:
        with db.session.begin_nested():
            db.session.add(credential)
            db.session.flush()
    except IntegrityError:  # another request of the same member got there first
        raise ValidationFailed(_ALREADY_WAITING) from None
    return credential


_ALREADY_WAITING = ("You already have an application waiting for the moderators. Withdraw it first "
                    "if you want to change it.")


def withdraw(member, credential):
    """Withdraw the member's own pending application.

    :raise Conflict: when it is no longer waiting.
    """
    if credential.user_id != member.id or credential.state != "pending":
        raise Conflict("That application is no longer waiting, so it can't be withdrawn.")
    _move(credential, "withdrawn")
    db.session.flush()


# --- The moderators' decisions ---------------------------------------------------------

def _reason(reason):
    reason = " ".join((reason or "").split())[:300]
    if not reason:
        raise ValidationFailed("Give a reason.", errors={"reason": ["Give a reason; the member will see it."]})
    return reason


def _check_reviewer(moderator, credential):
    if moderator is None or moderator.id == credential.user_id:
        raise PermissionDenied("Another moderator must decide on your own credential.")


def _move(credential, state, expected="pending"):
    if credential.state != expected:
        raise Conflict(f"That credential is {credential.state} now; someone may have decided just before you.")
    credential.state = state
    credential.updated_at = utcnow()
    forget_cached()


def parse_expiry(value, on=None):
    """Return the expiry date typed as YYYY-MM-DD, or raise with a field message.

    :raise ValidationFailed: for a missing, malformed, past or too distant date.
    """
    on = on or today()
    if isinstance(value, date):
        expires = value
    else:
        try:
            expires = date.fromisoformat((value or "").strip()) if len((value or "").strip()) == 10 else None
        except ValueError:
            expires = None
    if expires is None:
        message = "Enter the date the registration expires, like 2027-06-30."
    elif expires <= on:
        message = "The expiry date must be after today; an expired registration can't be verified."
    elif expires > on + timedelta(days=366 * MAX_YEARS_AHEAD):
        message = f"That is more than {MAX_YEARS_AHEAD} years away; check the date on the register."
    else:
        return expires
    raise ValidationFailed(message, errors={"expires_on": [message]})


def verify(moderator, credential, expires_on):
    """Mark the credential checked against the register: verified today, until ``expires_on``.

    :raise ValidationFailed: for a bad expiry date. :raise Conflict: when it is not pending.
    """
    _check_reviewer(moderator, credential)
    on = today()
    expires = parse_expiry(expires_on, on)
    _move(credential, "verified")
    credential.verified_on, credential.expires_on = on, expires
    credential.reviewer_id, credential.reason = moderator.id, None
    member = db.session.get(User, credential.user_id)
    audit.record(moderator, "verify-credential", user=member, credential=credential.id,
                 kind=credential.kind, jurisdiction=credential.jurisdiction, expires_on=expires.isoformat())
    notifications.notify_member(member, "credential", None,
                                f"Your credential was verified: “{credential.badge_text}” now shows with your "
                                f"name until {expires.isoformat()}.")
    db.session.flush()


def reject(moderator, credential, reason):
    """Turn down a pending application with a reason the member sees.

    :raise ValidationFailed: without a reason. :raise Conflict: when it is not pending.
    """
    _check_reviewer(moderator, credential)
    reason = _reason(reason)
    _move(credential, "rejected")
    credential.reviewer_id, credential.reason = moderator.id, reason
    member = db.session.get(User, credential.user_id)
    audit.record(moderator, "reject-credential", user=member, reason=reason, credential=credential.id,
                 kind=credential.kind)
    notifications.notify_member(member, "credential", None,
                                "Your application as a verified professional was not accepted. "
                                "Your account page says why.")
    db.session.flush()


def revoke(moderator, credential, reason):
    """Withdraw a verified credential's badge at once, with a reason the member sees.

    :raise ValidationFailed: without a reason. :raise Conflict: when it is not verified.
    """
    _check_reviewer(moderator, credential)
    reason = _reason(reason)
    _move(credential, "revoked", expected="verified")
    credential.revoked_by_id, credential.reason = moderator.id, reason
    member = db.session.get(User, credential.user_id)
    audit.record(moderator, "revoke-credential", user=member, reason=reason, credential=credential.id,
                 kind=credential.kind)
    notifications.notify_member(member, "credential", None,
                                "Your verified-professional badge was removed by the moderators. "
                                "Your account page says why.")
    db.session.flush()


# --- Reading ---------------------------------------------------------------------------

def get_credential(credential_id):
    """Return the credential with its member and reviewers, or None."""
    return db.session.scalar(
        select(Credential).where(Credential.id == credential_id)
        .options(joinedload(Credential.user), joinedload(Credential.reviewer), joinedload(Credential.revoked_by))
    )


def pending_of(member):
    return db.session.scalar(select(Credential).where(Credential.user_id == member.id,
                                                      Credential.state == "pending"))


def applications_of(member):
    """Return the member's applications, newest first."""
    return list(db.session.scalars(
        select(Credential).where(Credential.user_id == member.id)
        .order_by(Credential.created_at.desc(), Credential.id.desc())
    ))


def pending_applications(limit=200):
    """Return waiting applications, oldest first, with their members."""
    return list(db.session.scalars(
        select(Credential).where(Credential.state == "pending").options(joinedload(Credential.user))
        .order_by(Credential.created_at, Credential.id).limit(limit)
    ))


def verified_credentials(page=1, per_page=50):
    """Return one page of verified credentials (current and lapsed), newest first; and whether more follow."""
    rows = list(db.session.scalars(
        select(Credential).where(Credential.state == "verified")
        .options(joinedload(Credential.user), joinedload(Credential.reviewer))
        .order_by(Credential.verified_on.desc(), Credential.id.desc())
        .limit(per_page + 1).offset((page - 1) * per_page)
    ))
    return rows[:per_page], len(rows) > per_page


def state_of(credential, on=None):
    """Return what to call the credential's state: "expired" for a verified one past its date."""
    if credential.state == "verified" and not credential.is_current(on or today()):
        return "expired"
    return credential.state


# --- Badges: one query per page ------------------------------------------------------------

_CACHE = "forum_credential_badges"


def _cache():
    if not has_app_context():
        return {}
    if _CACHE not in g:
        setattr(g, _CACHE, {})
    return getattr(g, _CACHE)


def forget_cached():
    if has_app_context():
        g.pop(_CACHE, None)


def preload_badges(user_ids):
    """Load, in one query, the current credential of each of these members.

    Later ``badge_of`` calls for them cost nothing, however many posts they wrote.
    """
    cache = _cache()
    wanted = {i for i in user_ids if i is not None} - cache.keys()
    if not wanted:
        return cache
    on = today()
    for user_id in wanted:
        cache[user_id] = None
    rows = db.session.scalars(
        select(Credential).where(Credential.user_id.in_(sorted(wanted)), Credential.state == "verified",
                                 Credential.expires_on >= on)
        .order_by(Credential.verified_on, Credential.id)
    )
    for credential in rows:  # the most recently verified one wins
        cache[credential.user_id] = credential
    return cache


def preload_for_posts(posts):
    """Load in one query the badges of these posts' named authors (anonymous posts show none)."""
    return preload_badges({post.author_id for post in posts if post.author_id and not post.is_anonymous})


def badge_of(user):
    """Return the member's current credential (for the badge), or None.

    A page that did not preload its authors pays one query for every member already
    loaded in this session, not one per author line.
    """
    if user is None or getattr(user, "id", None) is None:
        return None
    cache = _cache()
    if user.id not in cache:
        loaded = {key[1][0] for key in db.session.identity_map.keys() if key[0] is User}
        cache = preload_badges(loaded | {user.id})
    return cache.get(user.id)


def author_badge(author_view):
    """Return the current credential to show beside an author line, or None.

    Only for an author shown as a linked member: never for anonymous posts or guests,
    whom ``users.display_name`` shows without a member.
    """
    return badge_of(author_view.user) if author_view is not None else None
