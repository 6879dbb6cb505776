"""Asking for the password again before sensitive staff actions, once the last entry is old.

``recent_password_required`` guards a view: when this session's last password entry
(at login or on the re-authentication page) is older than ``REAUTH_WINDOW_MINUTES``
(15 by default), a GET or a POST is sent to /reauthenticate with a same-site ``next``;
after the password the member returns there (for a POST: to the form's page, so
nothing is replayed). Flask-Login's own freshness is a yes/no flag (fresh at login,
stale after a remember cookie), not a time, so the time is kept in the session beside it.
"""
import time
from functools import wraps
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from werkzeug.exceptions import HTTPException

from forum import security_log
from forum.extensions import limiter, login_manager
from forum.forms import ReauthenticateForm
from forum.security import rerender_on_csrf_error
from forum.services import accounts
from forum.urls import safe_next
from forum.views import login_limits

bp = Blueprint("reauth", __name__)

#: Where the session keeps the time (seconds since the epoch) of the last password entry.
PASSWORD_AT = "password_at"
WINDOW_MINUTES = 15


def note_password_entered():
    """Remember that the member typed their password just now, in this session."""
    session[PASSWORD_AT] = int(time.time())


def password_is_recent():
    minutes = current_app.config.get("REAUTH_WINDOW_MINUTES", WINDOW_MINUTES)
    entered = session.get(PASSWORD_AT)
    return isinstance(entered, int) and time.time() - entered <= minutes * 60


def _return_to():
    """Where to come back after the password: this page, or for a POST the form's page."""
    if request.method == "GET":
        return request.full_path if request.query_string else request.path
    try:
        current_app.url_map.bind("").match(request.path, method="GET")
        return request.path
    except HTTPException:
        pass
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path:
        return safe_next(referrer.path + (f"?{referrer.query}" if referrer.query else ""), "/")
    return "/"


def recent_password_required(view):
    """Send the member to re-enter their password unless they did within the window."""

    @wraps(view)
    def guarded(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not password_is_recent():
            if request.method != "GET":
                flash("Please enter your password again; then send the form once more.", "info")
            return redirect(url_for("reauth.form", next=_return_to()), 303)
        return view(*args, **kwargs)

    guarded.requires_recent_password = True  # copied outwards by functools.wraps; tests read it
    return guarded


def _page(form, next_url, status=200, locked_minutes=None):
    g.private_page = True
    return render_template("auth/reauthenticate.html", form=form, next=next_url,
                           locked_minutes=locked_minutes), status


@bp.get("/reauthenticate")
@login_required
def form():
    return _page(ReauthenticateForm(), safe_next(request.args.get("next"), "/"))


@bp.post("/reauthenticate")
@login_required
@limiter.limit("6 per minute;30 per hour")
@rerender_on_csrf_error
def confirm():
    form = ReauthenticateForm()
    next_url = safe_next(request.form.get("next") or request.args.get("next"), "/")
    if not form.validate_on_submit():
        return _page(form, next_url, 400)
    name = current_user.username
    if login_limits.is_locked(name):
        accounts.check_dummy_password(form.password.data)
        return _page(form, next_url, 429, login_limits.minutes_left(name) or 60)
    if not current_user.password_hash or not accounts.verify_password(current_user.password_hash,
                                                                      form.password.data):
        login_limits.count_failure(name)
        security_log.write("reauth_failed", user_id=current_user.id, username=name)
        form.password.errors = ["That is not your password."]
        return _page(form, next_url, 400)
    note_password_entered()
    security_log.write("reauth", user_id=current_user.id, username=name)
    return redirect(next_url, 303)
