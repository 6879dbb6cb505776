"""Shared fields, filters and validators of the forms."""
import re

from wtforms import (
    EmailField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    Length,
    Optional,
    ValidationError,
)

from forum.text import clean_input, has_control_characters


def no_control_characters(form, field):
    if isinstance(field.data, str) and has_control_characters(field.data):
        raise ValidationError("Remove the invisible control characters from this text.")


def strip_text(value):
    return clean_input(value).strip() if isinstance(value, str) else value


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
