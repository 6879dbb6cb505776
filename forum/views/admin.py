"""The admin area: site settings, the members list and member levels."""
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from forum import forms
from forum.extensions import db
from forum.forms import ConfirmForm, MemberSearchForm, SetLevelForm
from forum.models import Level, User
from forum.permissions import can_access_admin, can_change_settings, can_set_level, require
from forum.security import rerender_on_csrf_error
from forum.services import accounts, points, settings
from forum.text import canonical
from forum.views.forms_util import parse_id
from forum.views.limits import staff_limit
from forum.views.reauth import recent_password_required
from forum.views.users import get_user_or_404

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _admins_only():
    require(can_access_admin(current_user))
    g.private_page = True


#: The settings pages: endpoint suffix -> (title, specs, intro).
PAGES = {
    "settings": ("Site settings", settings.GENERAL_SPECS, None),
    "points": ("Points scheme", settings.POINTS_SPECS_BY_KEY,
               "Points follow Question2Answer's formula: base + multiple × (the rest). "
               "Saving recalculates every member's points."),
    "privileges": ("Privileges", settings.PRIVILEGE_SPECS_BY_KEY,
                   "A member may act when their level or their points reach the threshold. "
                   "Levels: 0 basic, 10 approved, 20 expert, 50 editor, 80 moderator, 100 admin, 120 super."),
}


def _form(page):
    return forms.settings_form(PAGES[page][1].values(), settings.all_values())


def _render(page, form, status=200):
    title, specs, intro = PAGES[page]
    return render_template("admin/settings.html", form=form, specs=specs, title=title, intro=intro,
                           page=page, presets=settings.PRESETS if page == "points" else None), status


@bp.get("/")
def index():
    return redirect(url_for("admin.settings_form"))


@bp.get("/settings")
def settings_form():
    return _render("settings", _form("settings"))


@bp.get("/points")
def points_form():
    return _render("points", _form("points"))


@bp.get("/privileges")
def privileges_form():
    return _render("privileges", _form("privileges"))


@bp.post("/<any(settings, points, privileges):page>")
@rerender_on_csrf_error
@staff_limit()
@recent_password_required
def update_settings(page):
    require(can_change_settings(current_user))
    form = _form(page)
    if not form.validate_on_submit():
        return _render(page, form, 400)
    values = {key: form[key].data for key in PAGES[page][1]}
    changed = settings.update_settings(current_user, values)
    message = "Settings saved." if changed else "Nothing changed."
    if page == "points" and changed:
        recalculated = points.recompute()
        message = f"Points scheme saved; recalculated everyone ({recalculated} members changed)."
    db.session.commit()
    flash(message, "success")
    return redirect(url_for(f"admin.{page}_form"))


@bp.post("/points/preset")
@staff_limit()
@recent_password_required
def apply_points_preset():
    require(can_change_settings(current_user))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    preset = settings.PRESETS.get(request.form.get("preset", ""))
    if preset is None:
        abort(400, "Choose one of the presets.")
    settings.update_settings(current_user, preset)
    recalculated = points.recompute()
    db.session.commit()
    flash(f"Preset applied; recalculated everyone ({recalculated} members changed).", "success")
    return redirect(url_for("admin.points_form"))


MEMBERS_PER_PAGE = 50


def _members_page(search, page):
    """Return one page of members whose canonical name contains ``search``; and whether more follow."""
    # TODO(admin-area): move into forum/services/accounts.py as search_members().
    query = select(User)
    if search:
        query = query.where(User.username_canonical.contains(canonical(search), autoescape=True))
    rows = list(db.session.scalars(
        query.order_by(User.username_canonical, User.id)
        .limit(MEMBERS_PER_PAGE + 1).offset((page - 1) * MEMBERS_PER_PAGE)
    ))
    return rows[:MEMBERS_PER_PAGE], len(rows) > MEMBERS_PER_PAGE


@bp.get("/users")
def users():
    """Members by name, searchable, with their level, points, joined date and email."""
    form = MemberSearchForm(request.args)
    page = parse_id(request.args.get("page", "1"), maximum=100_000)
    if page is None:
        abort(404)
    valid = form.validate()
    search = form.q.data if valid else ""
    rows, has_next = _members_page(search, page)
    if page > 1 and not rows:
        abort(404)
    status = 200 if valid else 400
    return render_template("admin/users.html", form=form, rows=rows, has_next=has_next, page_number=page,
                           search=search, page="members"), status


@bp.get("/users/<username>")
@recent_password_required
def user(username):
    member = get_user_or_404(username)
    form = SetLevelForm(level=str(member.level))
    return render_template("admin/user.html", member=member, form=form)


@bp.post("/users/<username>/level")
@rerender_on_csrf_error
@staff_limit()
@recent_password_required
def set_level(username):
    member = get_user_or_404(username)
    form = SetLevelForm()
    if not form.validate_on_submit():
        return render_template("admin/user.html", member=member, form=form), 400
    level = Level(int(form.level.data))
    require(can_set_level(current_user, member, level))
    accounts.set_level(member, level, actor=current_user)
    db.session.commit()
    flash(f"{member.username} is now {level.label}.", "success")
    return redirect(url_for("admin.user", username=member.username))
