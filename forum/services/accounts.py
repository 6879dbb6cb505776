"""Accounts: registration, email confirmation, login, passwords and sessions."""
import gzip
import hashlib
import hmac
import re
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from forum.extensions import db
from forum.models import Level, User, utcnow
from forum.services import account_emails, audit, member_sessions, points
from forum.services.errors import Conflict, ValidationFailed
from forum.services.users import RESERVED_NAMES
from forum.text import canonical, has_control_characters

PASSWORD_MIN = 12
PASSWORD_MAX = 128
USERNAME_MIN = 3
USERNAME_MAX = 30
#: Letters and digits of any script, plus - _ and . inside the name.
_USERNAME_RE = re.compile(r"^[^\W_](?:[\w.-]*[^\W_])?$", re.UNICODE)
_COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "data" / "common-passwords.txt.gz"
#: A hash checked when the account does not exist, so both paths take as long.
_DUMMY_HASH = None


@lru_cache(maxsize=1)
def common_passwords():
    """Return the bundled set of common passwords, lower-cased."""
    with gzip.open(_COMMON_PASSWORDS, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().lower() for line in handle if line.strip())


def password_problems(password, username=None):
    """Return what is wrong with a new password (empty when it is acceptable)."""
    if not password:
        return ["Enter a password."]
    if len(password) < PASSWORD_MIN:
        return [f"Use at least {PASSWORD_MIN} characters; a few words together work well."]
    if len(password) > PASSWORD_MAX:
        return [f"Use at most {PASSWORD_MAX} characters."]
    if password.lower() in common_passwords():
        return ["This password is too common; choose something others would not guess."]
    if username and canonical(username) in canonical(password):
        return ["Your password must not contain your username."]
    return []


def username_problems(username):
    """Return what is wrong with a new username's shape (not whether it is taken)."""
    name = (username or "").strip()
    if not name:
        return ["Choose a username."]
    if len(name) < USERNAME_MIN or len(name) > USERNAME_MAX:
        return [f"Use {USERNAME_MIN} to {USERNAME_MAX} characters."]
    if has_control_characters(name) or not _USERNAME_RE.match(name):
        return ["Use letters, digits, and . - _ inside the name."]
    if canonical(name) in RESERVED_NAMES or canonical(name).startswith("deleted-member"):
        return ["This name is reserved; please choose another."]
    return []


