"""Security defaults: response headers, the CSRF failure page, error pages."""
import logging
import uuid

from flask import abort, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

log = logging.getLogger("forum.security")

#: No inline script or style anywhere, so this never needs loosening.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; "
    "form-action 'self'"
)

ERROR_TITLES = {
    400: "That request could not be understood",
    403: "You can't do that here",
    404: "We couldn't find that page",
    405: "That action isn't available here",
    409: "That clashed with a change made just now",
    413: "That was too large to send",
    429: "Slow down a little",
    500: "Something went wrong on our side",
    503: "The forum is briefly unavailable",
}


def rerender_on_csrf_error(view):
    """Mark a form view to be shown again (with the typed text) when CSRF fails.

    The view's own FlaskForm also fails its CSRF check, so it re-renders the form
    with an error instead of acting.
    """
    view.rerender_on_csrf_error = True
    return view


def _set_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config.get("ENV_NAME") == "production":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if getattr(g, "private_page", False):
        headers["Cache-Control"] = "no-store"
    return response


def render_error(status, message=None):
    """Render the friendly error page for ``status``."""
    title = ERROR_TITLES.get(status, "Something went wrong")
    return render_template("errors/error.html", status=status, title=title, message=message), status


def _handle_csrf_error(error):
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and getattr(view, "rerender_on_csrf_error", False):
        g.csrf_failed = True
        response = current_app.make_response(view(**(request.view_args or {})))
        if response.status_code < 400:
            response.status_code = 400
        return response
    return render_error(
        400,
        "Your session expired or the form was sent twice, so nothing was saved. "
        "Go back, reload the page and try again.",
    )


RATE_LIMIT_MESSAGES = {
    "vote": "You've voted a lot in a short while. Votes open again later; thank you for "
            "taking part.",
}


def _handle_http_error(error):
    if error.code is None or error.code < 400:
        return error
    # Our own abort(..., "message") descriptions are for people; Werkzeug's defaults are not.
    custom = error.description != type(error).description
    message = error.description if custom else None
    if error.code == 429:
        message = RATE_LIMIT_MESSAGES.get(error.description) or (
            "You've done that many times in a short while. Please wait a minute and "
            "try again; nothing you typed was lost if you go back."
        )
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=message or ERROR_TITLES.get(error.code, "Error")), error.code
    return render_error(error.code, message)


def _handle_unexpected(error):
    incident = uuid.uuid4().hex[:12]
    log.exception("unhandled error, incident %s", incident)
    return render_error(500, f"It has been logged as incident {incident}.")


def _refuse_nul_bytes():
    """No text anywhere may hold NUL: PostgreSQL refuses it, so refuse it first.

    Forms refuse NUL and other control characters next to their fields; a NUL in the
    path or the query string is a malformed request.
    """
    if "\x00" in request.path:
        abort(404)
    if any("\x00" in value for value in request.args.values()):
        abort(400, "The address holds characters that aren't allowed.")


def init_app(app):
    app.before_request(_refuse_nul_bytes)
    app.after_request(_set_headers)
    app.register_error_handler(CSRFError, _handle_csrf_error)
    app.register_error_handler(HTTPException, _handle_http_error)
    if not app.debug and not app.testing:
        app.register_error_handler(Exception, _handle_unexpected)
