"""The Markdown preview: the editor's live preview, and the Preview button without JavaScript."""
from flask import Blueprint, g, jsonify, request
from flask_login import current_user

from forum.extensions import limiter
from forum.forms import PreviewForm
from forum.permissions import can_preview_post, require
from forum.services import preview
from forum.services.errors import ValidationFailed
from forum.views.limits import member_key

bp = Blueprint("previews", __name__)

#: The editor asks at most once per pause in typing (400 ms); this stops a script, not a writer.
PREVIEW_LIMIT = "40 per minute;600 per hour"


@bp.post("/preview")
@limiter.limit(PREVIEW_LIMIT, key_func=member_key)
def create():
    """Render a draft exactly as it would be saved: JSON ``{"html": ...}``, or ``{"error": ...}`` with a 4xx."""
    require(can_preview_post(current_user))
    form = PreviewForm()
    if not form.validate_on_submit():
        return jsonify(error="Choose question, answer or comment to preview."), 400
    try:
        html = preview.preview_body(form.kind.data, form.body.data)
    except ValidationFailed as error:
        return jsonify(error=" ".join(error.errors["body"])), 400
    return jsonify(html=html)


def wants_preview():
    """The author pressed "Preview" on a form (the way to preview without JavaScript)."""
    return bool(request.form.get("preview")) and not g.get("csrf_failed")


def preview_for(form, kind):
    """Return the preview HTML of ``form.body`` for the form's page; a too-long text gets a field error.

    Marks the response as a preview, which writes nothing and uses no posting allowance.
    """
    g.preview_only = True
    try:
        return preview.preview_body(kind, form.body.data)
    except ValidationFailed as error:
        form.body.errors = list(form.body.errors) + error.errors["body"]
        return None


def is_preview(response=None):
    """True for a Preview button's response (for the posting limits' ``deduct_when``)."""
    return bool(g.get("preview_only"))
