"""Flask-WTF forms: they parse and validate input, and never save anything."""
import re

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
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


class ReauthenticateForm(FlaskForm):
    """The password again, before a moderator's or admin's sensitive action."""

    password = PasswordField("Password", validators=[InputRequired("Enter your password.")])


def _email_field(label, description=None):
    return EmailField(
        label,
        filters=[strip_text],
        validators=[
            DataRequired("Enter your email address."),
            Length(max=254, message="That address is too long."),
            Email("Enter a valid email address, like name@example.org."),
        ],
        description=description,
    )


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
    content_warning = StringField(
        "Content warning (optional)", filters=[strip_text],
        validators=[Length(max=100, message="Keep it to one short line (100 characters)."),
                    no_control_characters],
        description="e.g. “mentions self-harm”: readers then choose whether to open your post.",
    )
    #: Set when the author has seen the crisis resources and chose to post.
    crisis_ack = HiddenField()
    anonymous = BooleanField(
        "Post anonymously",
        description="Others see “Anonymous” with a number for this thread, never your name. "
        "Anonymous posts earn no points. Moderators can find out who wrote it only by giving a "
        "reason, which is logged.",
    )


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
    #: "1" once the asker has been shown the similar questions (the review step, or
    #: the live list under the title); anything else counts as not yet.
    reviewed = HiddenField(filters=[lambda v: "1" if v == "1" else ""])


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


class PreviewForm(FlaskForm):
    """The live preview's request: which kind of post, and its text."""

    kind = SelectField("Kind", choices=[SelectChoice(kind, kind) for kind in ("question", "answer", "comment")])
    body = TextAreaField("Text", filters=[lambda v: clean_input(v) if isinstance(v, str) else v])


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
    crisis_ack = HiddenField()


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


# --- Admin: categories and members ----------------------------------------------

class CategoryFields:
    title = StringField(
        "Title", filters=[strip_text],
        validators=[DataRequired("Give the category a title."),
                    Length(max=80, message="Keep the title under 80 characters."), no_control_characters],
    )
    slug = StringField(
        "Slug (optional)", filters=[strip_text],
        validators=[Length(max=80, message="Keep the slug under 80 characters."), no_control_characters],
        description="The address: /categories/<slug>. Left empty, it is made from the title. "
        "Slugs are unique across all categories; changing one breaks links to the old address.",
    )
    description = TextAreaField(
        "Description (optional)", filters=[strip_text],
        validators=[Length(max=500, message="Keep the description under 500 characters."),
                    no_control_characters],
    )


class CategoryForm(FlaskForm, CategoryFields):
    parent = SelectField("Parent", choices=[], validate_choice=False,
                         description="Categories nest at most four levels deep.")


class CategoryEditForm(FlaskForm, CategoryFields):
    pass


class CategoryMoveForm(FlaskForm):
    parent = SelectField("New parent", choices=[], validate_choice=False)


class CategoryMergeForm(FlaskForm):
    target = SelectField(
        "Merge into", choices=[], validate_choice=False,
        description="Its questions and sub-categories move there, then it is deleted.",
    )


class CategoryReorderForm(FlaskForm):
    direction = SelectField("Direction", choices=[SelectChoice("up", "Up"), SelectChoice("down", "Down")])


class MemberSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField("Username contains", filters=[strip_text],
                    validators=[Length(max=60, message="Search for at most 60 characters."),
                                no_control_characters])


# --- Moderation queues ---------------------------------------------------------

class FlagForm(FlaskForm):
    reason = SelectField(
        "What is wrong with it?",
        choices=[SelectChoice("", "Choose a reason"), SelectChoice("spam", "Spam or advertising"),
                 SelectChoice("rude", "Rude or abusive"), SelectChoice("not-an-answer", "Not an answer"),
                 SelectChoice("other", "Something else")],
        validate_choice=False,
    )
    note = StringField("Anything the moderators should know? (optional)", filters=[strip_text],
                       validators=[Length(max=300, message="Keep it under 300 characters."),
                                   no_control_characters])


