"""Forms of a member's own account: registering, logging in, passwords, email, safety and deletion."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    InputRequired,
    Length,
)

from forum.forms.fields import (
    _email_field,
    no_control_characters,
    strip_text,
)


class RegisterForm(FlaskForm):
    username = StringField(
        "Username",
        filters=[strip_text],
        validators=[DataRequired("Choose a username."), Length(max=30), no_control_characters],
        description="Shown with everything you post. 3–30 letters or digits; you can "
        "still post anonymously later.",
    )
    email = EmailField(
        "Email",
        filters=[strip_text],
        validators=[
            DataRequired("Enter your email address."),
            Length(max=254, message="That address is too long."),
            Email("Enter a valid email address, like name@example.org."),
        ],
        description="Never shown to anyone. Used for your account and the "
        "notifications you choose.",
    )
    password = PasswordField(
        "Password",
        validators=[InputRequired("Enter a password.")],
        description="At least 12 characters. A few unrelated words work well.",
    )
    confirm = PasswordField(
        "Repeat password",
        validators=[
            InputRequired("Repeat your password."),
            EqualTo("password", "The two passwords don't match."),
        ],
    )
    consent = BooleanField(
        "I agree that this forum stores what I choose to share, which may include "
        "information about my health, to show it on the forum as described in the "
        "privacy notice.",
    )


class LoginForm(FlaskForm):
    username = StringField(
        "Username", filters=[strip_text],
        validators=[DataRequired("Enter your username."), Length(max=254), no_control_characters],
    )
    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])
    remember = BooleanField("Keep me logged in on this device")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password.")]
    )
    new_password = PasswordField(
        "New password",
        validators=[InputRequired("Enter a new password.")],
        description="At least 12 characters. Changing it logs you out everywhere else.",
    )
    confirm = PasswordField(
        "Repeat new password",
        validators=[InputRequired("Repeat the new password."),
                    EqualTo("new_password", "The two passwords don't match.")],
    )


class ConfirmForm(FlaskForm):
    """A form with nothing but its CSRF token, for one-button actions."""


class ReauthenticateForm(FlaskForm):
    """The password again, before a moderator's or admin's sensitive action."""

    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])


class ResendVerificationForm(FlaskForm):
    email = _email_field("Email")


class ForgotPasswordForm(FlaskForm):
    email = _email_field("Email", "The address of your account. We'll email you a link to "
                                  "choose a new password.")


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(
        "New password",
        validators=[InputRequired("Enter a new password.")],
        description="At least 12 characters. Choosing it logs you out everywhere.",
    )
    confirm = PasswordField(
        "Repeat new password",
        validators=[InputRequired("Repeat the new password."),
                    EqualTo("new_password", "The two passwords don't match.")],
    )


class ChangeEmailForm(FlaskForm):
    email = _email_field("New email address", "We'll send a link there; your address changes "
                                              "when you open it.")
    current_password = PasswordField(
        "Current password", validators=[InputRequired("Enter your current password.")]
    )


class SafetySettingsForm(FlaskForm):
    muted_words = TextAreaField(
        "Muted words and phrases", filters=[strip_text],
        validators=[Length(max=3000, message="That is too long."), no_control_characters],
        description="One per line. Posts containing them are hidden for you everywhere; * stands for any letters.",
    )


class DeleteAccountForm(FlaskForm):
    mode = RadioField(
        "What should happen to your posts?",
        choices=[SelectChoice("anonymise", "Keep them, shown as written by “deleted member”"),
                 SelectChoice("remove", "Remove their titles and texts (others' answers, comments and "
                                        "votes stay)")],
        validators=[InputRequired("Choose what happens to your posts.")],
    )
    password = PasswordField(
        "Your password", validators=[InputRequired("Enter your password to confirm it is you.")],
        description="We ask again so nobody else can delete your account from an open session.",
    )
