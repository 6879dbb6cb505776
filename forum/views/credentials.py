"""Verified professionals: a member's application, and the moderators' review of it."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from forum.extensions import db, limiter
from forum.forms import CredentialForm, CredentialReasonForm, VerifyCredentialForm
from forum.permissions import (
    can_apply_for_credential,
    can_decide_credential,
    can_review_credentials,
    can_withdraw_credential,
    require,
)
from forum.security import rerender_on_csrf_error
from forum.services import credentials
from forum.services.errors import ServiceError, ValidationFailed
from forum.views.forms_util import apply_errors, parse_id
from forum.views.limits import account_limit, staff_limit
from forum.views.reauth import recent_password_required

bp = Blueprint("credentials", __name__)


def _credential_or_404(credential_id):
    credential = credentials.get_credential(credential_id)
    if credential is None:
        abort(404)
    return credential


# --- The member's side ----------------------------------------------------------------

def _mine(form=None, status=200):
    g.private_page = True
    applications = credentials.applications_of(current_user)
    waiting = any(c.state == "pending" for c in applications)
    if form is None and can_apply_for_credential(current_user) and not waiting:
        form = CredentialForm(formdata=None)
    return render_template("credentials/mine.html", applications=applications, form=form,
                           state_of=credentials.state_of), status


@bp.get("/account/credentials")
@login_required
def mine():
    return _mine()


@bp.post("/account/credentials")
@login_required
@limiter.limit("5 per hour;10 per day", key_func=lambda: f"member:{current_user.get_id()}")
@rerender_on_csrf_error
def apply():
    require(can_apply_for_credential(current_user))
    form = CredentialForm()
    if not form.validate_on_submit():
        return _mine(form, 400)
    try:
        credentials.apply(current_user, form.kind.data, form.registration_number.data, form.issuing_body.data,
                          form.jurisdiction.data, form.register_url.data)
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        if not error.errors:
            flash(error.message, "error")
        return _mine(form, 400)
    db.session.commit()
    flash("Thank you. A moderator will check your registration with the public register; you'll hear "
          "from us here and by email.", "success")
    return redirect(url_for("credentials.mine"), 303)


@bp.post("/account/credentials/<int:credential_id>/withdraw")
@login_required
@account_limit()
def withdraw(credential_id):
    credential = _credential_or_404(credential_id)
    require(can_withdraw_credential(current_user, credential))
    if not CredentialReasonForm().validate_on_submit():
        abort(400)
    try:
        credentials.withdraw(current_user, credential)
    except ServiceError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("credentials.mine"), 303)
    db.session.commit()
    flash("Your application is withdrawn.", "success")
    return redirect(url_for("credentials.mine"), 303)


# --- The moderators' side ---------------------------------------------------------------

@bp.get("/moderation/credentials")
def queue():
    require(can_review_credentials(current_user))
    g.private_page = True
    page = parse_id(request.args.get("page", "1"), maximum=100_000)
    if page is None:
        abort(404)
    verified, has_next = credentials.verified_credentials(page=page)
    return render_template("credentials/queue.html", pending=credentials.pending_applications(),
                           verified=verified, has_next=has_next, page=page, state_of=credentials.state_of)


def _review(credential, status=200, **forms):
    g.private_page = True
    forms.setdefault("verify_form", VerifyCredentialForm(formdata=None))
    # A pending credential shows the reject form, a verified one the revoke form: never both.
    forms.setdefault("reject_form", CredentialReasonForm(formdata=None))
    forms.setdefault("revoke_form", CredentialReasonForm(formdata=None))
    return render_template("credentials/review.html", credential=credential,
                           state=credentials.state_of(credential), **forms), status


@bp.get("/moderation/credentials/<int:credential_id>")
def review(credential_id):
    require(can_review_credentials(current_user))
    return _review(_credential_or_404(credential_id))


#: decision -> (service call, the form's name on the page, the confirmation)
DECISIONS = {
    "verify": (lambda c, form: credentials.verify(current_user, c, form.expires_on.data),
               "verify_form", "Verified: the badge shows with the member's name."),
    "reject": (lambda c, form: credentials.reject(current_user, c, form.reason.data),
               "reject_form", "Rejected; the member sees your reason."),
    "revoke": (lambda c, form: credentials.revoke(current_user, c, form.reason.data),
               "revoke_form", "Revoked; the badge no longer shows."),
}


@bp.post("/moderation/credentials/<int:credential_id>/<any(verify, reject, revoke):decision>")
@staff_limit()
@rerender_on_csrf_error
@recent_password_required
def decide(credential_id, decision):
    require(can_review_credentials(current_user))
    credential = _credential_or_404(credential_id)
    require(can_decide_credential(current_user, credential))
    act, form_name, done = DECISIONS[decision]
    form = VerifyCredentialForm() if decision == "verify" else CredentialReasonForm()
    if not form.validate_on_submit():
        return _review(credential, 400, **{form_name: form})
    try:
        act(credential, form)
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        if not error.errors:
            flash(error.message, "error")
        return _review(credential, 400, **{form_name: form})
    except ServiceError as error:  # decided by someone else meanwhile
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("credentials.review", credential_id=credential.id), 303)
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("credentials.queue"), 303)
