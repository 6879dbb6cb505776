"""Failed logins counted per account name, in the rate limiter's storage.

The login route's Flask-Limiter rule counts every attempt per address (6 a minute, 30
an hour). This counts only *failures* per name typed (canonical form), whoever types
it and from wherever, so a guessing run spread over many addresses still stops. The
counter lives in the limiter's storage (Redis when configured), so every app server
shares it. It is kept under a digest of the name: the store never holds what was typed
(sometimes an email address). Names that belong to no account are counted the same
way, so a lock says nothing about whether an account exists.
"""
import hashlib
import logging
import time

from flask import current_app
from limits import parse

from forum.extensions import limiter
from forum.text import canonical

log = logging.getLogger(__name__)

#: Failed logins allowed per name typed; ``LOGIN_FAILURES_PER_ACCOUNT`` in the config overrides it.
ACCOUNT_FAILURES = "10 per hour"
_SCOPE = "login-failures"


def _enabled():
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _item():
    return parse(current_app.config.get("LOGIN_FAILURES_PER_ACCOUNT", ACCOUNT_FAILURES))


def _identifiers(typed_name):
    digest = hashlib.sha256(canonical(typed_name or "").encode("utf-8")).hexdigest()[:40]
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX", "")
    return [part for part in (prefix, _SCOPE, digest) if part]


def _storage_call(method, typed_name, default):
    """Call the limiter's strategy; a lost store is swallowed only when the config says so."""
    try:
        return method(_item(), *_identifiers(typed_name))
    except Exception:
        if not current_app.config.get("RATELIMIT_SWALLOW_ERRORS"):
            raise
        log.exception("rate limit storage unavailable; login failures are not counted")
        return default


def is_locked(typed_name):
    """Tell whether this name has used up its failed logins for now."""
    if not _enabled() or not typed_name:
        return False
    return not _storage_call(limiter.limiter.test, typed_name, True)


def count_failure(typed_name):
    """Count one failed login for this name."""
    if _enabled() and typed_name:
        _storage_call(limiter.limiter.hit, typed_name, True)


def forgive(username):
    """Forget a name's failed logins, e.g. once its owner has reset the password by email."""
    if _enabled() and username:
        _storage_call(limiter.limiter.clear, username, None)


def minutes_left(typed_name):
    """Whole minutes (at least 1) until the name may try again, or None if unknown."""
    try:
        stats = limiter.limiter.get_window_stats(_item(), *_identifiers(typed_name))
    except Exception:  # noqa: BLE001 - the page must render even if the store is gone
        return None
    return max(1, round((stats.reset_time - time.time()) / 60))
