"""The admin area: site settings and member levels."""
from flask import Blueprint, flash, g, redirect, render_template, url_for
from flask_login import current_user

from forum import forms
from forum.extensions import db
from forum.forms import SetLevelForm
from forum.models import Level
from forum.permissions import can_access_admin, can_change_settings, can_set_level, require
from forum.security import rerender_on_csrf_error
from forum.services import accounts, settings
from forum.views.users import get_user_or_404

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _admins_only():
    require(can_access_admin(current_user))
    g.private_page = True


def _settings_page(form, status=200):
    return render_template("admin/settings.html", form=form, specs=settings.GENERAL_SPECS), status


@bp.get("/")
def index():
    return redirect(url_for("admin.settings_form"))


@bp.get("/settings")
def settings_form():
    return _settings_page(settings_form_for_request())


def settings_form_for_request():
    return forms.settings_form(settings.GENERAL_SPECS.values(), settings.all_values())


@bp.post("/settings")
@rerender_on_csrf_error
def update_settings():
    require(can_change_settings(current_user))
    form = settings_form_for_request()
    if not form.validate_on_submit():
        return _settings_page(form, 400)
    values = {key: form[key].data for key in settings.GENERAL_SPECS}
    changed = settings.update_settings(current_user, values)
    db.session.commit()
    flash("Settings saved." if changed else "Nothing changed.", "success")
    return redirect(url_for("admin.settings_form"))


@bp.get("/users/<username>")
def user(username):
    member = get_user_or_404(username)
    form = SetLevelForm(level=str(member.level))
    return render_template("admin/user.html", member=member, form=form)


@bp.post("/users/<username>/level")
@rerender_on_csrf_error
def set_level(username):
    member = get_user_or_404(username)
    form = SetLevelForm()
    if not form.validate_on_submit():
        return render_template("admin/user.html", member=member, form=form), 400
    level = Level(int(form.level.data))
    require(can_set_level(current_user, member, level))
    accounts.set_level(member, level)
    db.session.commit()
    flash(f"{member.username} is now {level.label}.", "success")
    return redirect(url_for("admin.user", username=member.username))
