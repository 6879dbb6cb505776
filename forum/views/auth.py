"""Registering and confirming an address, logging in and out, passwords and sessions."""
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, logout_user

from forum import security_log
from forum.extensions import db, limiter, login_manager
from forum.forms import (
    ChangeEmailForm,
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResendVerificationForm,
    ResetPasswordForm,
)
from forum.security import rerender_on_csrf_error
from forum.services import account_emails, accounts
from forum.services.account_emails import BadLink, ExpiredLink, UsedLink
from forum.services.errors import Conflict, ValidationFailed
from forum.text import canonical
from forum.urls import safe_next
from forum.views import login_limits
from forum.views.forms_util import apply_errors, client_ip
from forum.views.limits import account_limit
from forum.views.sessions import end_this_session, listed_sessions, log_in

bp = Blueprint("auth", __name__)


@login_manager.user_loader
def load_user(session_id):
    # A question page needs the member's part in its thread: read with the member.
    question_id = (request.view_args or {}).get("question_id") if request.endpoint == "questions.show" else None
    return accounts.load_session_user(session_id, question_id)


#: Flask-Login stores "<id>.<epoch>.<session key>", tying the login to its session record.
login_manager.id_attribute = "get_session_id"

EMAIL_FORM_PREFIX = "change-email"


def _address_key():
    """Rate-limit key for forms that send mail: the typed address, whoever types it."""
    return "address:" + canonical(request.form.get("email", ""))[:254]


def _mail_sent(address, why):
    """Remember what we told the visitor to look for; read by the check-email page."""
    session["mail_sent"] = {"to": address, "why": why}
    return redirect(url_for("auth.check_email"))


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
        # None when the address already has an account: its owner is emailed, and
        # this visitor sees exactly what a new member sees.
        accounts.register_user(
            form.username.data, form.email.data, form.password.data, form.consent.data
        )
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
        return render_template("auth/register.html", form=form), 400
    db.session.commit()
    return _mail_sent(form.email.data, "register")


@bp.get("/check-email")
def check_email():
    g.private_page = True
    sent = session.get("mail_sent") or {}
    return render_template("auth/check_email.html", sent=sent,
                           resend_form=ResendVerificationForm(email=sent.get("to")))


@bp.post("/verify/resend")
@limiter.limit("5 per hour")
@limiter.limit("3 per hour", key_func=_address_key)
def resend_verification():
    form = ResendVerificationForm()
    if not form.validate_on_submit():
        g.private_page = True
        sent = session.get("mail_sent") or {}
        return render_template("auth/check_email.html", sent=sent, resend_form=form), 400
    accounts.resend_verification(form.email.data)
    db.session.commit()
    return _mail_sent(form.email.data, "register")


def _link_page(template, state, status, **context):
    """Render a page reached by an emailed link; the token in its URL goes nowhere else."""
    g.private_page = True
    response = make_response(render_template(template, state=state, **context), status)
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _verify_link_problem(error):
    if isinstance(error, BadLink):
        return _link_page("auth/verify.html", "invalid", 400)
    if isinstance(error, ExpiredLink):
        return _link_page("auth/verify.html", "expired", 410, resend_form=ResendVerificationForm())
    return _link_page("auth/verify.html", "used", 410)


@bp.get("/verify/<token>")
def verify_email_form(token):
    """Show what the link will do; a GET (e.g. a mail scanner) changes nothing."""
    try:
        payload = account_emails.read_verification_token(token)
        user, outcome = accounts.verification_outcome(payload)
    except (BadLink, ExpiredLink, UsedLink) as error:
        return _verify_link_problem(error)
    return _link_page("auth/verify.html", outcome, 200, token=token, form=ConfirmForm(),
                      address=payload["e"])


@bp.post("/verify/<token>")
@limiter.limit("20 per hour")
def verify_email(token):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        payload = account_emails.read_verification_token(token)
        user, outcome = accounts.confirm_email(payload)
    except (BadLink, ExpiredLink, UsedLink) as error:
        db.session.rollback()
        return _verify_link_problem(error)
    except Conflict as error:
        db.session.rollback()
        return _link_page("auth/verify.html", "conflict", 409, message=error.message)
    db.session.commit()
    if outcome == "verified":
        log_in(user, password_entered=False)
        security_log.login(user)
        flash("Thank you: your address is confirmed and your account is ready.", "success")
        return redirect(url_for("questions.index"))
    if outcome == "changed":
        security_log.email_changed(user)
        flash(f"Your email address is now {user.email}.", "success")
        if current_user.is_authenticated and current_user.id == user.id:
            return redirect(url_for("auth.account"))
        return redirect(url_for("auth.login_form"))
    flash("Your address was already confirmed. Please log in.", "info")
    return redirect(url_for("auth.login_form"))


@bp.get("/login")
def login_form():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next"), url_for("questions.index")))
    return render_template("auth/login.html", form=LoginForm(), next=request.args.get("next"))


def _login_locked(form, next_url):
    """Refuse a name with too many failed logins: the same answer, after the same work,
    whether or not an account has that name, and even with the right password.
    """
    accounts.check_dummy_password(form.password.data)
    security_log.write("login_locked", username=security_log.typed_name(form.username.data),
                       ip=client_ip())
    minutes = login_limits.minutes_left(form.username.data)
    response = make_response(render_template("auth/login.html", form=form, next=next_url,
                                             locked=True, locked_minutes=minutes), 429)
    if minutes:
        response.headers["Retry-After"] = str(minutes * 60)
    return response


