"""Admins' forms: member levels, settings, categories and the member search."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    ValidationError,
)

from forum.forms.fields import (
    no_control_characters,
    strip_text,
)
from forum.models import Level


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
