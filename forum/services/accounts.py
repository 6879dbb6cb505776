"""Accounts: registration, login, passwords and sessions."""
import gzip
import re
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from forum.extensions import db
from forum.models import Level, User, utcnow
from forum.services import audit, points
from forum.services.errors import ValidationFailed
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
    if canonical(name) in RESERVED_NAMES:
        return ["This name is reserved; please choose another."]
    return []


def hash_password(password):
    """Hash a password with Werkzeug's scrypt (or the test config's faster method)."""
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    return generate_password_hash(password, method=method)


def username_taken(username):
    """Tell whether a member already has this name in canonical form."""
    key = canonical(username)
    return db.session.scalar(select(User.id).where(User.username_canonical == key)) is not None


def get_user_by_name(username):
    """Return the member with this name (compared canonically), or None."""
    key = canonical(username)
    return db.session.scalar(select(User).where(User.username_canonical == key))


def register_user(username, email, password, consent, level=Level.BASIC):
    """Create a member account.

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
    email_key = canonical(email) if email else None
    # An address that already has an account is not reported here: on this forum,
    # "email taken" could out someone. The notifications feature answers it by mail.
    if email_key and db.session.scalar(
        select(User.id).where(User.email_canonical == email_key)
    ):
        email, email_key = None, None
    if errors:
        raise ValidationFailed(errors=errors)
    user = User(
        username=username,
        username_canonical=canonical(username),
        email=email or None,
        email_canonical=email_key,
        password_hash=hash_password(password),
        level=int(level),
        points=points.starting_points(),
        consented_at=utcnow(),
    )
    db.session.add(user)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # Someone registered the same canonical name between our check and insert.
        raise ValidationFailed(
            errors={"username": ["This username is taken; please choose another."]}
        ) from None
    return user


def authenticate(username, password):
    """Return the member for these credentials, or None.

    Takes about as long whether or not the account exists.
    """
    global _DUMMY_HASH
    user = get_user_by_name(username or "") if username else None
    if user is None or not user.password_hash:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password("not a real password, just for timing")
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    return user


def record_login(user):
    """Note the time of a successful login."""
    user.last_login_at = utcnow()
    db.session.flush()


def change_password(user, current_password, new_password):
    """Set a new password after checking the current one; end other sessions.

    :raise ValidationFailed: when the current password is wrong or the new one is weak.
    """
    errors = {}
    if not user.password_hash or not check_password_hash(user.password_hash, current_password or ""):
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
    db.session.refresh(user, ["session_epoch"])


def load_session_user(session_id):
    """Return the member for a Flask-Login id ("<id>.<epoch>"), or None if stale."""
    user_id, _, epoch = (session_id or "").partition(".")
    if not user_id.isdigit() or not epoch.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_epoch != int(epoch):
        return None
    return user


def set_level(user, level, actor=None):
    """Give a member a level (audited with the actor, None for the command line)."""
    old = user.level
    user.level = int(Level(level))
    audit.record(actor, "set-level", user=user, old=Level(old).name.lower(), new=Level(level).name.lower())
    db.session.flush()
