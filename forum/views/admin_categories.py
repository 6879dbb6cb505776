"""The admin area's category pages: the tree, and one page per category to change it."""
from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from forum.extensions import db
from forum.forms import (
    CategoryEditForm,
    CategoryForm,
    CategoryMergeForm,
    CategoryMoveForm,
    CategoryReorderForm,
    ConfirmForm,
)
from forum.permissions import can_access_admin, require
from forum.security import rerender_on_csrf_error
from forum.services import categories, category_admin
from forum.services.errors import ServiceError
from forum.views.forms_util import apply_errors, parse_id
from forum.views.limits import staff_limit
from forum.views.reauth import recent_password_required

bp = Blueprint("admin_categories", __name__, url_prefix="/admin/categories")

TOP_LEVEL = SelectChoice("", "(top level)")


@bp.before_request
def _admins_only():
    """Every page here is for admins, as in the rest of the admin area."""
    require(can_access_admin(current_user))
    g.private_page = True


def get_category_or_404(category_id):
    """Return the category with this id.

    :raise 404: when there is none.
    """
    category = categories.by_id().get(category_id)
    if category is None:
        abort(404)
    return category


def _choices(exclude=()):
    return [SelectChoice(str(cid), label) for cid, label in categories.choices() if cid not in exclude]


def _chosen(field, required=False):
    """Return the category a select field names, None for the top level, or False if invalid."""
    if not field.data:
        if required:
            field.errors = list(field.errors) + ["Choose a category."]
            return False
        return None
    found = categories.by_id().get(parse_id(field.data))
    if found is None:
        field.errors = list(field.errors) + ["Choose one of the listed categories."]
        return False
    return found


def _render_index(form=None, status=200):
    form = form or CategoryForm()
    form.parent.choices = [TOP_LEVEL] + _choices()
    return render_template(
        "admin/categories.html", roots=categories.roots(), form=form,
        page="categories",
    ), status


def _render_category(category, status=200, error=None, **forms):
    below = set(categories.descendant_ids(category))
    edit_form = forms.get("edit_form") or CategoryEditForm(obj=category)
    move_form = forms.get("move_form") or CategoryMoveForm(parent=str(category.parent_id or ""))
    move_form.parent.choices = [TOP_LEVEL] + _choices(exclude=below)
    merge_form = forms.get("merge_form") or CategoryMergeForm()
    merge_form.target.choices = [SelectChoice("", "Choose a category")] + _choices(exclude=below)
    return render_template(
        "admin/category.html", category=category, edit_form=edit_form, move_form=move_form,
        merge_form=merge_form, delete_error=error,
        subcategories=len(below) - 1, questions_held=category_admin.question_total(below),
        depth=category_admin.depth_of(category), max_depth=categories.MAX_DEPTH, page="categories",
    ), status


@bp.get("")
def index():
    return _render_index()


@bp.post("")
@rerender_on_csrf_error
@staff_limit()
@recent_password_required
def create():
    form = CategoryForm()
    form.parent.choices = [TOP_LEVEL] + _choices()
    valid = form.validate_on_submit()
    parent = _chosen(form.parent)
    if not valid or parent is False:
        return _render_index(form, 400)
    try:
        category = category_admin.create_category(
            current_user, form.title.data, slug=form.slug.data, parent=parent,
            description=form.description.data,
        )
    except ServiceError as error:
        db.session.rollback()
        apply_errors(form, error)
        return _render_index(form, error.status)
    db.session.commit()
    flash(f"Category “{category.title}” created.", "success")
    return redirect(url_for("admin_categories.index"))


@bp.get("/<int:category_id>")
def edit(category_id):
    return _render_category(get_category_or_404(category_id))


@bp.post("/<int:category_id>")
@rerender_on_csrf_error
@staff_limit()
@recent_password_required
def update(category_id):
    category = get_category_or_404(category_id)
    form = CategoryEditForm()
    if not form.validate_on_submit():
        return _render_category(category, 400, edit_form=form)
    try:
        changed = category_admin.edit_category(
            current_user, category, form.title.data, form.slug.data, form.description.data,
        )
    except ServiceError as error:
        db.session.rollback()
        apply_errors(form, error)
        return _render_category(get_category_or_404(category_id), error.status, edit_form=form)
    db.session.commit()
    flash("Category saved." if changed else "Nothing changed.", "success")
    return redirect(url_for("admin_categories.edit", category_id=category_id))


@bp.post("/<int:category_id>/move")
@rerender_on_csrf_error
@staff_limit()
@recent_password_required
def move(category_id):
    category = get_category_or_404(category_id)
    form = CategoryMoveForm()
    valid = form.validate_on_submit()
    parent = _chosen(form.parent)
    if not valid or parent is False:
        return _render_category(category, 400, move_form=form)
    try:
        moved = category_admin.move_category(current_user, category, parent)
    except ServiceError as error:
        db.session.rollback()
        apply_errors(form, error)
        return _render_category(get_category_or_404(category_id), error.status, move_form=form)
    db.session.commit()
    where = f"under “{parent.title}”" if parent is not None else "to the top level"
    flash(f"Moved “{category.title}” {where}." if moved else "It is already there.", "success")
    return redirect(url_for("admin_categories.edit", category_id=category_id))


@bp.post("/<int:category_id>/position")
@staff_limit()
@recent_password_required
def reorder(category_id):
    category = get_category_or_404(category_id)
    form = CategoryReorderForm()
    if not form.validate_on_submit():
        abort(400, "Choose up or down.")
    try:
        moved = category_admin.reorder_category(current_user, category, form.direction.data)
    except ServiceError as error:
        abort(error.status, error.message or "Choose up or down.")
    db.session.commit()
    if moved:
        flash(f"Moved “{category.title}” {form.direction.data}.", "success")
    else:
        flash(f"“{category.title}” is already {'first' if form.direction.data == 'up' else 'last'}.",
              "info")
    return redirect(url_for("admin_categories.index") + f"#category-{category_id}")


@bp.post("/<int:category_id>/merge")
@rerender_on_csrf_error
@staff_limit()
@recent_password_required
def merge(category_id):
    source = get_category_or_404(category_id)
    form = CategoryMergeForm()
    valid = form.validate_on_submit()
    target = _chosen(form.target, required=True)
    if not valid or target is False:
        return _render_category(source, 400, merge_form=form)
    title = source.title
    try:
        moved = category_admin.merge_category(current_user, source, target)
    except ServiceError as error:
        db.session.rollback()
        apply_errors(form, error)
        return _render_category(get_category_or_404(category_id), error.status, merge_form=form)
    db.session.commit()
    flash(f"Merged “{title}” into “{target.title}”: {moved} question{'' if moved == 1 else 's'} moved.",
          "success")
    return redirect(url_for("admin_categories.edit", category_id=target.id))


@bp.post("/<int:category_id>/delete")
@staff_limit()
@recent_password_required
def delete(category_id):
    category = get_category_or_404(category_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    title = category.title
    try:
        category_admin.delete_category(current_user, category)
    except ServiceError as error:
        db.session.rollback()
        return _render_category(get_category_or_404(category_id), error.status, error=error.message)
    db.session.commit()
    flash(f"Category “{title}” deleted.", "success")
    return redirect(url_for("admin_categories.index"))
