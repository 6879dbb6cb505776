"""Admin pages for the phrase lists and for blocked addresses (shown to admins only)."""
from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from forum.extensions import db
from forum.forms import AddressBlockForm, ConfirmForm, PhraseForm, ResourcesForm
from forum.models import AddressBlock, Phrase
from forum.permissions import can_manage_address_blocks, can_manage_phrases, require
from forum.security import rerender_on_csrf_error
from forum.services import phrases, safety, sanctions, settings
from forum.services.errors import ValidationFailed
from forum.views.forms_util import apply_errors
from forum.views.limits import staff_limit
from forum.views.reauth import recent_password_required

bp = Blueprint("admin_moderation", __name__, url_prefix="/admin")


@bp.before_request
def _private():
    g.private_page = True


def _phrase_form(formdata=True):
    form = PhraseForm() if formdata else PhraseForm(formdata=None)
    form.list_name.choices = list(phrases.LISTS.items())
    return form


def _phrases_page(form, status=200):
    return render_template("admin/phrases.html", form=form, phrases=phrases.all_phrases(),
                           lists=phrases.LISTS, page="phrases"), status


@bp.get("/phrases")
def phrase_lists():
    require(can_manage_phrases(current_user))
    return _phrases_page(_phrase_form(formdata=False))


@bp.post("/phrases")
@rerender_on_csrf_error
@staff_limit()
@recent_password_required
def add_phrase():
    require(can_manage_phrases(current_user))
    form = _phrase_form()
    if not form.validate_on_submit():
        return _phrases_page(form, 400)
    try:
        phrases.add_phrase(current_user, form.list_name.data, form.pattern.data)
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        if "pattern" not in error.errors:
            form.pattern.errors = [error.message]
        return _phrases_page(form, 400)
    db.session.commit()
    flash("Added to the list.", "success")
    return redirect(url_for("admin_moderation.phrase_lists"), 303)


@bp.post("/phrases/<int:phrase_id>/delete")
@staff_limit()
@recent_password_required
def remove_phrase(phrase_id):
    require(can_manage_phrases(current_user))
    phrase = db.session.get(Phrase, phrase_id)
    if phrase is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    phrases.remove_phrase(current_user, phrase)
    db.session.commit()
    flash("Removed from the list.", "success")
    return redirect(url_for("admin_moderation.phrase_lists"), 303)


def _addresses_page(form, status=200):
    return render_template("admin/addresses.html", form=form, blocks=sanctions.active_blocks(),
                           page="addresses"), status


@bp.get("/addresses")
def addresses():
    require(can_manage_address_blocks(current_user))
    return _addresses_page(AddressBlockForm(formdata=None))


@bp.post("/addresses")
@rerender_on_csrf_error
@staff_limit()
@recent_password_required
def add_address_block():
    require(can_manage_address_blocks(current_user))
    form = AddressBlockForm()
    if not form.validate_on_submit():
        return _addresses_page(form, 400)
    try:
        sanctions.block_network(current_user, form.network.data, form.reason.data, form.duration.data)
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        return _addresses_page(form, 400)
    db.session.commit()
    flash("Blocked.", "success")
    return redirect(url_for("admin_moderation.addresses"), 303)


@bp.post("/addresses/<int:block_id>/delete")
@staff_limit()
@recent_password_required
def lift_address_block(block_id):
    require(can_manage_address_blocks(current_user))
    block = db.session.scalar(select(AddressBlock).where(AddressBlock.id == block_id))
    if block is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    sanctions.lift_address_block(current_user, block)
    db.session.commit()
    flash("The block is lifted.", "success")
    return redirect(url_for("admin_moderation.addresses"), 303)


def _resources_page(form, status=200):
    return render_template("admin/resources.html", form=form, page="resources"), status


@bp.get("/crisis-resources")
def crisis_resources():
    require(can_manage_phrases(current_user))
    form = ResourcesForm(formdata=None)
    form.resources.data = settings.get("crisis_resources") or safety.default_resources_text()
    return _resources_page(form)


@bp.post("/crisis-resources")
@rerender_on_csrf_error
@staff_limit()
@recent_password_required
def update_crisis_resources():
    require(can_manage_phrases(current_user))
    form = ResourcesForm()
    if not form.validate_on_submit():
        return _resources_page(form, 400)
    try:
        safety.check_resources(form.resources.data)
    except ValueError as error:
        form.resources.errors = [str(error)]
        return _resources_page(form, 400)
    settings.update_settings(current_user, {"crisis_resources": form.resources.data.strip()})
    db.session.commit()
    flash("The crisis services are saved.", "success")
    return redirect(url_for("admin_moderation.crisis_resources"), 303)
