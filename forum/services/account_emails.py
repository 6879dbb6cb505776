"""Account emails: signed, expiring links (verify an address, reset a password) and their mail.

Tokens are signed with SECRET_KEY but not encrypted: they hold ids and the address
being verified, never a secret. Account emails go through the outbox like every
email, with category "account" (no List-Unsubscribe: they are not optional).
"""
import hashlib
import hmac
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import OutboxMessage, utcnow
from forum.services import mail, settings
from forum.text import canonical
from forum.urls import external_url

VERIFY_SALT = "forum-verify-email"
RESET_SALT = "forum-reset-password"
VERIFY_MAX_AGE = timedelta(days=3)
RESET_MAX_AGE = timedelta(hours=2)
#: Account emails to one address per hour, at most (resends, warnings, resets together).
PER_ADDRESS_PER_HOUR = 5


class BadLink(Exception):
    """The link was tampered with or copied incompletely."""


class ExpiredLink(Exception):
    """The link was genuine but is too old."""


class UsedLink(Exception):
    """The link was genuine but has done its work (or the account changed since)."""


def _serializer(salt):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def _read(salt, token, max_age):
    try:
        payload = _serializer(salt).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired:
        raise ExpiredLink() from None
    except BadSignature:
        raise BadLink() from None
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise BadLink()
    return payload


# --- Tokens ---------------------------------------------------------------------------

def verification_token(user, address):
    """Sign "``user`` may use ``address``"; it dies once the account's address changes."""
    return _serializer(VERIFY_SALT).dumps({"u": user.id, "e": address, "c": user.email_canonical})


def read_verification_token(token):
    """Return ``{"u": user id, "e": address, "c": address when sent}``.

    :raise BadLink: tampered. :raise ExpiredLink: older than VERIFY_MAX_AGE.
    """
    payload = _read(VERIFY_SALT, token, VERIFY_MAX_AGE)
    if not isinstance(payload.get("e"), str):
        raise BadLink()
    return payload


def password_fingerprint(user):
    """A keyed digest of the password hash and session epoch: a reset changes both."""
    key = current_app.config["SECRET_KEY"].encode()
    material = f"{user.password_hash or ''}|{user.session_epoch}".encode()
    return hmac.new(key, material, hashlib.sha256).hexdigest()[:24]


def reset_token(user):
    return _serializer(RESET_SALT).dumps({"u": user.id, "f": password_fingerprint(user)})


def read_reset_token(token):
    """Return ``{"u": user id, "f": fingerprint}``.

    :raise BadLink: tampered. :raise ExpiredLink: older than RESET_MAX_AGE.
    """
    payload = _read(RESET_SALT, token, RESET_MAX_AGE)
    if not isinstance(payload.get("f"), str):
        raise BadLink()
    return payload


# --- The emails -------------------------------------------------------------------------

def mask(address):
    """n***@example.org: enough to recognise one's own address, not to harvest it."""
    local, _, domain = (address or "").partition("@")
    return f"{local[:1]}***@{domain}"


def _site():
    return settings.get("site_name")


def _days(delta):
    return f"{delta.days} days" if delta.days else f"{int(delta.total_seconds() // 3600)} hours"


def recently_mailed(address, now=None):
    """Tell whether ``address`` already got PER_ADDRESS_PER_HOUR account emails this hour."""
    since = (now or utcnow()) - timedelta(hours=1)
    count = db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.category == "account",
        func.lower(OutboxMessage.to_address) == (address or "").lower(),
        OutboxMessage.created_at >= since,
    ))
    return count >= PER_ADDRESS_PER_HOUR


def _queue(address, subject, lines, throttle=True):
    """Queue one account email unless the address had enough this hour; return it or None."""
    if throttle and recently_mailed(address):
        return None
    return mail.queue_email(address, subject, "\n".join(lines), category="account")


def queue_verification(user, address=None):
    """Ask the owner of ``address`` (default: the account's own) to confirm it."""
    address = address or user.email
    link = external_url("auth.verify_email_form", token=verification_token(user, address))
    if canonical(address) == user.email_canonical:
        subject = "Confirm your email address"
        intro = [f"Hello {user.username},", "",
                 f"Please confirm that this is your email address, to start using your "
                 f"account on {_site()}:"]
        outro = [f"If you didn't create an account on {_site()}, ignore this email: the "
                 "account can't be used until the address is confirmed."]
    else:
        subject = "Confirm your new email address"
        intro = [f"Hello {user.username},", "",
                 f"You asked to use this address for your account on {_site()}. "
                 "Confirm it here; until then your account keeps its current address:"]
        outro = ["If you didn't ask for this, ignore this email and nothing changes."]
    return _queue(address, subject, intro + ["", link, "",
                                             f"The link works for {_days(VERIFY_MAX_AGE)}."] + [""] + outro)


def queue_address_taken(owner, attempt="register"):
    """Tell an address's owner that someone tried to use it for another account."""
    what = ("create a new account" if attempt == "register"
            else "move another account to this address")
    lines = [f"Hello {owner.username},", "",
             f"Someone, perhaps you, tried to {what} on {_site()} with this email address. "
             "It already belongs to your account, so nothing was created or changed.", ""]
    if owner.email_verified_at is None:
        link = external_url("auth.verify_email_form", token=verification_token(owner, owner.email))
        lines += ["Your account is waiting for you to confirm this address. Confirm it here "
                  f"(the link works for {_days(VERIFY_MAX_AGE)}):", "", link, ""]
    else:
        lines += [f"If it was you: your username is {owner.username}. Log in here:", "",
                  external_url("auth.login_form"), "",
                  "Forgotten your password? Choose a new one here:", "",
                  external_url("auth.forgot_password_form"), ""]
    lines += ["If it wasn't you, you can ignore this email: your account is unchanged."]
    return _queue(owner.email, "Someone tried to use your email address", lines)


def queue_password_reset(user):
    link = external_url("auth.reset_password_form", token=reset_token(user))
    lines = [f"Hello {user.username},", "",
             f"Someone, hopefully you, asked to reset the password of your account on {_site()}. "
             "Choose a new password here:", "", link, "",
             f"The link works once, for {_days(RESET_MAX_AGE)}. Choosing a new password logs "
             "you out everywhere.", "",
             "If you didn't ask for this, ignore this email: your password stays as it is."]
    return _queue(user.email, "Reset your password", lines)


def queue_address_changed(user, old_address):
    """Tell the old address that the account now uses another one."""
    lines = [f"Hello {user.username},", "",
             f"The email address of your account on {_site()} was changed to {mask(user.email)}. "
             "Emails about your account now go there.", "",
             "If you didn't do this, someone else may be using your account: please tell the "
             "site's administrators at once."]
    # A security notice is never held back by the hourly limit.
    return _queue(old_address, "Your email address was changed", lines, throttle=False)
