"""Forms for verified professionals: the member's application and the moderators' decisions.

The rules live in ``services.credentials``, so these only parse.
"""
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from forum.forms.fields import no_control_characters, strip_text
from forum.models import CREDENTIAL_KINDS


class CredentialForm(FlaskForm):
    kind = SelectField(
        "Your profession",
        choices=[SelectChoice("", "Choose your profession")]
        + [SelectChoice(key, label) for key, (label, _noun) in CREDENTIAL_KINDS.items()],
        validate_choice=False,
    )
    registration_number = StringField(
        "Registration or licence number", filters=[strip_text],
        validators=[Length(max=40, message="Keep the number under 41 characters."), no_control_characters],
        description="Only you and the moderators see it.",
    )
    issuing_body = StringField(
        "Issuing body", filters=[strip_text],
        validators=[Length(max=120, message="Keep the name under 121 characters."), no_control_characters],
        description="The regulator or register that issued it, e.g. “General Medical Council”. "
        "Only you and the moderators see it.",
    )
    jurisdiction = StringField(
        "Country or region", filters=[strip_text],
        validators=[Length(max=40, message="Keep it under 41 characters."), no_control_characters],
        description="Shown on your badge, e.g. “Verified psychiatrist, UK”.",
    )
    register_url = URLField(
        "Link to your entry in the public register (optional)", filters=[strip_text],
        validators=[Length(max=500, message="Keep the link under 501 characters."), no_control_characters],
        description="Helps the moderators find you. Only you and the moderators see it.",
    )


class VerifyCredentialForm(FlaskForm):
    expires_on = StringField(
        "Registration valid until", filters=[strip_text],
        validators=[Length(max=20)],
        description="As the public register shows it. The badge lapses by itself after this day.",
        render_kw={"type": "date"},
    )


class CredentialReasonForm(FlaskForm):
    reason = StringField(
        "Reason (the member sees it)", filters=[strip_text],
        validators=[Length(max=300, message="Keep the reason under 300 characters."), no_control_characters],
    )
