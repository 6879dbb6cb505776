"""Security defaults: response headers, the CSRF failure page, error pages."""
import logging
import time
import uuid

from flask import abort, current_app, g, jsonify, render_template, request, session
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException
from wtforms import PasswordField
from wtforms.fields.core import UnboundField

from forum import security_log
from forum.extensions import db

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


#: Pages under these paths are private (or carry one-time tokens in the URL): never cached.
PRIVATE_PREFIXES = ("/account", "/admin", "/moderation", "/notifications", "/updates", "/password",
                    "/verify", "/unsubscribe")
HSTS = "max-age=31536000; includeSubDomains"


def _is_private():
    """A page is private when a view says so, when its path is, or when a member is logged in.

    A logged-in member's pages show their own state (drafts awaiting approval, their
    inbox count), so no shared cache or back-button history on a shared device keeps them.
    The session is read, not current_user, so this costs no query.
    """
    if request.endpoint == "static":
        return False
    if getattr(g, "private_page", False) or request.path.startswith(PRIVATE_PREFIXES):
        return True
    return bool(session.get("_user_id"))


def _set_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config.get("ENV_NAME") == "production":
        headers.setdefault("Strict-Transport-Security", HSTS)
    if _is_private():
        headers["Cache-Control"] = "no-store"
    return response


def render_error(status, message=None):
    """Render the friendly error page for ``status``."""
    title = ERROR_TITLES.get(status, "Something went wrong")
    return render_template("errors/error.html", status=status, title=title, message=message), status


def _handle_csrf_error(error):
    security_log.refused(400, "csrf")
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
    if error.code == 403:
        security_log.refused(403, "permission")
    if error.code == 429:
        security_log.refused(429, "rate limit")
        message = RATE_LIMIT_MESSAGES.get(error.description) or (
            "You've done that many times in a short while. Please wait a little and "
            "try again; nothing you typed is lost."
        )
    if request.accept_mimetypes.best == "application/json":
        return jsonify(error=message or ERROR_TITLES.get(error.code, "Error")), error.code
    if error.code == 429:
        return _render_rate_limited(message)
    return render_error(error.code, message)


def _secret_field_names():
    """Every form field name that is a password somewhere: never echoed back into a page."""
    names = set()
    stack = list(FlaskForm.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        for name in dir(cls):
            field = getattr(cls, name, None)
            if isinstance(field, UnboundField) and issubclass(field.field_class, PasswordField):
                names.add(name)
    return names


def _typed_fields():
    """The fields of the refused form as (name, value, kind), passwords and the CSRF token left out.

    ``kind`` is "hidden" for values the person never typed (tokens, flags), "text" for one
    line and "textarea" for the rest.
    """
    if request.method != "POST":
        return []
    secret = _secret_field_names()
    hidden = {"submission_token", "reviewed", "crisis_ack", "next"}
    fields = []
    for name, value in request.form.items(multi=True):
        if name == "csrf_token" or name in secret or "password" in name:
            continue
        if name in hidden or name.endswith("_token"):
            kind = "hidden"
        elif "\n" in value or len(value) > 80:
            kind = "textarea"
        else:
            kind = "text"
        fields.append((name, value, kind))
    return fields


def _retry_after():
    """Seconds until the breached limit resets, or None when the limiter cannot tell."""
    from forum.extensions import limiter

    try:
        breached = [limit for limit in limiter.current_limits if limit.breached]
        reset = min(limit.reset_at for limit in breached)
    except Exception:  # noqa: BLE001 - the page must render even if the storage is gone
        return None
    return max(1, int(reset - time.time()))


def _render_rate_limited(message):
    """The 429 page: a human message and, for a form, what was typed, ready to send again."""
    retry = _retry_after()
    response = current_app.make_response((render_template(
        "errors/rate_limited.html", status=429, title=ERROR_TITLES[429], message=message,
        fields=_typed_fields(), retry_minutes=None if retry is None else max(1, round(retry / 60)),
    ), 429))
    if retry is not None:
        response.headers["Retry-After"] = str(retry)
    return response


def _handle_unexpected(error):
    incident = uuid.uuid4().hex[:12]
    log.exception("unhandled error, incident %s", incident)
    return render_error(500, f"It has been logged as incident {incident}.")


def _handle_database_unavailable(error):
    """The database went away or is busy: a friendly 503 with an incident id, never a trace.

    The log names the incident and the error's class only: the statement's parameters
    may hold what someone was writing.
    """
    incident = uuid.uuid4().hex[:12]
    cause = type(getattr(error, "orig", None) or error).__name__
    log.error("database unavailable (%s), incident %s", cause, incident)
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be gone; the pool replaces it
        db.session.remove()
    message = (f"Nothing was saved; please try again in a moment. "
               f"If it keeps happening, mention incident {incident}.")
    try:
        body, status = render_error(503, message)
    except Exception:  # noqa: BLE001 - the page itself needs the database
        body, status = f"{ERROR_TITLES[503]}. {message}\n", 503
    response = current_app.make_response((body, status))
    response.headers["Retry-After"] = "5"
    return response


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
    security_log.init_app(app)
    app.before_request(_refuse_nul_bytes)
    app.after_request(_set_headers)
    app.register_error_handler(CSRFError, _handle_csrf_error)
    app.register_error_handler(HTTPException, _handle_http_error)
    for database_error in (OperationalError, InterfaceError, PoolTimeout):
        app.register_error_handler(database_error, _handle_database_unavailable)
    if not app.debug and not app.testing:
        app.register_error_handler(Exception, _handle_unexpected)
