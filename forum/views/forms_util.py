"""Small helpers shared by views: form errors from services, the viewer, the client."""
import re

from flask import request, session
from flask_login import current_user

_ASCII_DIGITS = re.compile(r"[0-9]{1,10}")


def apply_errors(form, error):
    """Put a service's field errors next to the form's fields."""
    for name, messages in error.errors.items():
        field = getattr(form, name, None)
        if field is None:
            field = form.body if hasattr(form, "body") else None
        if field is not None:
            field.errors = list(field.errors) + list(messages)


def save_form(form, save, rerender, general_field=None):
    """Validate ``form`` and ``save()`` it, as the write views do.

    Returns ``(saved, None)``, with what ``save()`` returned, committed; or ``(None, page)``
    when the form or the service refused it: ``rerender()``'s page (400), with the service's
    field errors next to their fields (a message for no field next to ``general_field``),
    nothing saved, and everything typed still in the form.
    """
    from forum.extensions import db
    from forum.services.errors import ValidationFailed

    if not form.validate_on_submit():
        return None, rerender()
    try:
        saved = save()
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        if not error.errors and general_field is not None:
            getattr(form, general_field).errors = [error.message]
        return None, rerender()
    db.session.commit()
    return saved, None


def parse_id(raw, maximum=2**31 - 1):
    """Return ``raw`` as a positive int if it is plain ASCII digits in range, else None.

    ``str.isdigit`` also accepts "²" and other digits ``int`` refuses, so it is not used.
    """
    if not isinstance(raw, str) or not _ASCII_DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if 0 < value <= maximum else None


def remember_guest_post(post):
    """Let a guest see their own post (e.g. while it awaits approval) in this session."""
    if current_user.is_authenticated:
        return
    own = [i for i in session.get("own_posts", []) if i != post.id][-49:]
    session["own_posts"] = own + [post.id]


def viewer_id():
    return current_user.id if current_user.is_authenticated else None


def client_ip():
    """Return the client's address (the proxy's X-Forwarded-For is handled by ProxyFix)."""
    return request.remote_addr


def crisis_interstitial(form, *texts):
    """Show the crisis resources before posting words from the crisis list.

    Returns the interstitial page, or None to go on posting: after the author has
    seen it and chosen "Post it". Nothing is ever blocked here.
    """
    from flask import render_template

    from forum.services import safety

    if form.crisis_ack.data or not safety.crisis_matches(*texts):
        return None
    return render_template("safety/interstitial.html", action=request.path, resources=safety.resources(),
                           prefix=form._prefix)


def wants_to_edit_again():
    """The author chose "Go back and edit" on the interstitial."""
    return bool(request.form.get("crisis_edit"))


def flash_if_queued(post):
    """Tell the author kindly that their post waits for a moderator."""
    from flask import flash

    if post.status == "queued":
        flash("Thank you for posting. A moderator will read it before others can see it; this happens "
              "for some posts, for example ones that mention ways of harming oneself, to keep everyone "
              "here safe. If you're struggling right now, “Need help now?” at the top lists people "
              "you can talk to.", "info")