def hash_password(password):
    """Hash a password with Werkzeug's scrypt (or the test config's faster method)."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


def verify_password(stored, password):
    """Check ``password`` against a stored hash: the forum's own, or one kept by an import.

    Imported Question2Answer members keep their bcrypt hash ("$2y$...", 1.5 and later)
    or their salted SHA-1 ("q2a-sha1$<salt hex>$<check hex>", before 1.5) until they
    log in (``authenticate`` then rehashes). Bcrypt reads at most 72 bytes, as PHP does.
    """
    password = password or ""
    if not stored:
        return False
    if stored.startswith("$2"):
        import bcrypt

        try:
            return bcrypt.checkpw(password.encode("utf-8")[:72], stored.encode("ascii"))
        except ValueError:
            return False
    if stored.startswith("q2a-sha1$"):
        _, salt, check = stored.split("$", 2)
        salt = bytes.fromhex(salt)
        digest = hashlib.sha1(salt[:8] + password.encode("utf-8") + salt[8:]).hexdigest()
        return hmac.compare_digest(digest, check)
    return check_password_hash(stored, password)


def is_imported_hash(stored):
    """Tell whether a stored hash is an imported one, to be replaced at the next login."""
    return bool(stored) and stored.startswith(("$2", "q2a-sha1$"))


def username_taken(username):
    """Tell whether a member already has this name in canonical form."""
    key = canonical(username)
    return db.session.scalar(select(User.id).where(User.username_canonical == key)) is not None


def get_user_by_name(username):
    """Return the member with this name (compared canonically), or None."""
    key = canonical(username)
    return db.session.scalar(select(User).where(User.username_canonical == key))


def get_user_by_email(address):
    """Return the member using this address (compared canonically), or None."""
    if not address:
        return None
    return db.session.scalar(select(User).where(User.email_canonical == canonical(address)))


def register_user(username, email, password, consent, level=Level.BASIC, verified=False):
    """Create a member account and ask them to confirm their address.

    When the address already has an account, no account is made: its owner is told
    by email instead and None is returned. Callers must then answer exactly as for a
    new account, since "this address is taken" could out someone on this forum.
    ``verified`` (the command line) skips the confirmation.

    :raise ValidationFailed: with field errors, when a rule is broken or the name is taken.
    """
    username = (username or "").strip()
    email = (email or "").strip()
    errors = {}
    if problems := username_problems(username):
        errors["username"] = problems
    elif username_taken(username):
        errors["username"] = ["This username is taken; please choose another."]
    if problems := password_problems(password, username):
        errors["password"] = problems
    if not consent:
        errors["consent"] = ["Please agree, or the forum cannot store what you share."]
    if not email:
        errors["email"] = ["Enter your email address."]
    if errors:
        raise ValidationFailed(errors=errors)
    # Hash first on both paths, so a taken address answers as slowly as a new one.
    password_hash = hash_password(password)
    owner = get_user_by_email(email)
    if owner is not None:
        account_emails.queue_address_taken(owner, attempt="register")
        return None
    user = User(
        username=username,
        username_canonical=canonical(username),
        email=email,
        email_canonical=canonical(email),
        password_hash=password_hash,
        level=int(level),
        points=points.starting_points(),
        consented_at=utcnow(),
        email_verified_at=utcnow() if verified else None,
    )
    db.session.add(user)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # Someone registered the same name or address between our check and insert.
        if username_taken(username):
            raise ValidationFailed(
                errors={"username": ["This username is taken; please choose another."]}
            ) from None
        owner = get_user_by_email(email)
        if owner is None:
            raise
        account_emails.queue_address_taken(owner, attempt="register")
        return None
    if not verified:
        account_emails.queue_verification(user)
    return user


def needs_verification(user):
    """Tell whether the member must confirm their address before logging in."""
    return user.email is not None and user.email_verified_at is None


def resend_verification(address):
    """Send a new confirmation link if an unconfirmed account uses ``address``; else nothing."""
    user = get_user_by_email(address)
    if user is not None and needs_verification(user):
        account_emails.queue_verification(user)


def verification_outcome(payload):
    """What a verification link would do now: "verify", "change" or "already" (no writes).

    :raise UsedLink: the account is gone or its address changed since the link was sent.
    """
    user = db.session.get(User, payload["u"])
    if user is None or user.email_canonical != payload["c"]:
        raise account_emails.UsedLink()
    if canonical(payload["e"]) != user.email_canonical:
        return user, "change"
    return user, ("already" if user.email_verified_at is not None else "verify")


def confirm_email(payload):
    """Apply a verification link: confirm the address, or switch the account to a new one.

    Returns ``(user, outcome)``, outcome being "verified", "changed" or "already".

    :raise UsedLink: the account is gone or its address changed since the link was sent.
    :raise Conflict: the new address belongs to another account by now.
    """
    user, outcome = verification_outcome(payload)
    if outcome == "already":
        return user, outcome
    if outcome == "verify":
        user.email_verified_at = utcnow()
        db.session.flush()
        return user, "verified"
    address, old_address = payload["e"], user.email
    taken = Conflict("Another account uses this address now, so yours was not changed.")
    if get_user_by_email(address) is not None:
        raise taken
    user.email, user.email_canonical, user.email_verified_at = address, canonical(address), utcnow()
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise taken from None
    if old_address:
        account_emails.queue_address_changed(user, old_address)
    return user, "changed"


def request_email_change(user, current_password, new_address):
    """Send a confirmation link to ``new_address``; the address changes when it is opened.

    If another account uses the address, its owner is told instead (the member is not,
    as that would reveal whose address it is).

    :raise ValidationFailed: wrong current password, or the address is already theirs.
    """
    new_address = (new_address or "").strip()
    errors = {}
    if not user.password_hash or not verify_password(user.password_hash, current_password):
        errors["current_password"] = ["That is not your current password."]
    if not new_address:
        errors["email"] = ["Enter the new address."]
    elif canonical(new_address) == user.email_canonical:
        errors["email"] = ["This is already your address."]
    if errors:
        raise ValidationFailed(errors=errors)
    owner = get_user_by_email(new_address)
    if owner is not None:
        account_emails.queue_address_taken(owner, attempt="change")
    else:
        account_emails.queue_verification(user, new_address)


def request_password_reset(address):
    """Email a reset link if an account uses ``address``; otherwise send nothing."""
    user = get_user_by_email(address)
    if user is not None:
        account_emails.queue_password_reset(user)


def get_reset_user(payload):
    """Return the member a reset link is for.

    :raise UsedLink: the link was used, or the password or sessions changed since.
    """
    user = db.session.get(User, payload["u"])
    if user is None or not user.email:
        raise account_emails.UsedLink()
    if not hmac.compare_digest(account_emails.password_fingerprint(user), payload["f"]):
        raise account_emails.UsedLink()
    return user


def reset_password(payload, new_password):
    """Set a new password from a reset link, confirm the address, and end every session.

    The link works once: the update only applies if the password and session epoch
    are still those the link was made for, which it then changes.

    :raise UsedLink: the link was used already (also by a request racing this one).
    :raise ValidationFailed: the new password is weak.
    """
    user = get_reset_user(payload)
    if problems := password_problems(new_password, user.username):
        raise ValidationFailed(errors={"new_password": problems})
    old_hash = User.password_hash.is_(None) if user.password_hash is None else (
        User.password_hash == user.password_hash)
    won = db.session.execute(
        update(User).where(User.id == user.id, old_hash, User.session_epoch == user.session_epoch)
        .values(password_hash=hash_password(new_password), session_epoch=User.session_epoch + 1,
                email_verified_at=func.coalesce(User.email_verified_at, utcnow()))
    ).rowcount
    if won != 1:
        raise account_emails.UsedLink()
    db.session.refresh(user)
    return user


def check_dummy_password(password):
    """Spend the time of one password check on no account (for answers that must not differ)."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("not a real password, just for timing")
    check_password_hash(_DUMMY_HASH, password or "")


