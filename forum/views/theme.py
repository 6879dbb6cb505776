"""The light/dark theme choice: a cookie the server reads, so pages render in it without a flash."""
from flask import Blueprint, abort, current_app, redirect, request

from forum.extensions import limiter
from forum.forms import ConfirmForm
from forum.urls import safe_next
from forum.views.forms_util import client_ip

bp = Blueprint("theme", __name__)

COOKIE = "theme"
#: "system" forgets the choice, so the page follows the device again.
CHOICES = ("light", "dark", "system")
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


@bp.post("/theme")
@limiter.limit("30 per minute;300 per day", key_func=client_ip)
def update():
    """Remember the theme in a cookie, then go back (or answer 204 to a script).

    :raise 400: for a missing CSRF token or an unknown theme.
    """
    if not ConfirmForm().validate_on_submit():  # the CSRF token
        abort(400)
    choice = request.form.get("theme")
    if choice not in CHOICES:
        abort(400, "Choose the light or the dark theme.")
    if request.accept_mimetypes.best == "application/json":
        response = current_app.response_class(status=204)
    else:
        response = redirect(safe_next(request.form.get("next")), 303)
    if choice == "system":
        response.delete_cookie(COOKIE)
    else:
        response.set_cookie(COOKIE, choice, max_age=ONE_YEAR, httponly=True, samesite="Lax",
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response
