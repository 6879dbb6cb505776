"""Flask-WTF forms: they parse and validate input, and never save anything."""
import re

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
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
    NumberRange,
    Optional,
    ValidationError,
)

from forum.models import Level
from forum.text import clean_input, has_control_characters


def no_control_characters(form, field):
    if isinstance(field.data, str) and has_control_characters(field.data):
        raise ValidationError("Remove the invisible control characters from this text.")


def strip_text(value):
    return clean_input(value).strip() if isinstance(value, str) else value


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


class SetLevelForm(FlaskForm):
    level = SelectField(
        "Level",
        choices=[SelectChoice(str(int(level)), level.label) for level in Level],
        validators=[DataRequired()],
    )


def _spec_check(check):
    def validate(form, field):
        try:
            check(field.data)
        except ValueError as error:
            raise ValidationError(str(error)) from None

    return validate


def settings_form(specs, values):
    """Build a form for the given settings, filled with their current values."""
    class SettingsForm(FlaskForm):
        pass

    for spec in specs:
        if spec.type is bool:
            field = BooleanField(spec.label, description=spec.help)
        elif spec.type is int:
            field = IntegerField(
                spec.label,
                description=spec.help,
                validators=[
                    InputRequired("Enter a whole number."),
                    NumberRange(spec.minimum, spec.maximum),
                ],
            )
        else:
            field = StringField(
                spec.label,
                description=spec.help,
                filters=[strip_text],
                validators=[
                    DataRequired("This cannot be empty."),
                    Length(max=spec.max_length or 10_000),
                    no_control_characters,
                ],
            )
        if spec.check is not None:
            field.kwargs.setdefault("validators", []).append(_spec_check(spec.check))
        setattr(SettingsForm, spec.key, field)
    return SettingsForm(data=values)


# --- Posting ------------------------------------------------------------------

GUEST_NAME_HELP = "Shown with your post, marked as a guest. Leave empty to post as Anonymous."
GUEST_EMAIL_HELP = (
    "Privacy: your email address will only be used for sending these notifications."
)


class GuestFields:
    """Fields a guest may fill in: a display name and an email for notifications."""

    guest_name = StringField(
        "Your name to display (optional)",
        filters=[strip_text],
        validators=[Optional(), Length(max=40, message="Keep your name under 40 characters.")],
        description=GUEST_NAME_HELP,
    )
    guest_email = EmailField(
        "Email me at this address if my post is answered or commented on (optional)",
        filters=[strip_text],
        validators=[
            Optional(),
            Length(max=254, message="That address is too long."),
            Email("Enter a valid email address, like name@example.org."),
        ],
        description=GUEST_EMAIL_HELP,
    )


_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def valid_token_or_none(value):
    """Keep a well-formed one-time token; anything else counts as no token."""
    return value if isinstance(value, str) and _TOKEN_RE.fullmatch(value) else None


class PostForm(FlaskForm):
    #: A one-time token so a double-clicked submit creates one post.
    submission_token = HiddenField(filters=[valid_token_or_none])


class AskForm(PostForm, GuestFields):
    title = StringField(
        "Your question in one sentence",
        filters=[strip_text],
        validators=[DataRequired("Please write your question as a title.")],
        description="For example: “How can I support a friend who is grieving?”",
    )
    body = TextAreaField(
        "More detail (optional)",
        filters=[lambda v: clean_input(v) if isinstance(v, str) else v],
        description="Markdown works: **bold**, *italic*, lists, links. Please leave out "
        "names, phone numbers and addresses.",
    )
    category = SelectField("Category", choices=[], validate_choice=False)
    tags = StringField(
        "Tags (optional)",
        filters=[strip_text],
        description="Up to 5 words separated by spaces or commas, e.g. sleep anxiety.",
    )


class AnswerForm(PostForm, GuestFields):
    body = TextAreaField(
        "Your answer",
        filters=[lambda v: clean_input(v) if isinstance(v, str) else v],
        validators=[DataRequired("Please write your answer first.")],
        description="Markdown works. Be kind; share what helped you rather than telling "
        "someone what to do.",
    )


class CommentForm(PostForm, GuestFields):
    body = TextAreaField(
        "Your comment",
        filters=[lambda v: clean_input(v) if isinstance(v, str) else v],
        validators=[DataRequired("Please write your comment first.")],
    )


# --- Curation -----------------------------------------------------------------

class EditForm(FlaskForm):
    title = StringField("Title", filters=[strip_text])
    body = TextAreaField("Text", filters=[lambda v: clean_input(v) if isinstance(v, str) else v])
    category = SelectField("Category", choices=[], validate_choice=False)
    tags = StringField("Tags", filters=[strip_text],
                       description="Up to 5 words separated by spaces or commas.")
    reason = StringField(
        "Why are you editing? (optional)", filters=[strip_text],
        validators=[Length(max=200, message="Keep the reason under 200 characters."), no_control_characters],
        description="For example: removed a phone number; fixed spelling.",
    )
    silent = BooleanField("Silent edit: don't show “edited by” (moderators only)")


class ReasonForm(FlaskForm):
    reason = StringField(
        "Reason", filters=[strip_text],
        validators=[Length(max=300, message="Keep the reason under 300 characters."), no_control_characters],
    )


class CloseForm(FlaskForm):
    reason = SelectField(
        "Why close it?",
        choices=[SelectChoice("", "Choose a reason")] + [
            SelectChoice(key, label.capitalize()) for key, label in {
                "duplicate": "a duplicate of another question",
                "off-topic": "off-topic for this community",
                "needs-detail": "needs more detail",
                "other": "another reason",
            }.items()
        ],
        validate_choice=False,
    )
    duplicate_of = StringField(
        "Original question (number or link, for duplicates)", filters=[strip_text],
        validators=[Length(max=300)],
    )
    note = StringField("Note (optional)", filters=[strip_text],
                       validators=[Length(max=300), no_control_characters])


class MergeForm(FlaskForm):
    original = StringField(
        "Merge into question (number or link)", filters=[strip_text],
        validators=[DataRequired("Give the number or link of the question to merge into."), Length(max=300)],
    )
    reason = StringField("Reason (optional)", filters=[strip_text],
                         validators=[Length(max=300), no_control_characters])
