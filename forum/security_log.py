"""The security log: one line per security event, safe to read and impossible to forge.

Logins, failed logins, logouts, password and email changes, refusals (403, CSRF, rate
limits) and every moderator or admin action (each audit entry, once committed) are
written to the ``forum.security`` logger as one line each:

    2026-11-28T22:31:05.123Z login_failed username="alex" ip="203.0.113.9"

The time is UTC (ISO 8601). Members appear by id and username; passwords, session ids,
post bodies, reasons and email addresses never appear. Every value is quoted, with
backslashes, quotes, control characters (CR, LF, ...) and invisible format characters
escaped, so nothing a user types can start a new line or pass for another entry.

The destination is stderr, or the file named by ``FORUM_SECURITY_LOG`` (environment or
config). In tests nothing is installed unless FORUM_SECURITY_LOG is configured, and the
lines reach pytest's ``caplog`` through the usual propagation.
"""
import logging
import os
import sys
import unicodedata
from datetime import datetime, timezone

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

log = logging.getLogger("forum.security")

#: Longest value written; a username is 30 characters, a typed login name up to 254.
MAX_VALUE = 120
_HANDLER_MARK = "_forum_security_handler"


def escape(value):
    """Quote ``value`` for one log line, escaping everything that could break or fake a line."""
    text = str(value)[:MAX_VALUE]
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"):
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ip():
    return request.remote_addr if has_request_context() else None


def write(event_name, **fields):
    """Write one event line; ``None`` fields are left out, every value is escaped."""
    parts = [_now(), event_name]
    for key, value in fields.items():
        if value is not None:
            parts.append(f"{key}={escape(value)}")
    log.info(" ".join(parts))


def _member(user):
    """The id and username of a member, or nothing for a guest."""
    if user is None or not getattr(user, "is_authenticated", False):
        return {"user": "guest"}
    return {"user_id": user.id, "username": user.username}


def typed_name(name):
    """A login name as typed, unless it looks like an email address (never logged)."""
    name = name or ""
    return "[an email address]" if "@" in name else name


# --- The events ------------------------------------------------------------------------

def login(user):
    write("login", **_member(user), ip=_ip())


def login_failed(typed_username):
    write("login_failed", username=typed_name(typed_username), ip=_ip())


def logout(user):
    write("logout", **_member(user), ip=_ip())


def logout_everywhere(user):
    write("logout_everywhere", **_member(user), ip=_ip())


def password_changed(user, how):
    """``how``: "account" (changed while logged in) or "reset" (through an emailed link)."""
    write("password_changed", **_member(user), via=how, ip=_ip())


def email_change_requested(user):
    write("email_change_requested", **_member(user), ip=_ip())


def email_changed(user):
    write("email_changed", **_member(user), ip=_ip())


def refused(status, reason):
    """A refused request: 403 (permission), 400 (CSRF) or 429 (rate limit)."""
    user = current_user if has_request_context() else None
    write("refused", status=status, reason=reason, **_member(user),
          method=request.method if has_request_context() else None,
          path=request.path if has_request_context() else None,
          endpoint=request.endpoint if has_request_context() else None, ip=_ip())


def moderator_action(fields):
    """An audit entry (services.audit), written once its transaction has committed."""
    write("moderation", **fields)


# --- Audit entries, logged after commit ------------------------------------------------

_PENDING = "forum_security_audit"


def _remember_entry(mapper, connection, target):
    session = Session.object_session(target)
    if session is not None:
        fields = {"action": target.action, "entry_id": target.id, "actor_id": target.actor_id,
                  "post_id": target.post_id, "target_user_id": target.user_id}
        session.info.setdefault(_PENDING, []).append((target, fields))


def _write_committed(session):
    for target, fields in session.info.pop(_PENDING, []):
        if inspect(target).persistent:  # not undone by a rolled-back savepoint
            moderator_action(fields)


def _forget_rolled_back(session, previous_transaction):
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


def _listen_to_audit_entries():
    from forum.models import ModerationAction

    if not event.contains(ModerationAction, "after_insert", _remember_entry):
        event.listen(ModerationAction, "after_insert", _remember_entry)
        event.listen(Session, "after_commit", _write_committed)
        event.listen(Session, "after_soft_rollback", _forget_rolled_back)


# --- Destination -----------------------------------------------------------------------

def _install_handler(destination):
    for handler in [h for h in log.handlers if getattr(h, _HANDLER_MARK, False)]:
        log.removeHandler(handler)
        handler.close()
    log.propagate = True
    if destination is None:
        return
    handler = logging.FileHandler(destination, encoding="utf-8") if destination else \
        logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    setattr(handler, _HANDLER_MARK, True)
    log.addHandler(handler)
    # Lines go to this destination only, not a second time through the app's logger.
    log.propagate = False


def init_app(app):
    """Send the log to FORUM_SECURITY_LOG (a file) or stderr, and log audit entries."""
    destination = app.config.get("FORUM_SECURITY_LOG") or os.environ.get("FORUM_SECURITY_LOG") or ""
    if app.testing and not app.config.get("FORUM_SECURITY_LOG"):
        destination = None  # tests read the lines through caplog
    _install_handler(destination)
    # A logging config loaded later by a tool (Alembic's fileConfig disables existing
    # loggers) must not silence the security log.
    log.disabled = False
    if log.level == logging.NOTSET or log.level > logging.INFO:
        log.setLevel(logging.INFO)
    _listen_to_audit_entries()
