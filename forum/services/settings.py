"""Site settings: typed defaults, stored overrides, one read per request."""
import json
from dataclasses import dataclass

from flask import g, has_app_context
from sqlalchemy import select

from forum.extensions import db
from forum.models import Setting
from forum.services.errors import ValidationFailed


@dataclass(frozen=True)
class SettingSpec:
    key: str
    type: type
    default: object
    label: str
    help: str = ""
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None


#: Every setting the site has. Later features add theirs here.
SPECS = {
    spec.key: spec
    for spec in [
        SettingSpec(
            "site_name", str, "Forum", "Site name", max_length=60,
            help="Shown in the header and in page titles.",
        ),
        SettingSpec(
            "tagline",
            str,
            "Welcome to Forum, where you can ask questions about relationships and "
            "mental health.",
            "Tagline",
            max_length=200,
            help="Shown under the site name on every page.",
        ),
        SettingSpec(
            "guests_may_post", bool, True, "Guests may post",
            help="Let visitors without an account ask, answer and comment.",
        ),
        SettingSpec(
            "answers_per_page", int, 20, "Answers per page", minimum=5, maximum=200,
            help="How many answers a question page shows before paging.",
        ),
        SettingSpec(
            "questions_per_page", int, 30, "Questions per page", minimum=5, maximum=100,
            help="How many questions a list page shows.",
        ),
    ]
}


def _load():
    """Return the stored overrides as a dict, once per app context."""
    if has_app_context() and "forum_settings" in g:
        return g.forum_settings
    rows = db.session.execute(select(Setting.key, Setting.value)).all()
    stored = {}
    for key, raw in rows:
        try:
            stored[key] = json.loads(raw)
        except ValueError:
            continue  # a corrupt value falls back to the default
    if has_app_context():
        g.forum_settings = stored
    return stored


def get(key):
    """Return the setting's value, or its default when unset or of the wrong type."""
    spec = SPECS[key]
    value = _load().get(key, spec.default)
    if spec.type is int and isinstance(value, bool):
        return spec.default
    if not isinstance(value, spec.type):
        return spec.default
    return value


def all_values():
    """Return every setting's current value."""
    return {key: get(key) for key in SPECS}


def coerce(spec, raw):
    """Turn a submitted value into the setting's type, or raise ValidationFailed."""
    if spec.type is bool:
        return bool(raw) and raw not in ("0", "false", "off", "")
    if spec.type is int:
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ValidationFailed(errors={spec.key: ["Enter a whole number."]}) from None
        if spec.minimum is not None and value < spec.minimum:
            raise ValidationFailed(errors={spec.key: [f"Must be at least {spec.minimum}."]})
        if spec.maximum is not None and value > spec.maximum:
            raise ValidationFailed(errors={spec.key: [f"Must be at most {spec.maximum}."]})
        return value
    value = (raw or "").strip()
    if not value:
        raise ValidationFailed(errors={spec.key: ["This cannot be empty."]})
    if spec.max_length and len(value) > spec.max_length:
        raise ValidationFailed(
            errors={spec.key: [f"Keep it under {spec.max_length} characters."]}
        )
    return value


def update_settings(actor, values):
    """Store the given settings (already coerced); return the keys that changed."""
    changed = []
    current = all_values()
    for key, value in values.items():
        spec = SPECS[key]
        if not isinstance(value, spec.type):
            raise ValidationFailed(errors={key: ["Invalid value."]})
        if current[key] == value:
            continue
        row = db.session.get(Setting, key)
        if row is None:
            db.session.add(Setting(key=key, value=json.dumps(value)))
        else:
            row.value = json.dumps(value)
        changed.append(key)
    db.session.flush()
    if has_app_context():
        g.pop("forum_settings", None)
    return changed