@bp.post("/login")
@limiter.limit("6 per minute;30 per hour")
@rerender_on_csrf_error
def login():
    form = LoginForm()
    next_url = request.form.get("next") or request.args.get("next")
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form, next=next_url), 400
    if login_limits.is_locked(form.username.data):
        return _login_locked(form, next_url)
    user = accounts.authenticate(form.username.data, form.password.data)
    if user is None:
        login_limits.count_failure(form.username.data)
        security_log.login_failed(form.username.data)
        form.password.errors = ["Wrong username or password."]
        return render_template("auth/login.html", form=form, next=next_url), 400
    if accounts.needs_verification(user):
        # Only someone who knows the password gets this far, so it reveals nothing.
        g.private_page = True
        return render_template("auth/login.html", form=form, next=next_url, unverified=True,
                               resend_form=ResendVerificationForm(email=user.email)), 403
    restored = accounts.record_login(user)
    log_in(user, remember=form.remember.data)  # commits
    security_log.login(user)
    if restored:
        flash("Welcome back: your account is restored, with your posts as they were. Nothing "
              "will be deleted.", "success")
    if accounts.password_problems(form.password.data, user.username):
        # Rules apply when a password is set; an older one (e.g. imported) is only flagged.
        flash("Your password is weaker than this site asks for; please choose a new one "
              "under Account → Password.", "warning")
    return redirect(safe_next(next_url, url_for("questions.index")))


@bp.post("/logout")
@account_limit()
def logout():
    if current_user.is_authenticated:
        security_log.logout(current_user)
        end_this_session()
        db.session.commit()
    logout_user()
    flash("You have logged out.", "info")
    return redirect(url_for("questions.index"))


@bp.get("/password/forgot")
def forgot_password_form():
    return render_template("auth/forgot.html", form=ForgotPasswordForm())


@bp.post("/password/forgot")
@limiter.limit("5 per hour")
@limiter.limit("3 per hour", key_func=_address_key)
@rerender_on_csrf_error
def forgot_password():
    """Answer the same whether or not an account uses the address."""
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/forgot.html", form=form), 400
    accounts.request_password_reset(form.email.data)
    db.session.commit()
    return _mail_sent(form.email.data, "reset")


def _reset_link_problem(error):
    if isinstance(error, BadLink):
        return _link_page("auth/reset.html", "invalid", 400)
    return _link_page("auth/reset.html", "expired" if isinstance(error, ExpiredLink) else "used", 410)


@bp.get("/password/reset/<token>")
def reset_password_form(token):
    try:
        accounts.get_reset_user(account_emails.read_reset_token(token))
    except (BadLink, ExpiredLink, UsedLink) as error:
        return _reset_link_problem(error)
    return _link_page("auth/reset.html", "ready", 200, token=token, form=ResetPasswordForm())


@bp.post("/password/reset/<token>")
@limiter.limit("10 per hour")
@rerender_on_csrf_error
def reset_password(token):
    form = ResetPasswordForm()
    try:
        payload = account_emails.read_reset_token(token)
        accounts.get_reset_user(payload)
        if form.validate_on_submit():
            user = accounts.reset_password(payload, form.new_password.data)
            db.session.commit()
            login_limits.forgive(user.username)  # the owner proved it through their inbox
            security_log.password_changed(user, "reset")
            logout_user()
            flash("Your new password is set and every session has been ended. Log in with it now.",
                  "success")
            return redirect(url_for("auth.login_form"))
    except (BadLink, ExpiredLink, UsedLink) as error:
        db.session.rollback()
        return _reset_link_problem(error)
    except ValidationFailed as error:
        db.session.rollback()
        apply_errors(form, error)
    return _link_page("auth/reset.html", "ready", 400, token=token, form=form)


def _account_page(password_form=None, email_form=None, status=200):
    g.private_page = True
    return render_template(
        "auth/account.html",
        password_form=password_form or ChangePasswordForm(),
        email_form=email_form or ChangeEmailForm(prefix=EMAIL_FORM_PREFIX),
        confirm_form=ConfirmForm(),
        sessions=listed_sessions(),
    ), status


@bp.get("/account")
@login_required
def account():
    return _account_page()


@bp.post("/account/password")
@login_required
@limiter.limit("10 per hour")
@rerender_on_csrf_error
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(current_user, form.current_password.data, form.new_password.data)
        except ValidationFailed as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            security_log.password_changed(current_user, "account")
            log_in(current_user._get_current_object())  # keep this device logged in
            flash("Your password has been changed and other sessions have been ended.", "success")
            return redirect(url_for("auth.account"))
    return _account_page(password_form=form, status=400)


@bp.post("/account/email")
@login_required
@limiter.limit("10 per hour")
@rerender_on_csrf_error
def change_email():
    form = ChangeEmailForm(prefix=EMAIL_FORM_PREFIX)
    if form.validate_on_submit():
        try:
            accounts.request_email_change(current_user, form.current_password.data, form.email.data)
        except ValidationFailed as error:
            db.session.rollback()
            apply_errors(form, error)
        else:
            db.session.commit()
            security_log.email_change_requested(current_user)
            flash(f"We've sent a link to {form.email.data}. Your address changes when you open "
                  "it; until then we keep using your current one.", "success")
            return redirect(url_for("auth.account"))
    return _account_page(email_form=form, status=400)


@bp.post("/account/logout-everywhere")
@login_required
@account_limit()
def logout_everywhere():
    accounts.end_all_sessions(current_user)
    db.session.commit()
    security_log.logout_everywhere(current_user)
    logout_user()
    flash("You have been logged out on every device.", "info")
    return redirect(url_for("auth.login_form"))
