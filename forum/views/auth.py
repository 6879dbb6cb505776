"""Registering, logging in and out, and ending sessions."""
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from forum.extensions import db, limiter, login_manager
from forum.forms import ChangePasswordForm, ConfirmForm, LoginForm, RegisterForm
from forum.security import rerender_on_csrf_error
from forum.services import accounts
from forum.services.errors import ValidationFailed
from forum.urls import safe_next
from forum.views.forms_util import apply_errors

bp = Blueprint("auth", __name__)

login_manager.user_loader(accounts.load_session_user)


@bp.get("/register")
def register_form():
    if current_user.is_authenticated:
        return redirect(url_for("questions.index"))
    return render_template("auth/register.html", form=RegisterForm())


@bp.post("/register")
@limiter.limit("10 per hour")
@rerender_on_csrf_error
def register():
    form = RegisterForm()
    if not form.validate_on_submit():
        return render_template("auth/register.html", form=form), 400
    try:
        user = accounts.register_user(
            form.username.data, form.email.data, form.password.data, form.consent.data
        )
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        return render_template("auth/register.html", form=form), 400
    db.session.commit()
    login_user(user)
    flash("Welcome! Your account is ready.", "success")
    return redirect(url_for("questions.index"))


@bp.get("/login")
def login_form():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), url_for("questions.index")))
    return render_template("auth/login.html", form=LoginForm(), next=request.args.get("next"))


@bp.post("/login")
@limiter.limit("6 per minute;30 per hour")
@rerender_on_csrf_error
def login():
    form = LoginForm()
    next_url = request.form.get("next") or request.args.get("next")
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form, next=next_url), 400
    user = accounts.authenticate(form.username.data, form.password.data)
    if user is None:
        form.password.errors = ["Wrong username or password."]
        return render_template("auth/login.html", form=form, next=next_url), 400
    accounts.record_login(user)
    db.session.commit()
    login_user(user, remember=form.remember.data)
    return redirect(safe_next(next_url, url_for("questions.index")))


@bp.post("/logout")
def logout():
    logout_user()
    flash("You have logged out.", "info")
    return redirect(url_for("questions.index"))


@bp.get("/account")
@login_required
def account():
    g.private_page = True
    return render_template(
        "auth/account.html", password_form=ChangePasswordForm(), confirm_form=ConfirmForm()
    )


@bp.post("/account/password")
@login_required
@limiter.limit("10 per hour")
@rerender_on_csrf_error
def change_password():
    g.private_page = True
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.new_password.data)
        except ValidationFailed as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            login_user(current_user._get_current_object())  # keep this session alive
            flash("Your password has been changed and other sessions have been ended.", "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", password_form=form, confirm_form=ConfirmForm()), 400


@bp.post("/account/logout-everywhere")
@login_required
def logout_everywhere():
    accounts.end_all_sessions(current_user)
    db.session.commit()
    logout_user()
    flash("You have been logged out on every device.", "info")
    return redirect(url_for("auth.login_form"))
