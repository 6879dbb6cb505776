"""Moderators' forms: reasons, closing and merging, flags, the queue, blocks, phrase lists and risk reports."""

from flask_wtf import FlaskForm
from wtforms import (
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Length,
)

from forum.forms.fields import (
    no_control_characters,
    strip_text,
)


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


class RiskReportForm(FlaskForm):
    note = TextAreaField(
        "Anything the moderators should know? (optional)", filters=[strip_text],
        validators=[Length(max=500, message="Keep it under 500 characters."), no_control_characters],
        description="The author is never told who you are. This never hides their post.",
    )


class ResourcesForm(FlaskForm):
    resources = TextAreaField(
        "Crisis services (JSON)", validators=[Length(max=20_000)],
        description="A list of {\"country\", \"service\", \"contact\", \"checked\"} entries; "
        "“checked” is the date someone last confirmed the details.",
    )