def authenticate(username, password):
    """Return the member for these credentials, or None.

    Takes about as long whether or not the account exists.
    """
    user = get_user_by_name(username or "") if username else None
    if user is None or not user.password_hash:
        check_dummy_password(password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if is_imported_hash(user.password_hash):
        user.password_hash = hash_password(password)  # the import's hash, replaced at first login
        db.session.flush()
    if user.deleted_at is not None:
        from forum.services import deletion

        # Within the grace period the right password restores the account (record_login).
        if not deletion.in_grace(user):
            return None
    return user


def record_login(user):
    """Note the time of a successful login; restore a deleted account (in its grace period).

    Returns True when the login restored a deleted account.
    """
    user.last_login_at = utcnow()
    restored = False
    if user.deleted_at is not None:
        from forum.services import deletion

        deletion.restore_account(user)
        restored = True
    db.session.flush()
    return restored


def change_password(user, current_password, new_password):
    """Set a new password after checking the current one; end other sessions.

    :raise ValidationFailed: when the current password is wrong or the new one is weak.
    """
    errors = {}
    if not user.password_hash or not verify_password(user.password_hash, current_password):
        errors["current_password"] = ["That is not your current password."]
    if problems := password_problems(new_password, user.username):
        errors["new_password"] = problems
    if errors:
        raise ValidationFailed(errors=errors)
    user.password_hash = hash_password(new_password)
    end_all_sessions(user)


def end_all_sessions(user):
    """Invalidate every session and remember cookie of this member."""
    db.session.execute(
        update(User).where(User.id == user.id).values(session_epoch=User.session_epoch + 1)
    )
    member_sessions.end_all(user)
    db.session.refresh(user, ["session_epoch"])


def load_session_user(session_id, question_id=None):
    """Return the member for a Flask-Login id ("<id>.<epoch>.<key>"), or None if stale (with
    their part in the thread of ``question_id``: ``member_sessions.load_user``)."""
    return member_sessions.load_user(session_id, question_id)


def set_level(user, level, actor=None):
    """Give a member a level (audited with the actor, None for the command line)."""
    old = user.level
    user.level = int(Level(level))
    audit.record(actor, "set-level", user=user, old=Level(old).name.lower(), new=Level(level).name.lower())
    db.session.flush()
