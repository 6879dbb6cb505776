"""The member's own data: "Download my data" and "Delete my account".

Every route acts on the logged-in member; no URL names an account.
"""
from flask import Blueprint, flash, g, make_response, redirect, render_template, url_for
from flask_login import current_user, login_required, logout_user

from forum.extensions import db, limiter
from forum.forms import ConfirmForm, DeleteAccountForm
from forum.permissions import can_delete_own_account, can_export_own_data, require
from forum.security import render_error, rerender_on_csrf_error
from forum.services import deletion, exports
from forum.services.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from forum.views.forms_util import apply_errors

bp = Blueprint("account_data", __name__)


def _member_key():
    return f"member:{current_user.id}" if current_user.is_authenticated else "guest"


@bp.get("/account/data")
@login_required
def index():
    require(can_export_own_data(current_user))
    g.private_page = True
    export = exports.latest_export(current_user)
    link = None
    if export is not None and export.status == "ready":
        link = url_for("account_data.download", token=exports.download_token(export))
    return render_template("account_data/index.html", export=export, link=link, form=ConfirmForm(),
                           days=exports.EXPORT_DAYS)


@bp.post("/account/data/export")
@login_required
@limiter.limit("3 per day", key_func=_member_key)
def request_export():
    require(can_export_own_data(current_user))
    if not ConfirmForm().validate_on_submit():
        return render_error(400, "Your session expired, so nothing was requested. Please try again.")
    try:
        exports.request_export(current_user)
    except Conflict as error:
        db.session.rollback()
        flash(error.message, "info")
        return redirect(url_for("account_data.index"), 303)
    db.session.commit()
    flash("We're preparing your data. It takes a few minutes; you'll find the link here and in your "
          "notifications.", "success")
    return redirect(url_for("account_data.index"), 303)


@bp.get("/account/data/download/<token>")
@login_required
def download(token):
    """Hand out an export: only to its member, only while it lasts, never cached."""
    g.private_page = True
    try:
        export = exports.export_for_download(token, current_user)
    except exports.ExpiredExport:
        return _refusal(410, "This download link has expired (links last "
                             f"{exports.EXPORT_DAYS} days). Ask for your data again from “Your data”.")
    except PermissionDenied:
        return _refusal(403, "This download link belongs to another account.")
    except NotFound as error:
        return _refusal(404, error.message)
    response = make_response(export.content)
    response.headers["Content-Type"] = "application/zip"
    response.headers["Content-Disposition"] = f'attachment; filename="{exports.filename(export)}"'
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _refusal(status, message):
    body, status = render_error(status, message)
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _delete_page(form, status=200):
    g.private_page = True
    return render_template("account_data/delete.html", form=form,
                           grace_days=deletion.grace_period().days), status


@bp.get("/account/delete")
@login_required
def delete_form():
    require(can_delete_own_account(current_user))
    return _delete_page(DeleteAccountForm(formdata=None))


@bp.post("/account/delete")
@login_required
@limiter.limit("5 per hour", key_func=_member_key)
@rerender_on_csrf_error
def delete_account():
    require(can_delete_own_account(current_user))
    form = DeleteAccountForm()
    if not form.validate_on_submit():
        return _delete_page(form, 400)
    try:
        deletion.delete_account(current_user, form.password.data, form.mode.data)
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        return _delete_page(form, 400)
    db.session.commit()
    logout_user()
    flash(f"Your account is deleted and you have been logged out everywhere. If you change your mind, "
          f"log in within {deletion.grace_period().days} days and everything comes back.", "info")
    return redirect(url_for("questions.index"), 303)
