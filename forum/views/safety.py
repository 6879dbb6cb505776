"""Safety pages: "Need help now?", the guidelines, risk reports, muting and breaks."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from forum.extensions import db, limiter
from forum.forms import ConfirmForm, RiskReportForm, SafetySettingsForm
from forum.permissions import can_report_risk, can_see_queues, require
from forum.security import rerender_on_csrf_error
from forum.services import categories, queue, safety
from forum.services.errors import ValidationFailed
from forum.views.answers import post_location
from forum.views.edits import get_post_or_404
from forum.views.forms_util import apply_errors, client_ip, parse_id
from forum.views.limits import account_limit, staff_limit

bp = Blueprint("safety", __name__)


@bp.get("/help")
def help_now():
    return render_template("safety/help.html", resources=safety.resources())


@bp.get("/guidelines")
def guidelines():
    return render_template("safety/guidelines.html")


def _report_page(post, form, status=200):
    return render_template("safety/report.html", post=post, form=form), status


@bp.get("/posts/<int:post_id>/at-risk")
def new_report(post_id):
    post = get_post_or_404(post_id)
    require(can_report_risk(current_user, post))
    return _report_page(post, RiskReportForm(formdata=None))


@bp.post("/posts/<int:post_id>/at-risk")
@limiter.limit("10 per hour", key_func=lambda: client_ip())
@rerender_on_csrf_error
def report(post_id):
    post = get_post_or_404(post_id)
    require(can_report_risk(current_user, post))
    form = RiskReportForm()
    if not form.validate_on_submit():
        return _report_page(post, form, 400)
    reporter = current_user if current_user.is_authenticated else None
    try:
        safety.report_risk(reporter, post, form.note.data)
    except ValidationFailed as error:
        db.session.rollback()
        form.note.errors = [error.message]
        return _report_page(post, form, 400)
    db.session.commit()
    flash("Thank you for caring. The moderators will look at this soon; the author won't know who told us.",
          "success")
    return redirect(post_location(post), 303)


@bp.post("/moderation/queue/<int:item_id>/risk-level")
@staff_limit()
def risk_level(item_id):
    require(can_see_queues(current_user))
    item = queue.get_item(item_id)
    if item is None or item.kind != "risk":
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        safety.set_risk_level(current_user, item, request.form.get("level", ""))
    except ValidationFailed as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash("Risk level set.", "success")
    return redirect(url_for("moderation.queue_item", item_id=item.id), 303)


def _settings_page(form, status=200):
    g.private_page = True
    return render_template(
        "safety/settings.html", form=form, category_choices=categories.choices(),
        muted_categories=set(safety.muted_categories(current_user)),
    ), status


@bp.get("/account/safety")
@login_required
def settings_form():
    form = SafetySettingsForm(formdata=None)
    form.muted_words.data = "\n".join(safety.muted_words(current_user))
    return _settings_page(form)


@bp.post("/account/safety")
@login_required
@rerender_on_csrf_error
@account_limit()
def update_settings():
    form = SafetySettingsForm()
    if not form.validate_on_submit():
        return _settings_page(form, 400)
    ids = [i for i in (parse_id(raw) for raw in request.form.getlist("muted_category")) if i in categories.by_id()]
    try:
        safety.set_muting(current_user, form.muted_words.data, ids)
        if "risk_alerts_shown" in request.form:
            safety.set_risk_alerts(current_user, bool(request.form.get("risk_alerts")))
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        return _settings_page(form, 400)
    db.session.commit()
    flash("Saved.", "success")
    return redirect(url_for("safety.settings_form"), 303)


@bp.post("/account/break")
@login_required
@account_limit()
def take_a_break():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        safety.take_a_break(current_user, request.form.get("length", ""))
    except ValidationFailed as error:
        db.session.rollback()
        abort(400, error.message)
    db.session.commit()
    flash("No notification emails until your break ends. Take care of yourself."
          if current_user.break_until else "Welcome back.", "success")
    return redirect(url_for("safety.settings_form"), 303)
