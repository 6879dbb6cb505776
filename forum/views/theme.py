"""The light/dark theme choice: a cookie the server reads, so pages render in it without a flash.

Pages link here rather than carrying a form, so a guest's page needs no CSRF token (and
no session cookie). With JavaScript the header link becomes a button that switches at
once and writes the same cookie itself.
"""
from flask import Blueprint, current_app, redirect, render_template, request

from forum.extensions import limiter
from forum.forms import ConfirmForm
from forum.security import rerender_on_csrf_error
from forum.urls import safe_next
from forum.views.forms_util import client_ip

bp = Blueprint("theme", __name__)

COOKIE = "theme"
#: "system" forgets the choice, so pages follow the device's setting again.
CHOICES = {"system": "Follow my device's setting", "light": "Light", "dark": "Dark"}
ONE_YEAR = 365 * 24 * 3600


def current_theme():
    """Return the remembered theme, "light" or "dark", or None to follow the system."""
    value = request.cookies.get(COOKIE)
    return value if value in ("light", "dark") else None


@bp.app_context_processor
def _inject_theme():
    return {"theme": current_theme()}


@bp.after_app_request
def _vary_on_cookie(response):
    # The page's markup depends on the theme cookie; no shared cache may mix them up.
    if response.mimetype == "text/html":
        response.vary.add("Cookie")
    return response


def _render(form, error=None, status=200):
    chosen = request.form.get("theme") if error else (current_theme() or "system")
    return render_template("theme/edit.html", form=form, choices=CHOICES, chosen=chosen, error=error,
                           next=safe_next(request.values.get("next"))), status


@bp.get("/theme")
def edit():
    return _render(ConfirmForm())


@bp.post("/theme")
@limiter.limit("30 per minute;300 per day", key_func=client_ip)
@rerender_on_csrf_error
def update():
    """Remember the theme in a cookie, then go back to the page the reader came from.

    :raise 400: for a missing CSRF token or an unknown theme (the form again, with its message).
    """
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _render(form, error="Your session had expired; please choose again.", status=400)
    choice = request.form.get("theme")
    if choice not in CHOICES:
        return _render(form, error="Choose one of the themes.", status=400)
    response = redirect(safe_next(request.form.get("next")), 303)
    if choice == "system":
        response.delete_cookie(COOKIE)
    else:
        # Not HttpOnly: it holds no secret, and the page's script writes it too.
        response.set_cookie(COOKIE, choice, max_age=ONE_YEAR, samesite="Lax",
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response