class QueueActionForm(FlaskForm):
    outcome = StringField("Outcome", filters=[strip_text], validators=[Length(max=20)])
    note = StringField("Note", filters=[strip_text],
                       validators=[Length(max=500), no_control_characters])


class BlockForm(FlaskForm):
    duration = SelectField(
        "How long",
        choices=[SelectChoice("day", "One day"), SelectChoice("week", "One week"),
                 SelectChoice("month", "One month"), SelectChoice("permanent", "Permanently")],
        validate_choice=False,
    )
    reason = StringField("Reason (the member sees it)", filters=[strip_text],
                         validators=[Length(max=300, message="Keep it under 300 characters."),
                                     no_control_characters])


class PostAddressBlockForm(BlockForm):
    """Blocking the address a post came from, on the post's moderation page (whose reason
    form already uses the plain ids)."""
    duration = SelectField("How long", choices=BlockForm.duration.kwargs["choices"], validate_choice=False,
                           default="week", id="block-duration")
    reason = StringField("Reason", filters=[strip_text], id="block-reason",
                         validators=[Length(max=300, message="Keep it under 300 characters."),
                                     no_control_characters])


class PhraseForm(FlaskForm):
    list_name = SelectField("List", choices=[], validate_choice=False)
    pattern = StringField(
        "Word or phrase", filters=[strip_text],
        description="Matched as whole words, ignoring case and accents; * stands for any letters "
        "(“spam*” matches “spammer”).",
    )


class AddressBlockForm(FlaskForm):
    network = StringField("Address or range", filters=[strip_text],
                          validators=[Length(max=50)], description="e.g. 203.0.113.7 or 203.0.113.0/24")
    reason = StringField("Reason", filters=[strip_text],
                         validators=[Length(max=300), no_control_characters])
    duration = SelectField(
        "How long",
        choices=[SelectChoice("day", "One day"), SelectChoice("week", "One week"),
                 SelectChoice("month", "One month"), SelectChoice("permanent", "Until lifted")],
        validate_choice=False,
    )


class SearchForm(FlaskForm):
    """The search page's GET form; unknown choices fall back to their defaults."""

    class Meta:
        csrf = False  # a GET form that changes nothing

    q = StringField("Search for", validators=[Optional(), Length(max=300)],
                    description='Words must all appear; use "quotes" for a phrase and word* for a prefix.')
    category = SelectField("Category", choices=[SelectChoice("", "Any category")], validate_choice=False)
    tag = StringField("Tag", validators=[Optional(), Length(max=50)])
    answered = SelectField("Answers", validate_choice=False, choices=[
        SelectChoice("", "Answered or not"), SelectChoice("yes", "Answered"), SelectChoice("no", "Unanswered")])
    sort = SelectField("Sort by", validate_choice=False, choices=[
        SelectChoice("relevance", "Relevance"), SelectChoice("newest", "Newest"), SelectChoice("votes", "Most votes")])


# --- Safety -------------------------------------------------------------------

class RiskReportForm(FlaskForm):
    note = TextAreaField(
        "Anything the moderators should know? (optional)", filters=[strip_text],
        validators=[Length(max=500, message="Keep it under 500 characters."), no_control_characters],
        description="The author is never told who you are. This never hides their post.",
    )


class SafetySettingsForm(FlaskForm):
    muted_words = TextAreaField(
        "Muted words and phrases", filters=[strip_text],
        validators=[Length(max=3000, message="That is too long."), no_control_characters],
        description="One per line. Posts containing them are hidden for you everywhere; * stands for any letters.",
    )


class ResourcesForm(FlaskForm):
    resources = TextAreaField(
        "Crisis services (JSON)", validators=[Length(max=20_000)],
        description="A list of {\"country\", \"service\", \"contact\", \"checked\"} entries; "
        "“checked” is the date someone last confirmed the details.",
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
