"""A member's sessions: logging in opens one, the account page lists them, and any can be ended."""
from flask import Blueprint, abort, flash, g, redirect, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from forum import security_log
from forum.extensions import db
from forum.permissions import can_end_session, require
from forum.services import member_sessions
from forum.views.forms_util import parse_id
from forum.views.limits import account_limit
from forum.views.reauth import note_password_entered

bp = Blueprint("sessions", __name__)


def log_in(user, remember=False, password_entered=True):
    """Open a session record for ``user``, commit, and log them in on this device.

    ``password_entered`` is False when no password was typed (a confirmation link), so
    sensitive staff actions still ask for it (views.reauth).
    """
    member_sessions.start_session(user, request.user_agent.string)
    db.session.commit()
    login_user(user, remember=remember)
    if password_entered:
        note_password_entered()


def end_this_session():
    """End the current device's record (on logging out); the caller commits."""
    if current_user.is_authenticated:
        member_sessions.end_session(current_user.member_session)


def listed_sessions():
    """The member's open sessions for the account page, as (record, description, is_this_device)."""
    this = current_user.member_session.id if current_user.member_session is not None else None
    return [(record, member_sessions.describe(record.user_agent), record.id == this)
            for record in member_sessions.active_sessions(current_user)]


@bp.after_app_request
def _note_activity(response):
    """Refresh "last active" at most every few minutes, on a connection of its own, so a
    page never writes in the request's transaction and most requests write nothing."""
    user = g.get("_login_user")
    record = getattr(user, "member_session", None)
    if record is not None and member_sessions.needs_touch(record):
        try:
            with db.engine.begin() as connection:
                member_sessions.touch(connection, record.id)
        except Exception:  # noqa: BLE001 - "last active" is a nicety; the page still answers
            pass
    return response


@bp.post("/account/sessions/<int:session_id>/end")
@login_required
@account_limit()
def end(session_id):
    """End one of the member's sessions; ending this device's logs out here.

    :raise 404: no such open session of this member.
    """
    record = member_sessions.get_own_session(current_user, session_id) if parse_id(str(session_id)) else None
    if record is None:
        abort(404)
    require(can_end_session(current_user, record))
    this_device = current_user.member_session is not None and record.id == current_user.member_session.id
    member_sessions.end_session(record)
    db.session.commit()
    security_log.write("session_ended", user_id=current_user.id, username=current_user.username,
                       this_device="yes" if this_device else "no")
    if this_device:
        logout_user()
        flash("You have logged out on this device.", "info")
        return redirect(url_for("auth.login_form"), 303)
    flash("That session has ended: the device it was on is logged out.", "success")
    return redirect(url_for("auth.account", _anchor="sessions-heading"), 303)


@bp.post("/account/sessions/end-others")
@login_required
@account_limit()
def end_others():
    """End every session of the member except this device's."""
    this = current_user.member_session.id if current_user.member_session is not None else None
    count = member_sessions.end_other_sessions(current_user, this)
    db.session.commit()
    security_log.write("sessions_ended", user_id=current_user.id, username=current_user.username,
                       count=count)
    flash("Every other session has ended; you are still logged in here." if count else
          "There were no other sessions to end.", "success")
    return redirect(url_for("auth.account", _anchor="sessions-heading"), 303)
